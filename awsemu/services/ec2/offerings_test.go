package ec2_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/services/ec2"
)

func offerings(t *testing.T, c *sdk.Client, in *sdk.DescribeInstanceTypeOfferingsInput) []string {
	t.Helper()
	var out []string
	p := sdk.NewDescribeInstanceTypeOfferingsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.InstanceTypeOfferings {
			out = append(out, string(o.LocationType)+":"+aws.ToString(o.Location)+":"+string(o.InstanceType))
		}
	}
	return out
}

func TestDescribeInstanceTypeOfferings(t *testing.T) {
	w := start(t)
	// LocationType region (the default): every type of the table us-east-1 offers.
	all := offerings(t, w.c, &sdk.DescribeInstanceTypeOfferingsInput{})
	if len(all) != 42 || !containsS(all, "region:us-east-1:m6i.2xlarge") {
		t.Fatalf("us-east-1 region offerings: %d %v", len(all), all)
	}
	// A type of the table not offered in a Region, and a filter for it.
	south := offerings(t, w.region("eu-south-2"), &sdk.DescribeInstanceTypeOfferingsInput{
		Filters: []types.Filter{{Name: aws.String("instance-type"), Values: []string{"m6i.2xlarge", "m5.2xlarge"}}},
	})
	if strings.Join(south, " ") != "region:eu-south-2:m5.2xlarge" {
		t.Errorf("eu-south-2 m6i/m5: %v", south)
	}
	// Availability zones: us-east-1e offers none of the table's current types.
	zones := offerings(t, w.c, &sdk.DescribeInstanceTypeOfferingsInput{
		LocationType: types.LocationTypeAvailabilityZone, MaxResults: aws.Int32(5),
		Filters: []types.Filter{{Name: aws.String("instance-type"), Values: []string{"m6i.2xlarge"}}},
	})
	want := "availability-zone:us-east-1a:m6i.2xlarge availability-zone:us-east-1b:m6i.2xlarge availability-zone:us-east-1c:m6i.2xlarge " +
		"availability-zone:us-east-1d:m6i.2xlarge availability-zone:us-east-1f:m6i.2xlarge"
	if strings.Join(zones, " ") != want {
		t.Errorf("m6i.2xlarge zones:\n got %v\nwant %s", zones, want)
	}
	e := offerings(t, w.c, &sdk.DescribeInstanceTypeOfferingsInput{
		LocationType: types.LocationTypeAvailabilityZone,
		Filters:      []types.Filter{{Name: aws.String("location"), Values: []string{"us-east-1e"}}},
	})
	if len(e) != 0 {
		t.Errorf("us-east-1e: %v", e)
	}
	ids := offerings(t, w.c, &sdk.DescribeInstanceTypeOfferingsInput{
		LocationType: types.LocationTypeAvailabilityZoneId,
		Filters: []types.Filter{{Name: aws.String("location"), Values: []string{"use1-az3"}},
			{Name: aws.String("instance-type"), Values: []string{"t3.*"}}},
	})
	if len(ids) != 6 || ids[0] != "availability-zone-id:use1-az3:t3.2xlarge" {
		t.Errorf("use1-az3 t3.*: %v", ids)
	}
	_, err := w.c.DescribeInstanceTypeOfferings(ctx, &sdk.DescribeInstanceTypeOfferingsInput{LocationType: "planet"})
	wantCode(t, err, "InvalidParameterValue")
	_, err = w.c.DescribeInstanceTypeOfferings(ctx, &sdk.DescribeInstanceTypeOfferingsInput{MaxResults: aws.Int32(4)})
	wantCode(t, err, "InvalidParameterValue")
	_, err = w.c.DescribeInstanceTypeOfferings(ctx, &sdk.DescribeInstanceTypeOfferingsInput{
		Filters: []types.Filter{{Name: aws.String("vcpu"), Values: []string{"2"}}}})
	wantCode(t, err, "InvalidParameterValue")
	_, err = w.c.DescribeInstanceTypeOfferings(ctx, &sdk.DescribeInstanceTypeOfferingsInput{DryRun: aws.Bool(true)})
	wantCode(t, err, "DryRunOperation")

	// The store agrees with the operation.
	store := w.srv.EC2
	for _, tc := range []struct {
		region, az, typ string
		want            bool
	}{
		{"us-east-1", "", "m6i.2xlarge", true},
		{"us-east-1", "us-east-1a", "m6i.2xlarge", true},
		{"us-east-1", "us-east-1e", "m6i.2xlarge", false},
		{"eu-south-2", "", "m6i.2xlarge", false},
		{"us-east-1", "", "m6i.2xlargee", false},
		{"us-east-1", "us-west-2a", "m6i.2xlarge", false},
	} {
		if got := store.InstanceTypeOffered(tc.region, tc.az, tc.typ); got != tc.want {
			t.Errorf("InstanceTypeOffered(%s, %q, %s) = %v", tc.region, tc.az, tc.typ, got)
		}
	}
	if z := ec2.OfferingZones("us-east-1", "m6i.2xlarge"); len(z) != 5 {
		t.Errorf("OfferingZones: %v", z)
	}
}

func containsS(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestKeyPairsAndStoreLookups(t *testing.T) {
	w := start(t)
	kp, err := w.c.CreateKeyPair(ctx, &sdk.CreateKeyPairInput{KeyName: aws.String("builder"),
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeKeyPair, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("win")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(aws.ToString(kp.KeyMaterial), "-----BEGIN RSA PRIVATE KEY-----") || len(aws.ToString(kp.KeyFingerprint)) != 59 ||
		!strings.HasPrefix(aws.ToString(kp.KeyPairId), "key-") {
		t.Errorf("CreateKeyPair: %+v", kp)
	}
	ed, err := w.c.CreateKeyPair(ctx, &sdk.CreateKeyPairInput{KeyName: aws.String("ed"), KeyType: types.KeyTypeEd25519})
	if err != nil || len(aws.ToString(ed.KeyFingerprint)) != 44 {
		t.Fatalf("ed25519: %+v %v", ed, err)
	}
	_, err = w.c.CreateKeyPair(ctx, &sdk.CreateKeyPairInput{KeyName: aws.String("builder")})
	wantCode(t, err, "InvalidKeyPair.Duplicate")
	d, err := w.c.DescribeKeyPairs(ctx, &sdk.DescribeKeyPairsInput{Filters: []types.Filter{{Name: aws.String("tag:team"), Values: []string{"win"}}}})
	if err != nil || len(d.KeyPairs) != 1 || aws.ToString(d.KeyPairs[0].KeyName) != "builder" || d.KeyPairs[0].KeyType != types.KeyTypeRsa {
		t.Fatalf("DescribeKeyPairs by tag: %+v %v", d, err)
	}
	_, err = w.c.DescribeKeyPairs(ctx, &sdk.DescribeKeyPairsInput{KeyNames: []string{"nope"}})
	wantCode(t, err, "InvalidKeyPair.NotFound")

	store := w.srv.EC2
	if !store.KeyPairExists("us-east-1", "builder") || store.KeyPairExists("us-west-2", "builder") {
		t.Error("KeyPairExists: the key pair is per Region")
	}
	if _, err := w.c.DeleteKeyPair(ctx, &sdk.DeleteKeyPairInput{KeyName: aws.String("builder")}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.c.DeleteKeyPair(ctx, &sdk.DeleteKeyPairInput{KeyName: aws.String("builder")}); err != nil {
		t.Fatalf("deleting a missing key pair: %v", err)
	}
	if store.KeyPairExists("us-east-1", "builder") {
		t.Error("KeyPairExists after DeleteKeyPair")
	}

	// Subnets, groups and launch templates through the store, with tags.
	sn, ok := store.DefaultSubnet("us-east-1", "us-east-1e")
	if !ok || sn.AvailabilityZone != "us-east-1e" || sn.AvailabilityZoneID != "use1-az5" {
		t.Fatalf("DefaultSubnet us-east-1e: %+v %v", sn, ok)
	}
	if got, ok := store.Subnet("us-east-1", sn.ID); !ok || got.VpcID != sn.VpcID {
		t.Errorf("Subnet: %+v %v", got, ok)
	}
	if _, ok := store.Subnet("us-west-2", sn.ID); ok {
		t.Error("Subnet in another Region: found")
	}
	groups, err := w.c.DescribeSecurityGroups(ctx, &sdk.DescribeSecurityGroupsInput{})
	if err != nil || len(groups.SecurityGroups) == 0 {
		t.Fatal(err)
	}
	g, ok := store.SecurityGroup("us-east-1", aws.ToString(groups.SecurityGroups[0].GroupId))
	if !ok || g.VpcID != sn.VpcID || g.Name != "default" {
		t.Errorf("SecurityGroup: %+v %v", g, ok)
	}
	lt, err := w.c.CreateLaunchTemplate(ctx, &sdk.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("fast"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeT3Xlarge},
		TagSpecifications: []types.TagSpecification{{ResourceType: types.ResourceTypeLaunchTemplate,
			Tags: []types.Tag{{Key: aws.String("CreatedBy"), Value: aws.String("EC2 Image Builder")}}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(lt.LaunchTemplate.LaunchTemplateId)
	for _, key := range []string{id, "fast"} {
		got, ok := store.LaunchTemplate("us-east-1", key)
		if !ok || got.ID != id || got.Tags["CreatedBy"] != "EC2 Image Builder" ||
			got.ARN() != "arn:aws:ec2:us-east-1:"+awsemu.DefaultAccount+":launch-template/"+id {
			t.Errorf("LaunchTemplate(%s): %+v %v", key, got, ok)
		}
	}
	if _, ok := store.LaunchTemplate("us-west-2", "fast"); ok {
		t.Error("LaunchTemplate in another Region: found")
	}
}
