// Package eks serves the part of Amazon EKS that winami calls, over restJson1:
// DescribeCluster, DescribeClusterVersions, a minimal CreateCluster so tests can make
// a cluster over HTTP, and managed node groups (CreateNodegroup, DescribeNodegroup,
// ListNodegroups, DeleteNodegroup, UpdateNodegroupConfig, UpdateNodegroupVersion,
// DescribeUpdate, ListUpdates).
//
// A managed node group runs on the user's launch template, whose version names the AMI
// (a custom AMI node group: amiType CUSTOM, releaseVersion the AMI id), or, made without a
// launch template, on the EKS-optimized Windows AMI of its amiType and releaseVersion
// (the seeded /aws/service/ami-windows-latest parameters and their history) through a
// launch template EKS makes, eks-<uuid>; UpdateNodegroupVersion then moves it to a later
// release (the latest when none is given) with a new version of that template. Its Auto Scaling
// group, eks-<node group>-<uuid> with EKS's tags, is created and driven through
// Server.AutoScaling: the node group is CREATING until the group has its desired
// instances InService, then ACTIVE. UpdateNodegroupVersion points the group at another
// version of the same template and replaces its instances maxUnavailable at a time (new
// ones first with the DEFAULT strategy, old ones first with MINIMAL) through a refresh
// the account does not see; the update is InProgress until the replacement ends, then
// Successful, or Failed with the group back on the previous version. UpdateNodegroupConfig
// changes the group's sizes at once and is InProgress for ConfigUpdateDuration. While an
// update is InProgress the node group is UPDATING and refuses another one
// (ResourceInUseException). DeleteNodegroup scales the group to zero, deletes it when its
// instances are gone, then forgets the node group. The service is an awsemu.Ticker.
//
// Clusters are regional. A cluster made with CreateCluster is CREATING for
// ClusterCreateDuration on the server's clock, then ACTIVE; SeedCluster adds an ACTIVE
// cluster directly (with the endpoint and certificate authority of a real API server
// when a test has one). Unknown clusters answer ResourceNotFoundException (404).
//
// DescribeClusterVersions lists the Kubernetes versions of package world (world.json) with their
// support status (STANDARD_SUPPORT, EXTENDED_SUPPORT), plus a few older UNSUPPORTED
// versions that only includeAll shows; release and end-of-support dates are EKS's published
// calendar. It filters by clusterType, versionStatus (and the deprecated status),
// clusterVersions and defaultOnly, newest version first, and paginates with maxResults
// (1–100) and an opaque nextToken.
package eks
