// Package preflight knows, before a build, what would make it fail: `winami doctor`
// (Doctor) checks the credentials, the caller's permissions (SimulatePrincipalPolicy over
// the exact actions and ARNs, what fast-launch enable makes EC2 check included), the build
// instance profile and its role's policies (SSM, Image Builder, ECR read of the cached
// repositories), the build network, the instance types offered in the region and the
// subnet's zone, the parent image, Amazon's eks-optimized-ami-windows for the windows-base
// route, the execution role and the parameter it publishes, the cached images, the Fast
// Launch prerequisites of every distribution region and who may enable it there, the
// spec's KMS keys (exist, enabled, symmetric, and usable for EBS by Image Builder and the
// target accounts' cross-account role under the key policy and grants, evaluated as AWS
// KMS does) and its build log bucket.
// Preflight runs the same checks, without the registry reads, for build and apply.
//
// `winami iam-policy` prints OperatorPolicy, InstancePolicy and TargetAccountPolicy: the
// least-privilege policies of whoever runs winami, of the build instance's role and of the
// role each target account makes for Image Builder's cross-account distribution.
package preflight
