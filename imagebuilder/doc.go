// Package imagebuilder converges EC2 Image Builder to a winami spec and runs builds.
//
// The desired state is a set of typed aws-sdk-go-v2 create requests (components, an image
// recipe, an infrastructure configuration, a distribution configuration and an image
// pipeline), normally rendered by package render from a winami.yaml file. Plan compares
// them with what exists in the account; Apply makes the account match:
//
//   - Components and recipes are immutable. Each version winami creates carries a tag with
//     the hash of its content (ContentHashTag). A version whose hash matches the desired
//     content is reused; otherwise the next patch version is created. winami never fails
//     with "already exists" for its own resources.
//   - Infrastructure and distribution configurations and the pipeline are updated in place.
//   - Every mutating call carries a ClientToken derived from the request's content, so a
//     retry after a crash is idempotent, and a second Apply makes no mutating call.
//
// Build starts the pipeline and follows the image to AVAILABLE (or FAILED, or CANCELLED),
// tags each AMI with the build's inputs (so BuildIfChanged can tell when nothing changed),
// makes sure the published SSM parameter points at the new AMI in every distribution
// region, and reports each AMI's Fast Launch state.
//
// When the image is scanned (the pipeline's imageScanningConfiguration; Desired.PublishAfterScan,
// the distribution then writes no parameter), Build waits for the image's scanState to end,
// counts ListImageScanFindings by severity (BuildResult.Scan) and, with BuildOptions.FailOn,
// stops with a *ScanGateError before anything is published when findings reach that level.
// It then publishes the parameter itself, forward only, in the build account's regions and in
// each target account's (Desired.PublishAccounts) as the role TargetRoleARN names there,
// assumed with session PublishSession.
package imagebuilder
