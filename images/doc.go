// Package images answers three questions about the container images a Windows AMI
// caches: will each run on the AMI's Windows build, how much disk the cache needs, and
// which images a cluster's Windows workloads actually use.
//
// [Check] reads each image's manifest or index from its registry (go-containerregistry),
// picks the windows/amd64 entry whose os.version matches the AMI's build by
// major.minor.build (go-containerregistry's own platform matching compares os.version as
// an exact string, so it is not used), and reports the digest, os.version, compatibility,
// the ltsc tags the image does run on, and sizes. Totals count a layer shared by several
// images once and recommend a root volume size (see [Totals]).
//
// Registry access follows the tools users know: Amazon ECR through the AWS SDK
// (GetAuthorizationToken for the registry's account and region), other registries
// through the Docker config keychain, anonymous otherwise. Manifests are fetched
// concurrently, each request bounded by a timeout and retried. Layers are never
// downloaded unless [Options].MeasureUncompressed asks for it, and foreign
// (non-distributable) layers never are: their sizes come from the manifest.
//
// [Discover] lists the images that a cluster's Windows pods and workload templates use;
// [CacheCoverage] says, for one AMI, which of them it caches and the compressed bytes a
// new node must still pull (layers shared with a cached image count as cached). The root
// volume formula itself is package rootvolume's; [CacheOf] turns checked images into its
// input.
package images
