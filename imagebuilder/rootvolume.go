package imagebuilder

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"

	"github.com/winami/winami/rootvolume"
)

// Sizer measures the disk the cached images take once extracted.
type Sizer interface {
	// MeasureCache says what is known of the images' size: measured where their
	// registries could be read (layers shared between images counted once), estimated
	// (rootvolume.EstimatePerImageGiB each, with the reason) for the others.
	MeasureCache(ctx context.Context, refs []string) (rootvolume.Cache, error)
}

// SizerFunc adapts a function to Sizer.
type SizerFunc func(ctx context.Context, refs []string) (rootvolume.Cache, error)

// MeasureCache calls f.
func (f SizerFunc) MeasureCache(ctx context.Context, refs []string) (rootvolume.Cache, error) {
	return f(ctx, refs)
}

// Root volume sizing for rootVolumeSize: auto: package rootvolume's formula, the one
// winami images check uses too. These names are kept for callers of this package.
const (
	// EstimatePerImageGiB is what EstimateSizer assumes each cached image takes once
	// extracted when nothing is measured.
	EstimatePerImageGiB = rootvolume.EstimatePerImageGiB
	// CacheHeadroom multiplies the cache size.
	CacheHeadroom = rootvolume.Headroom
	// FreeSpaceGiB is left free on the root volume for Windows updates, logs and pods.
	FreeSpaceGiB = rootvolume.FreeGiB
	// MinRootVolumeGiB is the smallest size auto gives.
	MinRootVolumeGiB = rootvolume.MinimumGiB
)

// Root volumes of the Amazon parent AMIs, GiB: what rootVolumeSize: auto assumes for the
// parent when it cannot read the parent AMI (winami render, offline).
const (
	// EKSOptimizedRootVolumeGiB is the root volume of the EKS-optimized Windows AMIs.
	EKSOptimizedRootVolumeGiB = rootvolume.EKSOptimizedParentGiB
	// WindowsBaseRootVolumeGiB is the root volume of the Windows Server base AMIs.
	WindowsBaseRootVolumeGiB = rootvolume.WindowsBaseParentGiB
)

// NotMeasured is the reason given for images sized without reading their registries.
const NotMeasured = "not measured: no registry read (--no-registry, or render offline)"

// EstimateSizer assumes EstimatePerImageGiB per image, without any registry call.
var EstimateSizer = SizerFunc(func(_ context.Context, refs []string) (rootvolume.Cache, error) {
	return rootvolume.Estimated(len(refs), NotMeasured), nil
})

// EstimatedRootVolumeGiB is the root volume rootVolumeSize: auto gives a parent of
// parentGiB when nothing is measured: EstimatePerImageGiB per cached image. It is what
// plan and apply give with --no-registry, and what winami render writes offline, with the
// parent's documented root volume (EKSOptimizedRootVolumeGiB or WindowsBaseRootVolumeGiB)
// since it reads no AMI; so resources created from rendered requests match what plan wants.
func EstimatedRootVolumeGiB(parentGiB int32, images int) int32 {
	return int32(AutoRootVolume(parentGiB, rootvolume.Estimated(images, NotMeasured)).GiB)
}

// AutoRootVolumeGiB is the rootVolumeSize: auto size of a parent of parentGiB and a
// measured cache of cacheBytes (uncompressed, shared layers once).
func AutoRootVolumeGiB(parentGiB int32, cacheBytes int64) int32 {
	return int32(AutoRootVolume(parentGiB, rootvolume.Cache{MeasuredBytes: cacheBytes}).GiB)
}

// AutoRootVolume is package rootvolume's formula with its defaults for a parent of
// parentGiB (the EKS-optimized AMIs' 50 GiB when unknown) and cache c.
func AutoRootVolume(parentGiB int32, c rootvolume.Cache) rootvolume.Size {
	return rootvolume.Compute(c, rootvolume.Options{ParentGiB: int(parentGiB)})
}

// sizeRootVolume fills the recipe's root volume size when the spec says auto.
func (r *run) sizeRootVolume(ctx context.Context, recipe *ib.CreateImageRecipeInput, parent ParentImage) error {
	device := parent.RootDevice
	if device == "" {
		device = "/dev/sda1" // Windows AMIs' root device
	}
	if !r.d.RootVolumeAuto {
		for _, m := range recipe.BlockDeviceMappings {
			if aws.ToString(m.DeviceName) == device && m.Ebs != nil {
				r.plan.RootVolumeGiB = aws.ToInt32(m.Ebs.VolumeSize)
			}
		}
		return nil
	}
	var cache rootvolume.Cache
	if len(r.d.CacheImages) > 0 {
		sizer := r.opts.Sizer
		if sizer == nil {
			sizer = EstimateSizer
		}
		var err error
		if cache, err = sizer.MeasureCache(ctx, r.d.CacheImages); err != nil {
			return fmt.Errorf("sizing the root volume from the cached images: %w", err)
		}
	}
	rv := AutoRootVolume(parent.RootVolumeGiB, cache)
	size := int32(rv.GiB)
	r.plan.RootVolumeGiB, r.plan.RootVolume = size, &rv
	r.plan.RootVolumeEstimated = cache.EstimatedImages > 0 || cache.MeasuredEstimated
	for i, m := range recipe.BlockDeviceMappings {
		if aws.ToString(m.DeviceName) == device {
			if m.Ebs == nil {
				recipe.BlockDeviceMappings[i].Ebs = &types.EbsInstanceBlockDeviceSpecification{}
			}
			recipe.BlockDeviceMappings[i].Ebs.VolumeSize = aws.Int32(size)
			if recipe.BlockDeviceMappings[i].Ebs.VolumeType == "" {
				recipe.BlockDeviceMappings[i].Ebs.VolumeType = types.EbsVolumeTypeGp3
			}
			return nil
		}
	}
	recipe.BlockDeviceMappings = append(recipe.BlockDeviceMappings, types.InstanceBlockDeviceMapping{
		DeviceName: aws.String(device),
		Ebs: &types.EbsInstanceBlockDeviceSpecification{
			VolumeSize: aws.Int32(size), VolumeType: types.EbsVolumeTypeGp3, DeleteOnTermination: aws.Bool(true),
		},
	})
	return nil
}
