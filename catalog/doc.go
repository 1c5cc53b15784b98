// Package catalog holds the Windows and EKS facts winami relies on: Windows Server
// versions with their builds and container tags, editions, the Kubernetes versions that
// have EKS-optimized Windows AMIs, the SSM public parameter and AMI names, the AMI owner
// accounts and the Amazon-managed Image Builder components.
//
// The list of live Kubernetes versions comes from EKS DescribeClusterVersions at run
// time; KubernetesVersions is the built-in fallback.
package catalog
