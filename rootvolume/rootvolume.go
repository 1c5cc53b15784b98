package rootvolume

import (
	"fmt"
	"math"
	"strings"
)

// Defaults of the formula.
const (
	// EKSOptimizedParentGiB is the root volume of the EKS-optimized Windows AMIs.
	EKSOptimizedParentGiB = 50
	// WindowsBaseParentGiB is the root volume of the Windows Server base AMIs.
	WindowsBaseParentGiB = 30
	// Headroom multiplies the cache's uncompressed size: containerd keeps the compressed
	// blobs in its content store next to the unpacked snapshots (Windows layers compress
	// to roughly 35–40 % of their size).
	Headroom = 1.5
	// FreeGiB is left free for Windows updates, logs and pods (kubelet starts evicting
	// at 10–15 % free).
	FreeGiB = 20
	// MinimumGiB is the smallest size the formula gives.
	MinimumGiB = 50
	// EstimatePerImageGiB is the uncompressed size assumed for an image that was not
	// measured (no registry read, or the registry could not be read): a Windows Server
	// Core based image (.NET Framework, ASP.NET) is 2–4 GiB compressed and about twice
	// that extracted.
	EstimatePerImageGiB = 8
)

const gib = 1 << 30

// Cache is what is known of the images to cache.
type Cache struct {
	// Images is the number of images to cache.
	Images int `json:"images"`
	// MeasuredImages were read from their registries; MeasuredBytes is their
	// uncompressed size, a layer shared by several images counted once.
	MeasuredImages int   `json:"measuredImages"`
	MeasuredBytes  int64 `json:"measuredBytes"`
	// MeasuredEstimated is set when part of MeasuredBytes is itself an estimate
	// (compressed layer size × expansion, not downloaded).
	MeasuredEstimated bool `json:"measuredEstimated,omitempty"`
	// EstimatedImages = Images − MeasuredImages: each counts EstimatePerImageGiB.
	EstimatedImages int `json:"estimatedImages"`
	// EstimateReasons say why images were estimated ("--no-registry", "missing: …").
	EstimateReasons []string `json:"estimateReasons,omitempty"`
}

// Estimated is a cache of n images of which none was measured, for reason.
func Estimated(n int, reason string) Cache {
	c := Cache{Images: n, EstimatedImages: n}
	if n > 0 && reason != "" {
		c.EstimateReasons = []string{reason}
	}
	return c
}

// Options are the formula's other inputs; zero values take the defaults.
type Options struct {
	// ParentGiB is the parent AMI's root volume (EKSOptimizedParentGiB when ≤ 0).
	ParentGiB int
	// Headroom multiplies the cache size (Headroom when ≤ 0).
	Headroom float64
	// FreeGiB is left free (FreeGiB when 0; negative for none).
	FreeGiB int
	// MinimumGiB is the smallest answer (MinimumGiB when 0; negative for none).
	MinimumGiB int
}

// Size is the answer of [Compute] with every input, so that it can be shown.
type Size struct {
	// ParentGiB is the parent AMI's root volume.
	ParentGiB int `json:"parentGiB"`
	Cache
	// EstimatePerImageGiB is what each estimated image counts.
	EstimatePerImageGiB int `json:"estimatePerImageGiB"`
	// EstimatedBytes = EstimatedImages × EstimatePerImageGiB.
	EstimatedBytes int64 `json:"estimatedBytes"`
	// CacheBytes = MeasuredBytes + EstimatedBytes.
	CacheBytes int64   `json:"cacheBytes"`
	Headroom   float64 `json:"headroom"`
	FreeGiB    int     `json:"freeGiB"`
	MinimumGiB int     `json:"minimumGiB"`
	// GiB is the recommended root volume.
	GiB int `json:"gib"`
	// Formula spells out how GiB was computed.
	Formula string `json:"formula"`
}

// Compute applies the formula to a cache.
func Compute(c Cache, o Options) Size {
	if o.ParentGiB <= 0 {
		o.ParentGiB = EKSOptimizedParentGiB
	}
	if o.Headroom <= 0 {
		o.Headroom = Headroom
	}
	switch {
	case o.FreeGiB == 0:
		o.FreeGiB = FreeGiB
	case o.FreeGiB < 0:
		o.FreeGiB = 0
	}
	switch {
	case o.MinimumGiB == 0:
		o.MinimumGiB = MinimumGiB
	case o.MinimumGiB < 0:
		o.MinimumGiB = 0
	}
	if c.EstimatedImages < 0 {
		c.EstimatedImages = 0
	}
	s := Size{
		ParentGiB: o.ParentGiB, Cache: c, EstimatePerImageGiB: EstimatePerImageGiB,
		EstimatedBytes: int64(c.EstimatedImages) * EstimatePerImageGiB * gib,
		Headroom:       o.Headroom, FreeGiB: o.FreeGiB, MinimumGiB: o.MinimumGiB,
	}
	s.CacheBytes = c.MeasuredBytes + s.EstimatedBytes
	s.GiB = o.ParentGiB + int(math.Ceil(float64(s.CacheBytes)/gib*o.Headroom)) + o.FreeGiB
	if s.GiB < o.MinimumGiB {
		s.GiB = o.MinimumGiB
	}
	s.Formula = s.formula()
	return s
}

// formula is "50 GiB parent + ceil((2.10 GiB measured, 2 images + 8 GiB × 1 estimated)
// × 1.50 headroom) + 20 GiB free = 87 GiB (minimum 50)".
func (s Size) formula() string {
	var cache []string
	if s.MeasuredImages > 0 || s.EstimatedImages == 0 {
		est := ""
		if s.MeasuredEstimated {
			est = " (estimated)"
		}
		cache = append(cache, fmt.Sprintf("%.2f GiB%s uncompressed of %s measured", float64(s.MeasuredBytes)/gib, est, plural(s.MeasuredImages, "image")))
	}
	if s.EstimatedImages > 0 {
		cache = append(cache, fmt.Sprintf("%d GiB × %s estimated", s.EstimatePerImageGiB, plural(s.EstimatedImages, "image")))
	}
	return fmt.Sprintf("%d GiB parent + ceil((%s) × %.2f headroom) + %d GiB free = %d GiB (minimum %d)",
		s.ParentGiB, strings.Join(cache, " + "), s.Headroom, s.FreeGiB, s.GiB, s.MinimumGiB)
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}
