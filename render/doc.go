// Package render turns a validated spec into everything EC2 Image Builder needs,
// offline: the image-cache component documents, one typed create request per Image
// Builder resource (the aws-sdk-go-v2 inputs that plan/apply send), the same requests
// as AWS CLI --cli-input-json files, and a CloudFormation template that creates the
// resources plus the build role and instance profile.
//
// # Resources that do not exist yet
//
// The recipe names its components, and the pipeline its recipe, infrastructure and
// distribution configurations, by ARN, before any of them exists. Render writes each
// as the ARN the create call will return:
//
//	arn:<partition>:imagebuilder:<region>:<account>:component/<lowercased name>/<version>
//	arn:<partition>:imagebuilder:<region>:<account>:image-recipe/<lowercased name>/<version>
//	arn:<partition>:imagebuilder:<region>:<account>:infrastructure-configuration/<lowercased name>
//	arn:<partition>:imagebuilder:<region>:<account>:distribution-configuration/<lowercased name>
//
// where <account> is Options.AccountID or, offline, the placeholder ${AWS_ACCOUNT_ID}
// (AccountPlaceholder), which `envsubst` fills:
//
//	export AWS_ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)
//	envsubst < out/create-image-recipe.json > /tmp/recipe.json
//	aws imagebuilder create-image-recipe --cli-input-json file:///tmp/recipe.json
//
// The CloudFormation template needs no placeholder: it links resources with Ref.
//
// # Parent image
//
// The parent is named through its SSM public parameter ("ssm:/aws/service/…") unless the
// spec pins an AMI id (spec.parent.imageId) or the caller passes a resolved one
// (Options.ParentImage, which apply sets after resolving releaseDate/osBuild pins).
//
// # Root volume
//
// rootVolumeSize: auto becomes Options.RootVolumeGiB when the caller measured the
// images; offline it is the estimate AutoRootVolume documents.
//
// # Encryption, other accounts, logs, notifications and scanning
//
// spec.build.encryption becomes the recipe root volume's encrypted/kmsKeyId (part of the
// recipe's content, so of its version); spec.distribution.kmsKeyIds and targetAccountIds
// go into each region's amiDistributionConfiguration; the published parameter is written
// in the build account and in each target account (PublishConfigurations), or by no
// distribution at all when spec.build.imageScanning is enabled (winami build publishes
// after the scan). spec.build.logging and notifications fill the infrastructure
// configuration's logging.s3Logs and snsTopicArn; Options.CreateSNSTopic makes the
// template create the topic instead.
//
// Rendering is deterministic: the same spec and options give byte-identical files.
package render
