package fastlaunch_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/winami/winami/fastlaunch"
)

// TestStatusAll: the status of every region at once, in the order of the regions: every
// Fast Launch image of the account without a reference; with an ssm: reference, the image
// it names in each region, and an entry with the error (Bad) where it names none.
func TestStatusAll(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	ami := w.ownedWindowsAMI(t)
	if _, err := w.c.Enable(ctx, ami, fastlaunch.Settings{}, fastlaunch.EnableOptions{SkipPreflight: true}); err != nil {
		t.Fatal(err)
	}
	regions := []string{"us-west-2", region}

	all := fastlaunch.StatusAll(ctx, w.clients, regions, "")
	if len(all) != 1 || all[0].Region != region || all[0].ImageID != ami || all[0].State == fastlaunch.StateGone || all[0].Bad() {
		t.Fatalf("every image: %+v, want one entry for %s in %s", all, ami, region)
	}

	const param = "/winami/status/image_id"
	if _, err := w.clients.SSM(region).PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(param), Value: aws.String(ami),
		Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image")}); err != nil {
		t.Fatal(err)
	}
	all = fastlaunch.StatusAll(ctx, w.clients, regions, "ssm:"+param)
	if len(all) != 2 {
		t.Fatalf("by parameter: %+v, want one entry per region", all)
	}
	if west := all[0]; west.Region != "us-west-2" || west.State != "unknown" || west.Error == "" || !west.Bad() {
		t.Errorf("region without the parameter: %+v, want an unknown state with the error", west)
	}
	if east := all[1]; east.Region != region || east.ImageID != ami || east.Error != "" || east.Bad() {
		t.Errorf("region with the parameter: %+v, want %s", east, ami)
	}
}
