// Package imagebuilder serves EC2 Image Builder over restJson1 for awsemu, following the
// AWS API reference and the botocore imagebuilder model (moto does not implement it).
//
// Operations: Create/Get/List/Delete for components, image recipes, infrastructure
// configurations, distribution configurations and image pipelines; Update for
// infrastructure, distribution and pipeline; ListComponentBuildVersions;
// StartImagePipelineExecution, GetImage, ListImagePipelineImages, CancelImageCreation;
// ListImageScanFindings, ListImageScanFindingAggregations; TagResource, UntagResource, ListTagsForResource.
//
// # Rules kept as AWS keeps them
//
// ARNs are arn:aws:imagebuilder:<region>:<account>:<kind>/<name>[/<version>[/<build>]], the
// name lower-cased with spaces as hyphens. Names match
// ^[-_A-Za-z-0-9][-_A-Za-z0-9 ]{1,126}[-_A-Za-z-0-9]$ (InvalidParameterValueException);
// semantic versions match ^[0-9]+\.[0-9]+\.[0-9]+$ with nodes up to 2^30-1
// (InvalidVersionNumberException); a recipe may be created with a wildcard version
// (1.0.x), which takes the next free version of that line. Components and recipes are
// immutable: creating an existing name and version answers ResourceAlreadyExistsException,
// as do the other creates for an existing name. Component data is at most 16,000
// characters of YAML with the AWSTOE shape (phases named build/validate/test, uniquely
// named steps with an action); uri (S3) is refused. Every mutating call takes a clientToken:
// the same token with the same parameters answers the first call's result again without
// doing anything; with different parameters, IdempotentParameterMismatchException.
// Deleting a component a recipe uses, a recipe, infrastructure or distribution a pipeline
// uses, or a pipeline with a build running answers ResourceDependencyException. Unknown
// ARNs answer ResourceNotFoundException (404). Lists page with maxResults (1–25) and an
// opaque nextToken (InvalidPaginationTokenException when it is not one of ours).
//
// Amazon-managed components exist in every region: eks-optimized-ami-windows at
// <k8s>.0/1 for every Kubernetes version of package world (world.json) and update-windows
// 1.0.0–1.0.2, owner "Amazon", ARN account "aws", platform Windows. ListComponents shows
// them with owner=Amazon; recipes and GetComponent resolve them with wildcard versions
// (…:aws:component/eks-optimized-ami-windows/1.31.x).
//
// # Builds
//
// StartImagePipelineExecution creates an image (…:image/<recipe>/<version>/<build>) whose
// status walks PENDING → CREATING → BUILDING → TESTING → DISTRIBUTING → INTEGRATING →
// AVAILABLE, evaluated from Server.Clock at every Image Builder request, with the
// durations of StateDurations (TESTING skipped when the pipeline disables tests). A
// ManualClock steps it; RealClock{Scale: …} runs it fast. On entering BUILDING the build
// checks the pipeline's executionRole (it must exist and trust imagebuilder.amazonaws.com),
// its parent image (an AMI id through Server.EC2, an ssm: parameter through Server.SSM
// when it implements awsemu.SSMParameterReader, or an AVAILABLE Image Builder image ARN of
// this service), when Server.IAM is set the infrastructure's instance profile, and the
// build instance's launch: the subnet (or the default VPC's default subnet), the security
// groups (in the subnet's VPC), the key pair, and an instance type offered in the subnet's
// zone (the first listed that is). Any failure makes the image FAILED with a reason that
// carries EC2's error code. CancelImageCreation stops a build up to TESTING (CANCELLED).
//
// Image Builder acts as its service-linked role AWSServiceRoleForImageBuilder, or as the
// pipeline's executionRole when it names one (CreateImagePipeline and UpdateImagePipeline
// check that the caller may iam:PassRole it to imagebuilder.amazonaws.com:
// AccessDeniedException). Its actions at distribution are evaluated through
// Server.IAM.Authorize with that role's policies.
//
// When DISTRIBUTING ends the build distributes, Region by Region in the distribution
// configuration's order (the build Region when there is none): the role must be allowed
// ec2:CreateImage (build Region) or ec2:CopyImage; it stores an AMI through
// Server.EC2.PutImage, owned by the caller, Windows, with the parent's block devices as the
// recipe's blockDeviceMappings change them (fresh snapshots), named from
// amiDistributionConfiguration.name with {{imagebuilder:buildDate}} (2026-11-26T18-40-12.123Z,
// the build's end) and {{imagebuilder:buildVersion}} expanded, tagged Ec2ImageBuilderArn,
// CreatedBy "EC2 Image Builder", the recipe's and the distribution's amiTags (its
// snapshots tagged CreatedBy "EC2 Image Builder" too: DIFFERENCES.md). It then
// enables Fast Launch through Server.EC2.EnableFastLaunch as the role (EC2 checks
// ec2:EnableFastLaunch on the AMI and the launch template, which must exist in that Region,
// and the launches they imply: the service-linked role may only use templates tagged
// CreatedBy: EC2 Image Builder), and writes the ssmParameterConfigurations through
// Server.SSM.PutParameter (dataType aws:ec2:image unless given) once the role is allowed
// ssm:PutParameter on the parameter (the service-linked role: only under /imagebuilder/)
// and, for aws:ec2:image, ec2:DescribeImages. A refusal or error makes the image FAILED
// (its last state DISTRIBUTING) with an AccessDenied / UnauthorizedOperation reason naming
// principal, action and resource; nothing more is published. outputResources.amis lists,
// once the build has ended, region, image, name, description, state and accountId of each
// AMI made.
//
// # Encryption, target accounts, logs and scanning (issue 16)
//
// The recipe's encrypted volumes are encrypted with its kmsKeyId (or aws/ebs), which must
// exist in the build Region, be Enabled and be usable by the acting role through EC2
// (Server.KMS), checked with the build instance's launch; copies to other Regions and to
// target accounts take the distribution's kmsKeyId (encryption.go). Each targetAccountIds
// account (Server.Peer) gets a copy through its EC2ImageBuilderDistributionCrossAccountRole
// and its amiAccountId parameters written as that role (targets.go). logging.s3Logs makes
// the build write its logs to S3 (Server.S3) as the instance profile's role (logs.go).
// imageScanningConfiguration gives images a scanState and the findings seeded through the
// control path ScanFindingsControl, listed by ListImageScanFindings (scan.go). SNS topics
// are checked and echoed only. What differs from AWS: awsemu/conformance/DIFFERENCES.md.
//
// # Fault injection
//
// A tag awsemu:fail-at=<STATE> (PENDING, CREATING, BUILDING, TESTING, DISTRIBUTING or
// INTEGRATING) on the recipe, the pipeline or the StartImagePipelineExecution request makes
// the build FAILED when it reaches that state; awsemu:fail-reason=<text> sets the reason.
// Injected throttling answers TooManyRequestsException (429), which the SDKs retry.
package imagebuilder
