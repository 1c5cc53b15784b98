// Package preflight knows, before a build, what would make it fail: `winami doctor`
// (Doctor) checks the credentials, the caller's permissions (SimulatePrincipalPolicy over
// the exact actions), the build instance profile and its role's policies (SSM, Image
// Builder, ECR read of the cached repositories), the build network, the parent image,
// the cached images and the Fast Launch prerequisites of every distribution region.
//
// `winami iam-policy` prints OperatorPolicy and InstancePolicy: the least-privilege
// policies of whoever runs winami and of the build instance's role.
package preflight
