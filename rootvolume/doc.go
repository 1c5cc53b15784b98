// Package rootvolume is the one formula of the root volume an AMI with cached container
// images needs: winami images check, plan, apply and render (offline) all size
// rootVolumeSize: auto with [Compute], so they give the same answer for the same spec.
//
//	GiB = max(Minimum, Parent + ceil(CacheGiB × Headroom) + Free)
//	CacheGiB = measured uncompressed bytes (shared layers once) + EstimatePerImageGiB × images not measured
//
// The package imports nothing but the standard library: imagebuilder uses it without
// depending on a registry client.
package rootvolume
