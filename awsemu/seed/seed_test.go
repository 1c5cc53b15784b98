package seed_test

import (
	"strings"
	"testing"

	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/awsemu/world"
)

func TestWorld(t *testing.T) {
	images := map[string]map[string]bool{} // region → id
	byID := map[string]string{}            // region/id → name
	created := map[string]string{}
	for _, img := range seed.Images() {
		if images[img.Region] == nil {
			images[img.Region] = map[string]bool{}
		}
		if images[img.Region][img.ID] {
			t.Fatalf("duplicate id %s in %s", img.ID, img.Region)
		}
		images[img.Region][img.ID] = true
		byID[img.Region+"/"+img.ID] = img.Name
		created[img.Region+"/"+img.ID] = img.CreationDate.Format("2006.01.02")
		if img.ID != seed.ImageID(img.Region, img.Name) || len(img.ID) != 21 {
			t.Errorf("%s: id %s is not the deterministic one", img.Name, img.ID)
		}
		if img.OwnerID != world.AmazonOwner() || !img.Public || img.Platform != "windows" || img.State != "available" ||
			img.RootDeviceName != "/dev/sda1" || len(img.BlockDevices) != 1 || img.BlockDevices[0].SnapshotID != seed.SnapshotID(img.Region, img.Name) {
			t.Errorf("%s: %+v", img.Name, img)
		}
		want := int32(seed.BaseVolumeGiB)
		if _, released, ok := world.ParseEKSOptimizedAMIName(img.Name); ok {
			want = seed.EKSVolumeGiB
			if released.Format("2006.01.02") != created[img.Region+"/"+img.ID] {
				t.Errorf("%s created %s", img.Name, created[img.Region+"/"+img.ID])
			}
		} else if !strings.Contains(img.Name, "-Base-") {
			t.Errorf("unexpected AMI name %s", img.Name)
		}
		if img.BlockDevices[0].VolumeSize != want {
			t.Errorf("%s: %d GiB, want %d", img.Name, img.BlockDevices[0].VolumeSize, want)
		}
	}
	if len(images) != len(seed.Regions()) || len(seed.Regions()) < 6 {
		t.Fatalf("images in %d regions, %d seeded regions", len(images), len(seed.Regions()))
	}

	params := map[string]bool{}
	for _, p := range seed.Parameters() {
		params[p.Region+" "+p.Name] = true
		if len(p.History) < 3 || len(p.History) > 4 {
			t.Errorf("%s %s: %d versions, want 3 or 4", p.Region, p.Name, len(p.History))
		}
		for i, h := range p.History {
			name, ok := byID[p.Region+"/"+h.Value]
			if !ok {
				t.Fatalf("%s %s v%d: %s is not a seeded AMI of the region", p.Region, p.Name, i+1, h.Value)
			}
			if created[p.Region+"/"+h.Value] != h.LastModified.Format("2006.01.02") && !strings.HasSuffix(p.Name, "-Base") {
				t.Errorf("%s v%d: written %s, AMI %s created %s", p.Name, i+1, h.LastModified.Format("2006.01.02"), name, created[p.Region+"/"+h.Value])
			}
			if i > 0 && !h.LastModified.After(p.History[i-1].LastModified) {
				t.Errorf("%s: history not oldest first", p.Name)
			}
		}
		if last := p.History[len(p.History)-1].LastModified.Format("2006-01-02"); !strings.HasSuffix(p.Name, "-Base") && last != "2026-11-12" {
			t.Errorf("%s: newest release %s, want 2026-11-12", p.Name, last)
		}
	}
	for _, region := range seed.Regions() {
		want := map[string]bool{}
		for _, w := range world.WindowsVersions() {
			for _, ed := range world.Editions() {
				want[world.BaseParameter(w, ed)] = true
				for _, k := range world.KubernetesVersions() {
					if world.Supported(w, k) {
						want[world.EKSOptimizedParameter(w, ed, k)] = true
					}
				}
			}
		}
		for name := range want {
			if !params[region+" "+name] {
				t.Errorf("%s: no %s", region, name)
			}
		}
		for key := range params {
			if name, ok := strings.CutPrefix(key, region+" "); ok && !want[name] {
				t.Errorf("%s: %s present, want absent", region, name)
			}
		}
		// Windows Server 2025 has EKS-optimized AMIs from Kubernetes 1.35 only.
		if name := "/aws/service/ami-windows-latest/Windows_Server-2025-English-Core-EKS_Optimized-1.34/image_id"; params[region+" "+name] {
			t.Errorf("%s: %s present, want absent", region, name)
		}
	}
}

func TestCopiesAreIndependent(t *testing.T) {
	a := seed.Images()
	a[0].BlockDevices[0].SnapshotID = "changed"
	a[0].Name = "changed"
	if b := seed.Images(); b[0].BlockDevices[0].SnapshotID == "changed" || b[0].Name == "changed" {
		t.Error("Images shares state between callers")
	}
	p := seed.Parameters()
	p[0].History[0].Value = "changed"
	if seed.Parameters()[0].History[0].Value == "changed" {
		t.Error("Parameters shares state between callers")
	}
}
