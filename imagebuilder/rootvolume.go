package imagebuilder

import (
	"context"
	"fmt"
	"math"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
)

// Sizer measures the disk the cached images take once extracted.
type Sizer interface {
	// CacheBytes returns the bytes the images take on disk (layers shared between images
	// counted once) and whether the figure is an estimate.
	CacheBytes(ctx context.Context, refs []string) (bytes int64, estimated bool, err error)
}

// SizerFunc adapts a function to Sizer.
type SizerFunc func(ctx context.Context, refs []string) (int64, bool, error)

// CacheBytes calls f.
func (f SizerFunc) CacheBytes(ctx context.Context, refs []string) (int64, bool, error) {
	return f(ctx, refs)
}

// Root volume sizing for rootVolumeSize: auto.
const (
	// EstimatePerImageGiB is what EstimateSizer assumes each cached image takes once
	// extracted when nothing is measured: a Windows Server Core based image (.NET
	// Framework, ASP.NET) is 2–4 GiB compressed and about twice that extracted.
	EstimatePerImageGiB = 8
	// CacheHeadroom multiplies the measured cache size (containerd keeps the compressed
	// blobs next to the extracted snapshots while pulling).
	CacheHeadroom = 1.5
	// FreeSpaceGiB is left free on the root volume for Windows updates, logs and pods.
	FreeSpaceGiB = 20
	// MinRootVolumeGiB is the smallest size auto gives (and Image Builder's Windows default).
	MinRootVolumeGiB = 50
)

// Root volumes of the Amazon parent AMIs, GiB: what rootVolumeSize: auto assumes for the
// parent when it cannot read the parent AMI (winami render, offline).
const (
	// EKSOptimizedRootVolumeGiB is the root volume of the EKS-optimized Windows AMIs.
	EKSOptimizedRootVolumeGiB = 50
	// WindowsBaseRootVolumeGiB is the root volume of the Windows Server base AMIs.
	WindowsBaseRootVolumeGiB = 30
)

// EstimateSizer assumes EstimatePerImageGiB per image, without any registry call.
var EstimateSizer = SizerFunc(func(_ context.Context, refs []string) (int64, bool, error) {
	return estimatedCacheBytes(len(refs)), true, nil
})

func estimatedCacheBytes(images int) int64 { return int64(images) * EstimatePerImageGiB << 30 }

// EstimatedRootVolumeGiB is the root volume rootVolumeSize: auto gives a parent of
// parentGiB when nothing is measured: AutoRootVolumeGiB with EstimatePerImageGiB per cached
// image. It is what plan and apply give with --no-registry (or when no registry can be
// read), and what winami render writes offline, with the parent's documented root volume
// (EKSOptimizedRootVolumeGiB or WindowsBaseRootVolumeGiB) since it reads no AMI; so
// resources created from rendered requests match what plan wants.
func EstimatedRootVolumeGiB(parentGiB int32, images int) int32 {
	return AutoRootVolumeGiB(parentGiB, estimatedCacheBytes(images))
}

// AutoRootVolumeGiB is parent + cache × CacheHeadroom + FreeSpaceGiB, rounded up to GiB,
// at least MinRootVolumeGiB: the one formula of rootVolumeSize: auto, measured or estimated.
func AutoRootVolumeGiB(parentGiB int32, cacheBytes int64) int32 {
	cache := math.Ceil(float64(cacheBytes) * CacheHeadroom / (1 << 30))
	size := int32(parentGiB) + int32(cache) + FreeSpaceGiB
	if size < MinRootVolumeGiB {
		size = MinRootVolumeGiB
	}
	return size
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
	var bytes int64
	estimated := false
	if len(r.d.CacheImages) > 0 {
		sizer := r.opts.Sizer
		if sizer == nil {
			sizer = EstimateSizer
		}
		var err error
		if bytes, estimated, err = sizer.CacheBytes(ctx, r.d.CacheImages); err != nil {
			return fmt.Errorf("sizing the root volume from the cached images: %w", err)
		}
	}
	size := AutoRootVolumeGiB(parent.RootVolumeGiB, bytes)
	r.plan.RootVolumeGiB, r.plan.RootVolumeEstimated = size, estimated
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
