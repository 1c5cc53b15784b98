package catalog_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/winami/winami/awsemu/world"
	"github.com/winami/winami/catalog"
)

// The tests below hold catalog to the emulator's world.json: the public names and
// versions as AWS publishes them (each with its source), kept as data in the emulator
// module and never derived from this package. A parameter or AMI name catalog gets wrong
// fails here, instead of being seeded into the world every other test runs in.

func TestWindowsVersionsAndEditionsMatchWorld(t *testing.T) {
	if got, want := catalog.WindowsVersionNames(), world.WindowsVersions(); !slices.Equal(got, want) {
		t.Errorf("Windows versions %v, world.json %v", got, want)
	}
	var eds []string
	for _, ed := range catalog.Editions {
		eds = append(eds, string(ed))
	}
	if want := world.Editions(); !slices.Equal(eds, want) {
		t.Errorf("editions %v, world.json %v", eds, want)
	}
}

func TestKubernetesReleasesMatchWorld(t *testing.T) {
	got := catalog.KubernetesReleases()
	want := world.KubernetesReleases()
	if len(got) != len(want) {
		t.Fatalf("%d Kubernetes versions %v, world.json has %d: %v", len(got), got, len(want), want)
	}
	for i := range got {
		if got[i].Version != want[i].Version || got[i].Status != want[i].Status {
			t.Errorf("Kubernetes %d: %s %s, world.json %s %s", i, got[i].Version, got[i].Status, want[i].Version, want[i].Status)
		}
	}
	if got, want := catalog.LatestKubernetes(), world.LatestKubernetes(); got != want {
		t.Errorf("LatestKubernetes %s, world.json %s", got, want)
	}
}

func TestBaseNamesMatchWorld(t *testing.T) {
	const date = "2026.10.15"
	for _, f := range world.Families() {
		ed := catalog.Edition(f.Edition)
		if got := catalog.BaseParameter(f.Windows, ed); got != f.Base.Parameter {
			t.Errorf("BaseParameter(%s, %s) = %s, AWS publishes %s", f.Windows, ed, got, f.Base.Parameter)
		}
		if got, want := catalog.BaseAMIName(f.Windows, ed, date), f.Base.Name(date); got != want {
			t.Errorf("BaseAMIName(%s, %s) = %s, AWS names it %s", f.Windows, ed, got, want)
		}
		if got, want := catalog.BaseNamePattern(f.Windows, ed), f.Base.NamePattern(); got != want {
			t.Errorf("BaseNamePattern(%s, %s) = %s, want %s", f.Windows, ed, got, want)
		}
	}
}

func TestEKSOptimizedNamesMatchWorld(t *testing.T) {
	const date = "2026.10.15"
	published := 0
	for _, f := range world.Families() {
		ed := catalog.Edition(f.Edition)
		for _, k := range catalog.KubernetesVersions() {
			a, ok := world.EKSOptimized(f.Windows, f.Edition, k)
			if supported := catalog.Supported(f.Windows, k) == nil; supported != ok {
				t.Errorf("Windows %s %s, Kubernetes %s: catalog supported %v, AWS publishes AMIs %v", f.Windows, ed, k, supported, ok)
			}
			if !ok {
				continue
			}
			published++
			if got := catalog.EKSOptimizedParameter(f.Windows, ed, k); got != a.Parameter {
				t.Errorf("EKSOptimizedParameter(%s, %s, %s) = %s, AWS publishes %s", f.Windows, ed, k, got, a.Parameter)
			}
			if !strings.HasPrefix(a.Parameter, catalog.ParameterRoot) {
				t.Errorf("%s is not under ParameterRoot %s", a.Parameter, catalog.ParameterRoot)
			}
			name := a.Name(date)
			if got := catalog.EKSOptimizedAMIName(f.Windows, ed, k, date); got != name {
				t.Errorf("EKSOptimizedAMIName(%s, %s, %s) = %s, AWS names it %s", f.Windows, ed, k, got, name)
			}
			if got, want := catalog.EKSOptimizedNamePattern(f.Windows, ed, k), a.NamePattern(); got != want {
				t.Errorf("EKSOptimizedNamePattern(%s, %s, %s) = %s, want %s", f.Windows, ed, k, got, want)
			}
			n, ok := catalog.ParseAMIName(name)
			if !ok || n.Windows != f.Windows || n.Edition != ed || n.Kubernetes != k || n.Released.Format("2006.01.02") != date {
				t.Errorf("ParseAMIName(%s) = %+v %v", name, n, ok)
			}
		}
		// Every family world.json lists is one catalog knows.
		for _, a := range f.EKSOptimized {
			if !slices.Contains(catalog.KubernetesVersions(), a.Kubernetes) {
				t.Errorf("AWS publishes %s, for Kubernetes %s that catalog does not list", a.Parameter, a.Kubernetes)
			}
		}
	}
	if published == 0 {
		t.Fatal("no EKS-optimized AMI family compared")
	}
}

func TestPartitionsAndOwnersMatchWorld(t *testing.T) {
	regions := append(world.Regions(), "us-gov-west-1", "us-gov-east-1", "cn-north-1", "cn-northwest-1")
	for _, r := range regions {
		if got, want := catalog.Partition(r), world.Partition(r); got != want {
			t.Errorf("Partition(%s) = %s, world.json %s", r, got, want)
		}
		if want := world.OwnerFor(r); want != "" && catalog.OwnerFor(r) != want {
			t.Errorf("OwnerFor(%s) = %s, world.json %s", r, catalog.OwnerFor(r), want)
		}
	}
	if catalog.AmazonOwner != world.AmazonOwner() || catalog.GovCloudOwner != world.OwnerFor("us-gov-west-1") {
		t.Errorf("owners %s/%s, world.json %s/%s", catalog.AmazonOwner, catalog.GovCloudOwner, world.AmazonOwner(), world.OwnerFor("us-gov-west-1"))
	}
}

func TestManagedComponentsMatchWorld(t *testing.T) {
	if catalog.ComponentEKS != world.ComponentEKS() || catalog.ComponentUpdateWindows != world.ComponentUpdateWindows() {
		t.Errorf("components %s, %s; world.json %s, %s", catalog.ComponentEKS, catalog.ComponentUpdateWindows, world.ComponentEKS(), world.ComponentUpdateWindows())
	}
}
