package emulator_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/awsemu/world"
)

// TestSeedAgreesAcrossServices resolves every seeded EKS-optimized parameter over SSM and
// finds each AMI over EC2 DescribeImages, as `winami resolve --details` does.
func TestSeedAgreesAcrossServices(t *testing.T) {
	srv := emulatortest.Start(t)
	ctx := context.Background()
	for _, region := range seed.Regions() {
		cfg := awstest.SDKConfig(srv.URL(), region)
		sc, ec := ssm.NewFromConfig(cfg), ec2.NewFromConfig(cfg)
		var names []string
		for _, w := range world.WindowsVersions() {
			for _, ed := range world.Editions() {
				for _, k := range world.KubernetesVersions() {
					if world.Supported(w, k) {
						names = append(names, world.EKSOptimizedParameter(w, ed, k))
					}
				}
			}
		}
		ids := map[string]string{} // AMI id → parameter
		for i := 0; i < len(names); i += 10 {
			out, err := sc.GetParameters(ctx, &ssm.GetParametersInput{Names: names[i:min(i+10, len(names))]})
			if err != nil {
				t.Fatalf("%s: GetParameters: %v", region, err)
			}
			if len(out.InvalidParameters) > 0 {
				t.Fatalf("%s: invalid parameters %v", region, out.InvalidParameters)
			}
			for _, p := range out.Parameters {
				ids[*p.Value] = *p.Name
			}
		}
		if len(ids) != len(names) {
			t.Fatalf("%s: %d distinct AMIs for %d parameters", region, len(ids), len(names))
		}
		var idList []string
		for id := range ids {
			idList = append(idList, id)
		}
		found := 0
		p := ec2.NewDescribeImagesPaginator(ec, &ec2.DescribeImagesInput{ImageIds: idList})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatalf("%s: DescribeImages: %v", region, err)
			}
			for _, img := range out.Images {
				found++
				param := ids[*img.ImageId]
				n, released, ok := world.ParseEKSOptimizedAMIName(*img.Name)
				if !ok || world.EKSOptimizedParameter(n.Windows, n.Edition, n.Kubernetes) != param {
					t.Errorf("%s: %s is %q, not an AMI of %s", region, *img.ImageId, *img.Name, param)
				}
				if *img.OwnerId != world.AmazonOwner() || !*img.Public || img.Platform != "windows" {
					t.Errorf("%s: %s owner %s public %v platform %s", region, *img.ImageId, *img.OwnerId, *img.Public, img.Platform)
				}
				if created, err := time.Parse(time.RFC3339, *img.CreationDate); err != nil || created.Format("2006-01-02") != released.Format("2006-01-02") {
					t.Errorf("%s: %s created %s, released %s", region, *img.Name, *img.CreationDate, released.Format("2006-01-02"))
				}
				if len(img.BlockDeviceMappings) != 1 || *img.BlockDeviceMappings[0].DeviceName != "/dev/sda1" ||
					*img.BlockDeviceMappings[0].Ebs.VolumeSize != seed.EKSVolumeGiB || !strings.HasPrefix(*img.BlockDeviceMappings[0].Ebs.SnapshotId, "snap-") {
					t.Errorf("%s: %s block devices %+v", region, *img.ImageId, img.BlockDeviceMappings)
				}
			}
		}
		if found != len(ids) {
			t.Errorf("%s: DescribeImages found %d of %d AMIs", region, found, len(ids))
		}
	}
}

// TestRegionsAgree checks that the seed covers exactly the regions EC2 DescribeRegions
// answers by default, so `winami resolve --region all` finds parameters everywhere.
func TestRegionsAgree(t *testing.T) {
	srv := emulatortest.Start(t)
	out, err := ec2.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).DescribeRegions(context.Background(), &ec2.DescribeRegionsInput{})
	if err != nil {
		t.Fatal(err)
	}
	var described []string
	for _, r := range out.Regions {
		described = append(described, *r.RegionName)
	}
	seeded := seed.Regions()
	sort.Strings(described)
	sort.Strings(seeded)
	if strings.Join(described, ",") != strings.Join(seeded, ",") {
		t.Errorf("DescribeRegions %v, seeded %v", described, seeded)
	}
}

func TestServicesRegistered(t *testing.T) {
	srv := emulator.New()
	got := strings.Join(srv.Services(), ",")
	for _, want := range []string{"ec2", "ecr", "eks", "iam", "imagebuilder", "kms", "ssm", "sts"} {
		if !strings.Contains(","+got+",", ","+want+",") {
			t.Errorf("services %s, missing %s", got, want)
		}
	}
	if srv.URL() != "" {
		t.Error("New started the server")
	}
}

func TestDeterministic(t *testing.T) {
	a, b := emulatortest.Start(t), emulatortest.Start(t)
	name := aws.String(world.EKSOptimizedParameter("2022", world.Full, "1.35"))
	var vals []string
	for _, srv := range []string{a.URL(), b.URL()} {
		out, err := ssm.NewFromConfig(awstest.SDKConfig(srv, "eu-west-1")).GetParameter(context.Background(), &ssm.GetParameterInput{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		vals = append(vals, *out.Parameter.Value)
	}
	if vals[0] != vals[1] {
		t.Errorf("two endpoints disagree: %v", vals)
	}
}

func BenchmarkNew(b *testing.B) {
	for i := 0; i < b.N; i++ {
		emulator.New()
	}
}

// TestLargeResponsesStayWhole reads a 46 KB DescribeImages answer many times through
// awstest.SDKConfig's client. Without its workaround for the smithy-go request-body race
// about one call in fifty failed with "use of closed network connection".
func TestLargeResponsesStayWhole(t *testing.T) {
	srv := emulatortest.Start(t)
	var ids []string
	for _, img := range seed.Images()[:36] {
		ids = append(ids, img.ID)
	}
	c := ec2.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	for i := 0; i < 300; i++ {
		out, err := c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: ids})
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if len(out.Images) != 36 {
			t.Fatalf("call %d: %d images", i, len(out.Images))
		}
	}
}
