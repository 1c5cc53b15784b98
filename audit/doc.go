// Package audit checks a cluster's Windows nodes against the rule the seed's production
// clusters follow: every Windows node on one AMI and one kubelet version, within the
// Kubernetes version-skew policy, on the OS build its AMI family ships.
//
// Run lists the Windows nodes with client-go (paginated), maps each node's
// spec.providerID (aws:///us-east-1a/i-…) to its EC2 instance and AMI with
// DescribeInstances batched to the API's limit of 1,000 instance IDs per request, names
// the AMIs with DescribeImages batched by image-id filter, runs the regions in parallel
// and never calls AWS once per node. It returns a Report: a summary grouped by
// (AMI, kubelet, OS build) with counts, the findings (each with a severity, the nodes it
// concerns and what to do) and the per-node details.
//
// The caller decides what the report means for the exit code: Report.Errors counts the
// findings of severity error.
//
// With Options.Coverage, Run also reports each AMI's cache coverage: the images the
// cluster's Windows pods use (images.Discover) against what the AMI records in its
// winami:cached-images tags (imagebuilder.CachedImagesTags), read for the nodes' Windows
// build (images.CacheCoverage). [CacheCoverage] does the same without the findings.
package audit
