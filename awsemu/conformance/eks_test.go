//go:build conformance

package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	sdkeks "github.com/aws/aws-sdk-go-v2/service/eks"
	ekstypes "github.com/aws/aws-sdk-go-v2/service/eks/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/services/eks"
	"github.com/winami/winami/awsemu/world"
)

// TestEKSWithAWSCLI drives every EKS operation awsemu implements with the AWS CLI.
func TestEKSWithAWSCLI(t *testing.T) {
	t.Parallel()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
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
	rel := world.KubernetesReleases()
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

// errCodeStatus records an error's code and HTTP status ("ok" when there is none; the
// error's text when it has neither).
func errCodeStatus(err error) string {
	if err == nil {
		return "ok"
	}
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if errors.As(err, &ae) && errors.As(err, &re) {
		return fmt.Sprintf("%s HTTP %d", ae.ErrorCode(), re.HTTPStatusCode())
	}
	return err.Error()
}

// eksScenario runs the EKS operations moto 5.2 also implements (CreateCluster,
// DescribeCluster) and records what a client observes. settle is called once the cluster
// is created, to let awsemu's CREATING state pass.
func eksScenario(t *testing.T, endpoint string, settle func()) *record {
	t.Helper()
	ctx := context.Background()
	c := sdkeks.NewFromConfig(awstest.SDKConfig(endpoint, "us-west-2"))
	rec := &record{}
	_, err := c.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("prod")})
	rec.add("describe-unknown: %s", errCodeStatus(err))
	create := func(name, version string) (*sdkeks.CreateClusterOutput, error) {
		in := &sdkeks.CreateClusterInput{Name: aws.String(name), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks"),
			ResourcesVpcConfig: &ekstypes.VpcConfigRequest{SubnetIds: []string{"subnet-1", "subnet-2"}},
			Tags:               map[string]string{"team": "win"}}
		if version != "" {
			in.Version = aws.String(version)
		}
		return c.CreateCluster(ctx, in)
	}
	out, err := create("prod", "1.33")
	rec.add("create: %s", errCodeStatus(err))
	if err == nil {
		rec.add("create-status: %s", out.Cluster.Status)
	}
	_, err = create("prod", "1.33")
	rec.add("create-again: %s", errCodeStatus(err))
	def, err := create("dflt", "")
	rec.add("create-default-version: %s", errCodeStatus(err))
	if err == nil {
		rec.add("default-version: %s", aws.ToString(def.Cluster.Version))
	}
	settle()
	got, err := c.DescribeCluster(ctx, &sdkeks.DescribeClusterInput{Name: aws.String("prod")})
	rec.add("describe: %s", errCodeStatus(err))
	if err == nil {
		cl := got.Cluster
		rec.add("describe-fields: name=%s arn=%s version=%s role=%s status=%s tags=%v subnets=%v endpoint-set=%t",
			aws.ToString(cl.Name), aws.ToString(cl.Arn), aws.ToString(cl.Version), aws.ToString(cl.RoleArn), cl.Status,
			cl.Tags, cl.ResourcesVpcConfig.SubnetIds, aws.ToString(cl.Endpoint) != "")
	}
	return rec
}

// TestEKSAgainstMoto compares CreateCluster and DescribeCluster between awsemu and moto.
func TestEKSAgainstMoto(t *testing.T) {
	t.Parallel()
	motoEP := awstest.StartMoto(t)
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	emu := eksScenario(t, srv.URL(), func() { clock.Advance(eks.ClusterCreateDuration) })
	moto := eksScenario(t, motoEP, func() {})
	compareRecords(t, emu, moto, "create-status", "default-version")
}
