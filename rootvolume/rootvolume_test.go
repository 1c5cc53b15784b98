package rootvolume

import "testing"

func TestCompute(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Cache
		o    Options
		want int
	}{
		{"empty cache, EKS parent", Cache{}, Options{}, 50 + 20},
		{"10 GiB measured", Cache{Images: 1, MeasuredImages: 1, MeasuredBytes: 10 << 30}, Options{}, 50 + 15 + 20},
		{"rounds up", Cache{Images: 1, MeasuredImages: 1, MeasuredBytes: 1}, Options{}, 50 + 1 + 20},
		{"two estimated", Estimated(2, "--no-registry"), Options{}, 50 + 24 + 20},
		{"mixed", Cache{Images: 2, MeasuredImages: 1, MeasuredBytes: 2 << 30, EstimatedImages: 1}, Options{}, 50 + 15 + 20},
		{"windows-base parent, one estimated", Estimated(1, ""), Options{ParentGiB: WindowsBaseParentGiB}, 30 + 12 + 20},
		{"minimum applies", Cache{}, Options{ParentGiB: 30, FreeGiB: -1}, 50},
		{"no minimum", Cache{Images: 1, MeasuredImages: 1, MeasuredBytes: 1 << 29}, Options{ParentGiB: 30, Headroom: 2, FreeGiB: 5, MinimumGiB: -1}, 36},
	} {
		s := Compute(tc.c, tc.o)
		if s.GiB != tc.want {
			t.Errorf("%s: %d GiB, want %d (%s)", tc.name, s.GiB, tc.want, s.Formula)
		}
		if s.CacheBytes != tc.c.MeasuredBytes+int64(tc.c.EstimatedImages)*EstimatePerImageGiB<<30 {
			t.Errorf("%s: cache bytes %d", tc.name, s.CacheBytes)
		}
	}
}
