package images

import (
	"testing"

	"github.com/winami/winami/rootvolume"
)

func TestCacheOf(t *testing.T) {
	shared := Layer{Digest: "sha256:base", Size: 10, UncompressedSize: 100}
	ims := []Image{
		{Ref: "a", Status: StatusCompatible, Layers: []Layer{shared, {Digest: "sha256:a", Size: 1, UncompressedSize: 3}}},
		{Ref: "b", Status: StatusCompatible, Layers: []Layer{shared, {Digest: "sha256:b", Size: 2, UncompressedSize: 5, Estimated: true}}},
		{Ref: "old", Status: StatusIncompatible},
		{Ref: "gone", Status: StatusMissing},
		{Ref: "denied", Status: StatusError},
	}
	c := CacheOf(ims)
	want := rootvolume.Cache{Images: 4, MeasuredImages: 2, MeasuredBytes: 108, MeasuredEstimated: true, EstimatedImages: 2}
	if c.Images != want.Images || c.MeasuredImages != want.MeasuredImages || c.MeasuredBytes != want.MeasuredBytes ||
		c.MeasuredEstimated != want.MeasuredEstimated || c.EstimatedImages != want.EstimatedImages ||
		len(c.EstimateReasons) != 2 || c.EstimateReasons[0] != "gone: missing" || c.EstimateReasons[1] != "denied: error" {
		t.Errorf("CacheOf = %+v, want %+v (shared layer once, incompatible not counted, missing and error estimated)", c, want)
	}
	// Totals carry the same answer as the formula applied to CacheOf.
	tot := totals(ims, Options{}.withDefaults())
	if got := rootvolume.Compute(c, rootvolume.Options{ParentGiB: DefaultParentVolumeGiB}); tot.RootVolume.GiB != got.GiB || tot.RootVolumeGiB != got.GiB || got.GiB != 50+25+20 { // 16 GiB estimated + 108 bytes, × 1.5, rounded up
		t.Errorf("totals %d GiB (%s), formula %d GiB", tot.RootVolumeGiB, tot.Formula, got.GiB)
	}
}
