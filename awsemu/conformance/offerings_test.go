//go:build conformance

package conformance_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu/awstest"
)

type cliOffering struct{ InstanceType, LocationType, Location string }

// ec2OfferingsAndKeyPairsWithCLI drives DescribeInstanceTypeOfferings (the three location
// types, the instance-type and location filters, paging, a type a Region does not offer,
// a zone that offers none of the types) and the key pair operations with the AWS CLI.
// TestEC2WithAWSCLI calls it.
func ec2OfferingsAndKeyPairsWithCLI(t *testing.T, ep string, cli func(out any, args ...string), cliErr func(args ...string) string) {
	t.Helper()
	var offs struct{ InstanceTypeOfferings []cliOffering }
	// Every type of awsemu's table is offered in us-east-1; the CLI pages through them.
	cli(&offs, "describe-instance-type-offerings", "--page-size", "5")
	if len(offs.InstanceTypeOfferings) != 42 || offs.InstanceTypeOfferings[0].LocationType != "region" ||
		offs.InstanceTypeOfferings[0].Location != "us-east-1" {
		t.Errorf("describe-instance-type-offerings (region, pages of 5): %d %+v", len(offs.InstanceTypeOfferings), offs.InstanceTypeOfferings)
	}
	// m6i.2xlarge by zone: every us-east-1 zone but us-east-1e.
	cli(&offs, "describe-instance-type-offerings", "--location-type", "availability-zone",
		"--filters", "Name=instance-type,Values=m6i.2xlarge")
	var zones []string
	for _, o := range offs.InstanceTypeOfferings {
		zones = append(zones, o.Location)
	}
	if strings.Join(zones, ",") != "us-east-1a,us-east-1b,us-east-1c,us-east-1d,us-east-1f" {
		t.Errorf("m6i.2xlarge zones: %v", zones)
	}
	cli(&offs, "describe-instance-type-offerings", "--location-type", "availability-zone-id",
		"--filters", "Name=location,Values=use1-az5")
	if len(offs.InstanceTypeOfferings) != 0 {
		t.Errorf("use1-az5 (us-east-1e): %+v", offs.InstanceTypeOfferings)
	}
	// A type of the table that a Region does not offer, and a type that does not exist.
	awstest.CLIJSON(t, ep, "eu-south-2", &offs, "ec2", "describe-instance-type-offerings",
		"--filters", "Name=instance-type,Values=m6i.2xlarge,m5.2xlarge")
	if len(offs.InstanceTypeOfferings) != 1 || offs.InstanceTypeOfferings[0].InstanceType != "m5.2xlarge" ||
		offs.InstanceTypeOfferings[0].Location != "eu-south-2" {
		t.Errorf("eu-south-2 m6i/m5: %+v", offs.InstanceTypeOfferings)
	}
	cli(&offs, "describe-instance-type-offerings", "--filters", "Name=instance-type,Values=m6i.2xlargee")
	if len(offs.InstanceTypeOfferings) != 0 {
		t.Errorf("m6i.2xlargee: %+v", offs.InstanceTypeOfferings)
	}
	if code := cliErr("describe-instance-type-offerings", "--location-type", "planet"); code != "InvalidParameterValue" {
		t.Errorf("location type planet: %s", code)
	}
	if code := cliErr("describe-instance-type-offerings", "--dry-run"); code != "DryRunOperation" {
		t.Errorf("offerings dry run: %s", code)
	}

	// Key pairs.
	var kp struct{ KeyName, KeyFingerprint, KeyMaterial, KeyPairId string }
	cli(&kp, "create-key-pair", "--key-name", "builder", "--tag-specifications", "ResourceType=key-pair,Tags=[{Key=team,Value=win}]")
	if kp.KeyName != "builder" || !strings.Contains(kp.KeyMaterial, "PRIVATE KEY") || !strings.HasPrefix(kp.KeyPairId, "key-") {
		t.Errorf("create-key-pair: %+v", kp)
	}
	if code := cliErr("create-key-pair", "--key-name", "builder"); code != "InvalidKeyPair.Duplicate" {
		t.Errorf("duplicate key pair: %s", code)
	}
	var kps struct {
		KeyPairs []struct {
			KeyName, KeyType, KeyPairId, KeyFingerprint string
			Tags                                        []cliTag
		}
	}
	cli(&kps, "describe-key-pairs", "--key-names", "builder")
	if len(kps.KeyPairs) != 1 || kps.KeyPairs[0].KeyType != "rsa" || kps.KeyPairs[0].KeyFingerprint != kp.KeyFingerprint ||
		len(kps.KeyPairs[0].Tags) != 1 {
		t.Errorf("describe-key-pairs: %+v", kps)
	}
	cli(nil, "delete-key-pair", "--key-name", "builder")
	if code := cliErr("describe-key-pairs", "--key-names", "builder"); code != "InvalidKeyPair.NotFound" {
		t.Errorf("deleted key pair: %s", code)
	}
}

// offeringsScenario records, through the SDK, what a build preflight asks of instance type
// offerings, and the key pair operations an infrastructure configuration's keyPair meets.
func offeringsScenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	c := sdk.NewFromConfig(awstest.SDKConfig(endpoint, "us-east-1"))
	south := sdk.NewFromConfig(awstest.SDKConfig(endpoint, "eu-south-2"))
	r := &record{}
	list := func(c *sdk.Client, lt types.LocationType, fs ...types.Filter) string {
		out, err := c.DescribeInstanceTypeOfferings(ctx, &sdk.DescribeInstanceTypeOfferingsInput{LocationType: lt, Filters: fs})
		if err != nil {
			return ec2Err(err)
		}
		var rows []string
		for _, o := range out.InstanceTypeOfferings {
			rows = append(rows, string(o.LocationType)+":"+aws.ToString(o.Location)+":"+string(o.InstanceType))
		}
		return sorted(rows)
	}
	f := func(name string, values ...string) types.Filter {
		return types.Filter{Name: aws.String(name), Values: values}
	}
	types3 := f("instance-type", "m6i.2xlarge", "m5.2xlarge", "t3.xlarge")
	r.add("region offerings: %s", list(c, "", types3))
	r.add("region offerings (explicit): %s", list(c, types.LocationTypeRegion, types3, f("location", "us-east-1")))
	r.add("zone offerings m6i.2xlarge: %s", list(c, types.LocationTypeAvailabilityZone, f("instance-type", "m6i.2xlarge")))
	r.add("zone us-east-1e: %s", list(c, types.LocationTypeAvailabilityZone, f("location", "us-east-1e"),
		f("instance-type", "m6i.2xlarge", "t3.xlarge", "m5.large", "c6i.xlarge")))
	r.add("zone ids m6i.2xlarge: %s", list(c, types.LocationTypeAvailabilityZoneId, f("instance-type", "m6i.2xlarge")))
	r.add("eu-south-2 m6i/m5: %s", list(south, "", f("instance-type", "m6i.2xlarge", "m5.2xlarge")))
	r.add("unknown type: %s", list(c, "", f("instance-type", "m6i.2xlargee")))
	_, err := c.DescribeInstanceTypeOfferings(ctx, &sdk.DescribeInstanceTypeOfferingsInput{MaxResults: aws.Int32(5)})
	r.add("max results 5: %s", ec2Err(err))

	kp, err := c.CreateKeyPair(ctx, &sdk.CreateKeyPairInput{KeyName: aws.String("builder")})
	if err != nil {
		r.add("create key pair: %s", ec2Err(err))
	} else {
		r.add("create key pair: name=%s material=%v fingerprint-len=%d", aws.ToString(kp.KeyName),
			strings.Contains(aws.ToString(kp.KeyMaterial), "PRIVATE KEY"), len(aws.ToString(kp.KeyFingerprint)))
	}
	_, err = c.CreateKeyPair(ctx, &sdk.CreateKeyPairInput{KeyName: aws.String("builder")})
	r.add("duplicate key pair: %s", ec2Err(err))
	d, err := c.DescribeKeyPairs(ctx, &sdk.DescribeKeyPairsInput{KeyNames: []string{"builder"}})
	if err != nil {
		r.add("describe key pair: %s", ec2Err(err))
	} else {
		r.add("describe key pair: %d %s %s", len(d.KeyPairs), aws.ToString(d.KeyPairs[0].KeyName), d.KeyPairs[0].KeyType)
	}
	_, err = c.DescribeKeyPairs(ctx, &sdk.DescribeKeyPairsInput{KeyNames: []string{"nope"}})
	r.add("describe unknown key pair: %s", ec2Err(err))
	_, err = c.DeleteKeyPair(ctx, &sdk.DeleteKeyPairInput{KeyName: aws.String("builder")})
	r.add("delete key pair: %s", ec2Err(err))
	_, err = c.DeleteKeyPair(ctx, &sdk.DeleteKeyPairInput{KeyName: aws.String("builder")})
	r.add("delete missing key pair: %s", ec2Err(err))
	_, err = c.DescribeKeyPairs(ctx, &sdk.DescribeKeyPairsInput{KeyNames: []string{"builder"}})
	r.add("describe deleted key pair: %s", ec2Err(err))
	return r
}

// TestInstanceTypeOfferingsAgainstMoto runs the offerings and key pair scenario against
// moto_server and awsemu. awsemu's offering table is moto's captured data for awsemu's
// instance types, so the offerings agree; the two allowed differences (zone ids, and
// moto's missing KeyType) are in DIFFERENCES.md.
func TestInstanceTypeOfferingsAgainstMoto(t *testing.T) {
	t.Parallel()
	srv := startEC2(t)
	moto := awstest.StartMoto(t)
	compareRecords(t, offeringsScenario(t, srv.URL()), offeringsScenario(t, moto), "zone ids m6i.2xlarge", "describe key pair")
}
