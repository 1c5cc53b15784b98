// Package resolve finds the EKS-optimized Windows AMIs for a matrix of Windows versions,
// editions, Kubernetes versions and regions from the SSM public parameters, at the API's
// floor: GetParameters with up to ten names a request, regions in parallel, one client
// per region. It can add each AMI's details (DescribeImages, batched) and each
// parameter's history (GetParameterHistory), the data needed to pin a release.
package resolve
