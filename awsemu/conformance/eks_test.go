package conformance_test

import (
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/services/eks"
	"github.com/winami/winami/catalog"
)

// TestEKSWithAWSCLI drives every EKS operation awsemu implements with the AWS CLI.
func TestEKSWithAWSCLI(t *testing.T) {
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulator.Start(t, emulator.WithClock(clock))
	ep, region := srv.URL(), "us-west-2"

	code, msg := awstest.CLIError(t, ep, region, "eks", "describe-cluster", "--name", "prod")
	if code != "ResourceNotFoundException" || !strings.Contains(msg, "prod") {
		t.Fatalf("describe-cluster of an unknown cluster: %s %s", code, msg)
	}

	type cluster struct {
		Cluster struct {
			Name, Arn, Version, Status, Endpoint, RoleArn string
			CreatedAt                                     float64
			CertificateAuthority                          struct{ Data string }
			ResourcesVpcConfig                            struct{ SubnetIds []string }
		}
	}
	var created cluster
	awstest.CLIJSON(t, ep, region, &created, "eks", "create-cluster", "--name", "prod", "--kubernetes-version", "1.33",
		"--role-arn", "arn:aws:iam::123456789012:role/eks", "--resources-vpc-config", "subnetIds=subnet-1,subnet-2")
	if c := created.Cluster; c.Status != "CREATING" || c.Version != "1.33" || c.Arn != "arn:aws:eks:us-west-2:123456789012:cluster/prod" {
		t.Fatalf("create-cluster: %+v", c)
	}
	code, _ = awstest.CLIError(t, ep, region, "eks", "create-cluster", "--name", "prod",
		"--role-arn", "arn:aws:iam::123456789012:role/eks", "--resources-vpc-config", "subnetIds=subnet-1")
	if code != "ResourceInUseException" {
		t.Fatalf("second create-cluster: %s", code)
	}
	clock.Advance(eks.ClusterCreateDuration)
	var got cluster
	awstest.CLIJSON(t, ep, region, &got, "eks", "describe-cluster", "--name", "prod")
	// AWS CLI v1 prints timestamps as the epoch seconds it parsed.
	if c := got.Cluster; c.Status != "ACTIVE" || c.Endpoint == "" || c.CertificateAuthority.Data == "" ||
		time.Unix(int64(c.CreatedAt), 0).UTC() != time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) || len(c.ResourcesVpcConfig.SubnetIds) != 2 {
		t.Fatalf("describe-cluster: %+v", c)
	}
	code, _ = awstest.CLIError(t, "http"+strings.TrimPrefix(ep, "http"), "us-east-1", "eks", "describe-cluster", "--name", "prod")
	if code != "ResourceNotFoundException" {
		t.Fatalf("clusters are regional: %s", code)
	}

	type versions struct {
		ClusterVersions []struct {
			ClusterVersion, ClusterType, VersionStatus, Status string
			DefaultVersion                                     bool
			ReleaseDate, EndOfStandardSupportDate              float64
		}
		NextToken string
	}
	var all versions
	// --page-size 3 makes the CLI follow nextToken across pages.
	awstest.CLIJSON(t, ep, region, &all, "eks", "describe-cluster-versions", "--page-size", "3")
	rel := catalog.KubernetesReleases()
	if len(all.ClusterVersions) != len(rel) {
		t.Fatalf("describe-cluster-versions: %d versions, want %d", len(all.ClusterVersions), len(rel))
	}
	defaults := 0
	for i, v := range all.ClusterVersions {
		want := rel[len(rel)-1-i]
		if v.ClusterVersion != want.Version || v.VersionStatus != want.Status || v.ClusterType != "eks" ||
			v.Status != strings.ToLower(strings.ReplaceAll(want.Status, "_", "-")) || v.ReleaseDate == 0 || v.EndOfStandardSupportDate <= v.ReleaseDate {
			t.Fatalf("version %d: %+v, want %+v", i, v, want)
		}
		if v.DefaultVersion {
			defaults++
		}
	}
	if defaults != 1 {
		t.Fatalf("%d default versions", defaults)
	}
	var one versions
	awstest.CLIJSON(t, ep, region, &one, "eks", "describe-cluster-versions", "--default-only")
	if len(one.ClusterVersions) != 1 || !one.ClusterVersions[0].DefaultVersion {
		t.Fatalf("--default-only: %+v", one)
	}
	var ext versions
	awstest.CLIJSON(t, ep, region, &ext, "eks", "describe-cluster-versions", "--version-status", "EXTENDED_SUPPORT")
	for _, v := range ext.ClusterVersions {
		if v.VersionStatus != "EXTENDED_SUPPORT" {
			t.Fatalf("--version-status EXTENDED_SUPPORT: %+v", v)
		}
	}
	var picked versions
	awstest.CLIJSON(t, ep, region, &picked, "eks", "describe-cluster-versions", "--cluster-versions", "1.33", "1.34", "--cluster-type", "eks")
	if len(picked.ClusterVersions) != 2 || picked.ClusterVersions[0].ClusterVersion != "1.34" {
		t.Fatalf("--cluster-versions: %+v", picked)
	}
	var everything versions
	awstest.CLIJSON(t, ep, region, &everything, "eks", "describe-cluster-versions", "--include-all")
	if n := len(everything.ClusterVersions); n <= len(rel) || everything.ClusterVersions[n-1].VersionStatus != "UNSUPPORTED" {
		t.Fatalf("--include-all: %+v", everything)
	}
	code, _ = awstest.CLIError(t, ep, region, "eks", "describe-cluster-versions", "--cluster-type", "ecs")
	if code != "InvalidParameterException" {
		t.Fatalf("unknown cluster type: %s", code)
	}
}
