package prune

import (
	"testing"
	"time"
)

// TestKarpenterPrefers follows compareAMI (karpenter-provider-aws v1.14.1,
// pkg/providers/amifamily/ami.go): not deprecated first, then newer, then the greater name.
func TestKarpenterPrefers(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name string
		a, b selectedImage
		want bool
	}{
		{"newer wins", selectedImage{created: day(2)}, selectedImage{created: day(1)}, true},
		{"older loses", selectedImage{created: day(1)}, selectedImage{created: day(2)}, false},
		{"not deprecated beats a newer deprecated one", selectedImage{created: day(1)}, selectedImage{created: day(9), deprecated: true}, true},
		{"deprecated loses to an older one", selectedImage{created: day(9), deprecated: true}, selectedImage{created: day(1)}, false},
		{"same second: greater name", selectedImage{created: day(1).Add(300 * time.Millisecond), name: "b"}, selectedImage{created: day(1), name: "a"}, true},
	} {
		if got := karpenterPrefers(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: karpenterPrefers = %v, want %v", tc.name, got, tc.want)
		}
	}
}
