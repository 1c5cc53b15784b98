package imagebuilder

import (
	"strings"
	"testing"

	"github.com/winami/winami/rootvolume"
)

func TestNextVersion(t *testing.T) {
	for _, tt := range []struct {
		base     string
		existing []string
		want     string
	}{
		{"1.0.0", nil, "1.0.0"},
		{"", nil, "1.0.0"},
		{"1.0.0", []string{"1.0.0"}, "1.0.1"},
		{"1.0.0", []string{"1.0.9", "1.0.10", "1.0.2"}, "1.0.11"},
		{"2.0.0", []string{"1.0.3"}, "2.0.0"},
		{"1.0.0", []string{"1.2.0"}, "1.2.1"},
	} {
		if got := nextVersion(tt.base, tt.existing); got != tt.want {
			t.Errorf("nextVersion(%q, %v) = %q, want %q", tt.base, tt.existing, got, tt.want)
		}
	}
}

func TestDiffSubset(t *testing.T) {
	want := map[string]any{"instanceTypes": []any{"m6i.2xlarge"}, "subnetId": "subnet-2", "logging": nil, "terminateInstanceOnFailure": false}
	got := map[string]any{"instanceTypes": []any{"m6i.2xlarge"}, "subnetId": "subnet-1", "dateCreated": "x", "terminateInstanceOnFailure": true}
	paths := diffSubset("", want, got)
	if strings.Join(paths, ",") != "subnetId,terminateInstanceOnFailure" {
		t.Fatalf("paths %v", paths)
	}
	if r := describeDiff(paths, want, got); !strings.Contains(r, "subnetId: subnet-1 → subnet-2") {
		t.Errorf("reason %q", r)
	}
	if p := diffSubset("", map[string]any{"a": []any{map[string]any{"x": 1.0}}}, map[string]any{"a": []any{map[string]any{"x": 1.0, "y": 2.0}}}); len(p) != 0 {
		t.Errorf("fields the service adds are changes: %v", p)
	}
	if p := diffSubset("", map[string]any{"a": []any{1.0}}, map[string]any{"a": []any{1.0, 2.0}}); len(p) != 1 || p[0] != "a" {
		t.Errorf("a longer list is not a change: %v", p)
	}
}

func TestClientTokenFromContent(t *testing.T) {
	a, b, c := clientToken("Op", "x"), clientToken("Op", "x"), clientToken("Op", "y")
	if a != b || a == c || len(a) > 64 || len(a) == 0 {
		t.Errorf("tokens %q %q %q", a, b, c)
	}
}

func TestAutoRootVolume(t *testing.T) {
	if got := AutoRootVolumeGiB(50, 10<<30); got != 50+15+20 {
		t.Errorf("AutoRootVolumeGiB(50, 10 GiB) = %d", got)
	}
	// An unknown parent volume counts as the EKS-optimized AMIs' documented 50 GiB.
	if got := AutoRootVolumeGiB(0, 0); got != EKSOptimizedRootVolumeGiB+FreeSpaceGiB {
		t.Errorf("AutoRootVolumeGiB(0, 0) = %d", got)
	}
	// Mixed: measured bytes plus the per-image estimate for the images not read.
	c := rootvolume.Cache{Images: 3, MeasuredImages: 2, MeasuredBytes: 2 << 30, EstimatedImages: 1}
	if got := AutoRootVolume(30, c); got.GiB != 30+15+20 || got.EstimatedBytes != 8<<30 || got.MinimumGiB != MinRootVolumeGiB {
		t.Errorf("AutoRootVolume(30, mixed) = %+v", got)
	}
	if got := EstimatedRootVolumeGiB(50, 2); got != 94 {
		t.Errorf("EstimatedRootVolumeGiB(50, 2) = %d, want 94", got)
	}
}

func TestRoleName(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:sts::123456789012:assumed-role/AWSServiceRoleForImageBuilder/EC2ImageBuilder":                     "AWSServiceRoleForImageBuilder",
		"arn:aws:iam::123456789012:role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder": "AWSServiceRoleForImageBuilder",
		"arn:aws:iam::123456789012:role/team/prod-exec":                                                            "prod-exec",
		"prod-exec":                                        "prod-exec",
		"arn:aws:iam::123456789012:user/ci":                "",
		"arn:aws:iam::123456789012:root":                   "",
		"arn:aws-us-gov:sts::123456789012:assumed-role/x/": "x",
	} {
		if got := roleName(in); got != want {
			t.Errorf("roleName(%q) = %q, want %q", in, got, want)
		}
	}
}
