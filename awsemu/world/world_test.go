package world_test

import (
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsemu/world"
)

func TestSourcesAreAWSPages(t *testing.T) {
	for _, group := range []string{"eksOptimizedParameters", "eksOptimizedAMIVersions", "baseParameters", "kubernetesVersions", "imageBuilderManagedComponents", "partitions", "windowsAMIOwners"} {
		if u := world.Sources()[group]; !strings.HasPrefix(u, "https://docs.aws.amazon.com/") {
			t.Errorf("source of %s: %q", group, u)
		}
	}
}

func TestNamesFollowOneFamily(t *testing.T) {
	params := map[string]bool{}
	for _, f := range world.Families() {
		stem := "Windows_Server-" + f.Windows + "-English-" + f.Edition
		amis := append([]world.AMI{f.Base}, f.EKSOptimized...)
		for _, a := range amis {
			if params[a.Parameter] {
				t.Errorf("parameter %s listed twice", a.Parameter)
			}
			params[a.Parameter] = true
			if !strings.HasPrefix(a.Parameter, "/aws/service/ami-windows-latest/"+stem+"-") || !strings.HasPrefix(a.NameTemplate, stem+"-") {
				t.Errorf("%s / %s: not of Windows %s %s", a.Parameter, a.NameTemplate, f.Windows, f.Edition)
			}
			name := a.Name("2026-10-15")
			if strings.Contains(name, "YYYY") || !strings.HasSuffix(name, "-2026.10.15") {
				t.Errorf("%s: release name %s", a.NameTemplate, name)
			}
			if d, ok := a.Released(name); !ok || !d.Equal(time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("Released(%s) = %v %v", name, d, ok)
			}
			if _, ok := a.Released(name + "x"); ok {
				t.Errorf("Released accepted %sx", name)
			}
		}
		for _, a := range f.EKSOptimized {
			if !strings.HasSuffix(a.Parameter, "-EKS_Optimized-"+a.Kubernetes+"/image_id") {
				t.Errorf("%s: not the parameter of Kubernetes %s", a.Parameter, a.Kubernetes)
			}
			if !world.Supported(f.Windows, a.Kubernetes) {
				t.Errorf("%s: Kubernetes %s is not supported by EKS in world.json", a.Parameter, a.Kubernetes)
			}
			got, d, ok := world.ParseEKSOptimizedAMIName(a.Name("2026.11.12"))
			if !ok || got.Parameter != a.Parameter || d.Format("2006-01-02") != "2026-11-12" {
				t.Errorf("ParseEKSOptimizedAMIName(%s) = %+v %v %v", a.Name("2026.11.12"), got, d, ok)
			}
		}
	}
	if _, _, ok := world.ParseEKSOptimizedAMIName(world.Families()[0].Base.Name("2026.11.12")); ok {
		t.Error("a base AMI name parsed as EKS-optimized")
	}
	if world.Supported("2025", "1.34") || !world.Supported("2025", "1.35") {
		t.Error("Windows Server 2025 has EKS-optimized AMIs from Kubernetes 1.35")
	}
}

func TestPartitions(t *testing.T) {
	for region, want := range map[string]string{"us-east-1": "aws", "eu-west-1": "aws", "us-gov-west-1": "aws-us-gov", "cn-north-1": "aws-cn"} {
		if got := world.Partition(region); got != want {
			t.Errorf("Partition(%s) = %s, want %s", region, got, want)
		}
	}
	if world.AmazonOwner() != "801119661308" || world.OwnerFor("us-gov-east-1") != "077303321853" {
		t.Errorf("owners %s %s", world.AmazonOwner(), world.OwnerFor("us-gov-east-1"))
	}
}

func TestKubernetes(t *testing.T) {
	all, supported := world.AllKubernetes(), world.KubernetesReleases()
	if len(supported) == 0 || len(all) <= len(supported) {
		t.Fatalf("%d versions, %d supported", len(all), len(supported))
	}
	for _, k := range all {
		if _, err := time.Parse("2006-01-02", k.EKSRelease); err != nil {
			t.Errorf("%s: release %q", k.Version, k.EKSRelease)
		}
		switch k.Status {
		case "", "STANDARD_SUPPORT", "EXTENDED_SUPPORT":
		default:
			t.Errorf("%s: status %q", k.Version, k.Status)
		}
	}
	if world.LatestKubernetes() != supported[len(supported)-1].Version {
		t.Errorf("latest %s", world.LatestKubernetes())
	}
}
