package images

import (
	"fmt"

	"github.com/winami/winami/rootvolume"
)

// Totals sum the compatible images' layers, counting a layer shared by several images
// once.
//
// The recommended root volume is package rootvolume's formula, the one plan, apply and
// render use for rootVolumeSize: auto:
//
//	RootVolumeGiB = max(Minimum, ParentVolumeGiB + ceil(CacheGiB × Headroom) + FreeGiB)
//
// where CacheGiB is the compatible images' uncompressed size plus
// rootvolume.EstimatePerImageGiB for each image that could not be read (missing or
// unreadable); an incompatible image counts nothing (it is not cached as is). The
// headroom (1.5 by default) covers the compressed blobs containerd keeps in its content
// store next to the unpacked snapshots; FreeGiB (20 by default) is left free for Windows
// updates, logs and pods. RootVolume carries every input.
type Totals struct {
	Images       int `json:"images"`
	Compatible   int `json:"compatible"`
	Incompatible int `json:"incompatible"`
	Missing      int `json:"missing"`
	Errors       int `json:"errors"`
	// UniqueLayers is the number of distinct layers of the compatible images.
	UniqueLayers int `json:"uniqueLayers"`
	// CompressedBytes and UncompressedBytes count each distinct layer once.
	CompressedBytes   int64 `json:"compressedBytes"`
	UncompressedBytes int64 `json:"uncompressedBytes"`
	// UncompressedEstimated is true when part of UncompressedBytes is an estimate.
	UncompressedEstimated bool `json:"uncompressedEstimated"`
	// SharedBytes is the compressed size saved by counting shared layers once.
	SharedBytes int64 `json:"sharedBytes"`
	// ParentVolumeGiB, Headroom, FreeGiB and RootVolumeGiB: see the formula above.
	ParentVolumeGiB int     `json:"parentVolumeGiB"`
	Headroom        float64 `json:"headroom"`
	FreeGiB         int     `json:"freeGiB"`
	RootVolumeGiB   int     `json:"rootVolumeGiB"`
	// Formula spells out how RootVolumeGiB was computed.
	Formula string `json:"formula"`
	// RootVolume is the recommendation with all its inputs (parent, measured bytes,
	// images estimated and why, headroom, free, minimum).
	RootVolume rootvolume.Size `json:"rootVolume"`
}

// totals sums the compatible images' layers, each distinct layer once.
func totals(ims []Image, opts Options) Totals {
	t := Totals{Images: len(ims)}
	seen := map[string]bool{}
	var all int64
	for _, im := range ims {
		switch im.Status {
		case StatusCompatible:
			t.Compatible++
		case StatusIncompatible:
			t.Incompatible++
		case StatusMissing:
			t.Missing++
		default:
			t.Errors++
		}
		for _, l := range im.Layers {
			all += l.Size
			if seen[l.Digest] {
				continue
			}
			seen[l.Digest] = true
			t.UniqueLayers++
			t.CompressedBytes += l.Size
			t.UncompressedBytes += l.UncompressedSize
			t.UncompressedEstimated = t.UncompressedEstimated || l.Estimated
		}
	}
	t.SharedBytes = all - t.CompressedBytes
	t.RootVolume = rootvolume.Compute(CacheOf(ims), volumeOptions(opts))
	t.ParentVolumeGiB, t.Headroom, t.FreeGiB = t.RootVolume.ParentGiB, t.RootVolume.Headroom, t.RootVolume.FreeGiB
	t.RootVolumeGiB, t.Formula = t.RootVolume.GiB, t.RootVolume.Formula
	return t
}

// CacheOf is what checked images tell package rootvolume: the compatible images are
// measured (their uncompressed size, each distinct layer once); a missing or unreadable
// image is estimated, with its reference and status as the reason; an incompatible
// image counts nothing.
func CacheOf(ims []Image) rootvolume.Cache {
	c := rootvolume.Cache{}
	seen := map[string]bool{}
	for _, im := range ims {
		switch im.Status {
		case StatusIncompatible:
			continue
		case StatusCompatible:
			c.Images++
			c.MeasuredImages++
			for _, l := range im.Layers {
				if !seen[l.Digest] {
					seen[l.Digest] = true
					c.MeasuredBytes += l.UncompressedSize
					c.MeasuredEstimated = c.MeasuredEstimated || l.Estimated
				}
			}
		default:
			c.Images++
			c.EstimatedImages++
			c.EstimateReasons = append(c.EstimateReasons, fmt.Sprintf("%s: %s", im.Ref, im.Status))
		}
	}
	return c
}

func volumeOptions(opts Options) rootvolume.Options {
	// The same conventions (zero: the default; negative: none), so the options pass as they are.
	return rootvolume.Options{ParentGiB: opts.ParentVolumeGiB, Headroom: opts.Headroom, FreeGiB: opts.FreeGiB, MinimumGiB: opts.MinimumGiB}
}

// RootVolumeGiB is parentGiB + ceil(uncompressedBytes/GiB × headroom) + freeGiB: package
// rootvolume's formula for a measured cache of uncompressedBytes, without its minimum
// ([Totals] apply the minimum).
func RootVolumeGiB(parentGiB int, uncompressedBytes int64, headroom float64, freeGiB int) int {
	if freeGiB == 0 {
		freeGiB = -1
	}
	return rootvolume.Compute(rootvolume.Cache{MeasuredBytes: uncompressedBytes},
		rootvolume.Options{ParentGiB: parentGiB, Headroom: headroom, FreeGiB: freeGiB, MinimumGiB: -1}).GiB
}
