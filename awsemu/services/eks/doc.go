// Package eks serves the part of Amazon EKS that winami calls, over restJson1:
// DescribeCluster, DescribeClusterVersions, and a minimal CreateCluster so tests can make
// a cluster over HTTP.
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
