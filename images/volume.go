package images

import (
	"fmt"
	"math"
)

// Totals sum the compatible images' layers, counting a layer shared by several images
// once.
//
// The recommended root volume is
//
//	RootVolumeGiB = ParentVolumeGiB + ceil(UncompressedGiB × Headroom) + FreeGiB
//
// The headroom (1.5 by default) covers the compressed blobs containerd keeps in its
// content store next to the unpacked snapshots (Windows layers compress to roughly
// 35–40 % of their size); FreeGiB (20 by default) is left free for Windows updates, logs
// and pods. It is the formula apply uses for rootVolumeSize: auto.
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
}

// totals sums the compatible images' layers, each distinct layer once.
func totals(ims []Image, opts Options) Totals {
	t := Totals{Images: len(ims), ParentVolumeGiB: opts.ParentVolumeGiB, Headroom: opts.Headroom, FreeGiB: opts.FreeGiB}
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
	t.RootVolumeGiB = RootVolumeGiB(opts.ParentVolumeGiB, t.UncompressedBytes, opts.Headroom, opts.FreeGiB)
	est := ""
	if t.UncompressedEstimated {
		est = " (estimated)"
	}
	t.Formula = fmt.Sprintf("%d GiB parent + ceil(%.2f GiB uncompressed cache%s × %.2f headroom) + %d GiB free = %d GiB",
		opts.ParentVolumeGiB, float64(t.UncompressedBytes)/gib, est, opts.Headroom, opts.FreeGiB, t.RootVolumeGiB)
	return t
}

const gib = 1 << 30

// RootVolumeGiB is parentGiB + ceil(uncompressedBytes/GiB × headroom) + freeGiB: the
// root volume an AMI whose parent volume is parentGiB needs to hold a cache of
// uncompressedBytes and keep freeGiB free.
func RootVolumeGiB(parentGiB int, uncompressedBytes int64, headroom float64, freeGiB int) int {
	return parentGiB + int(math.Ceil(float64(uncompressedBytes)/gib*headroom)) + freeGiB
}
