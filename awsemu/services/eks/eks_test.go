package eks_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/eks/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	emueks "github.com/winami/winami/awsemu/services/eks"
	"github.com/winami/winami/awsemu/world"
)

var ctx = context.Background()

func start(t *testing.T) (*eks.Client, *emueks.Service, *awsemu.ManualClock) {
	t.Helper()
	srv := awsemu.NewServer()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv.Clock = clock
	svc := emueks.New(srv)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return eks.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2")), svc, clock
}

// pager is an SDK paginator of the EKS client.
type pager[O any] interface {
	HasMorePages() bool
	NextPage(context.Context, ...func(*eks.Options)) (O, error)
}

// allPages reads every page of p with ctx and returns their items (by items), in order, and the
// number of pages.
func allPages[O, I any](ctx context.Context, t *testing.T, p pager[O], items func(O) []I) ([]I, int) {
	t.Helper()
	var all []I
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		all = append(all, items(out)...)
	}
	return all, pages
}

func TestDescribeCluster(t *testing.T) {
	c, svc, clock := start(t)
	_, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("nope")})
	var nf *types.ResourceNotFoundException
	var re *awshttp.ResponseError
	if !errors.As(err, &nf) || !errors.As(err, &re) || re.HTTPStatusCode() != 404 || aws.ToString(nf.ClusterName) != "nope" {
		t.Fatalf("unknown cluster: %v", err)
	}
	out, err := c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("prod"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks"),
		Version: aws.String("1.31"), ResourcesVpcConfig: &types.VpcConfigRequest{SubnetIds: []string{"subnet-1"}}})
	if err != nil || out.Cluster.Status != types.ClusterStatusCreating {
		t.Fatalf("CreateCluster: %v %+v", err, out)
	}
	_, err = c.CreateCluster(ctx, &eks.CreateClusterInput{Name: aws.String("prod"), RoleArn: aws.String("arn:aws:iam::123456789012:role/eks"),
		ResourcesVpcConfig: &types.VpcConfigRequest{}})
	var inUse *types.ResourceInUseException
	if !errors.As(err, &inUse) {
		t.Fatalf("second CreateCluster: %v", err)
	}
	clock.Advance(emueks.ClusterCreateDuration)
	d, err := c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	cl := d.Cluster
	if cl.Status != types.ClusterStatusActive || aws.ToString(cl.Version) != "1.31" || aws.ToString(cl.Endpoint) == "" ||
		aws.ToString(cl.Arn) != "arn:aws:eks:us-west-2:123456789012:cluster/prod" || cl.CreatedAt == nil ||
		!cl.CreatedAt.Equal(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)) || cl.ResourcesVpcConfig.SubnetIds[0] != "subnet-1" {
		t.Fatalf("cluster %+v", cl)
	}
	svc.SeedCluster(emueks.Cluster{Name: "seeded", Region: "us-west-2", Version: "1.33", Endpoint: "https://127.0.0.1:6443", CertificateAuthority: "Q0E="})
	d, err = c.DescribeCluster(ctx, &eks.DescribeClusterInput{Name: aws.String("seeded")})
	if err != nil || d.Cluster.Status != types.ClusterStatusActive || aws.ToString(d.Cluster.Endpoint) != "https://127.0.0.1:6443" ||
		aws.ToString(d.Cluster.CertificateAuthority.Data) != "Q0E=" {
		t.Fatalf("seeded: %v %+v", err, d)
	}
}

func TestDescribeClusterVersions(t *testing.T) {
	c, _, _ := start(t)
	p := eks.NewDescribeClusterVersionsPaginator(c, &eks.DescribeClusterVersionsInput{MaxResults: aws.Int32(3)})
	all, pages := allPages(ctx, t, p, func(out *eks.DescribeClusterVersionsOutput) []types.ClusterVersionInformation {
		return out.ClusterVersions
	})
	want := world.KubernetesReleases()
	if len(all) != len(want) || pages != (len(want)+2)/3 {
		t.Fatalf("%d versions in %d pages, want %d", len(all), pages, len(want))
	}
	defaults := 0
	for i, v := range all {
		w := want[len(want)-1-i]
		if aws.ToString(v.ClusterVersion) != w.Version || string(v.VersionStatus) != w.Status || aws.ToString(v.ClusterType) != "eks" {
			t.Fatalf("entry %d: %+v, want %+v", i, v, w)
		}
		if v.ReleaseDate == nil || v.EndOfStandardSupportDate == nil || !v.EndOfStandardSupportDate.After(*v.ReleaseDate) {
			t.Fatalf("dates of %s: %v %v", w.Version, v.ReleaseDate, v.EndOfStandardSupportDate)
		}
		if v.DefaultVersion {
			defaults++
		}
	}
	if defaults != 1 {
		t.Fatalf("%d default versions", defaults)
	}
	out, err := c.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{VersionStatus: types.VersionStatusExtendedSupport})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range out.ClusterVersions {
		if v.VersionStatus != types.VersionStatusExtendedSupport {
			t.Fatalf("filter: %+v", v)
		}
	}
	out, err = c.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{ClusterVersions: []string{"1.31", "1.33"}})
	if err != nil || len(out.ClusterVersions) != 2 {
		t.Fatalf("clusterVersions filter: %v %+v", err, out)
	}
	out, err = c.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{DefaultOnly: aws.Bool(true)})
	if err != nil || len(out.ClusterVersions) != 1 || aws.ToString(out.ClusterVersions[0].ClusterVersion) != world.LatestKubernetes() {
		t.Fatalf("defaultOnly: %v %+v", err, out)
	}
	out, err = c.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{IncludeAll: aws.Bool(true)})
	if err != nil || len(out.ClusterVersions) <= len(want) || out.ClusterVersions[len(out.ClusterVersions)-1].VersionStatus != types.VersionStatusUnsupported {
		t.Fatalf("includeAll: %v %d", err, len(out.ClusterVersions))
	}
	_, err = c.DescribeClusterVersions(ctx, &eks.DescribeClusterVersionsInput{NextToken: aws.String("bogus")})
	var ip *types.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Fatalf("bad token: %v", err)
	}
}
