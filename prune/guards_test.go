package prune_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	ibtypes "github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/prune"
)

const orgARN = "arn:aws:organizations::111122223333:organization/o-a1b2c3d4e5"

func (w *world) share(ami string, perms ...types.LaunchPermission) {
	w.t.Helper()
	if _, err := w.ec2.ModifyImageAttribute(context.Background(), &ec2.ModifyImageAttributeInput{ImageId: aws.String(ami),
		LaunchPermission: &types.LaunchPermissionModifications{Add: perms}}); err != nil {
		w.t.Fatalf("ModifyImageAttribute %s: %v", ami, err)
	}
}

// TestPlanKeepsSharedAMIs: an AMI whose launch permissions name another account or an
// organization is kept (prune cannot see who launches it there) and the plan says with
// whom; --include-shared prunes it, still saying with whom it was shared.
func TestPlanKeepsSharedAMIs(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	withAccount, withOrg, plain, _ := w.build(), w.build(), w.build(), w.build()
	w.share(withAccount, types.LaunchPermission{UserId: aws.String("444455556666")})
	w.share(withOrg, types.LaunchPermission{OrganizationArn: aws.String(orgARN)})

	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, withAccount, "shared with account 444455556666")
	wantKept(t, plan, withOrg, "shared with organization "+orgARN)
	wantDeleted(t, plan, plain)
	if got := find(t, plan, withOrg).SharedWith; len(got) != 1 || got[0] != "organization "+orgARN {
		t.Errorf("sharedWith of %s: %v", withOrg, got)
	}

	plan, err = w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1, IncludeShared: true})
	if err != nil {
		t.Fatal(err)
	}
	wantDeleted(t, plan, withAccount)
	wantDeleted(t, plan, withOrg)
	if im := find(t, plan, withAccount); len(im.SharedWith) != 1 || !strings.Contains(strings.Join(im.Reasons, ";"), "--include-shared") {
		t.Errorf("with --include-shared, %s: %v %v", withAccount, im.SharedWith, im.Reasons)
	}
	w.pruner.Execute(ctx, plan)
	if plan.Failed() != 0 || w.imageExists(withAccount) || w.imageExists(withOrg) {
		t.Errorf("executing the --include-shared plan: %+v", plan.Images)
	}
}

// TestPlanConsidersDisabledAMIs: DescribeImages leaves disabled AMIs out unless asked;
// prune asks, keeps a disabled AMI that a launch template still names, and prunes one
// nobody uses.
func TestPlanConsidersDisabledAMIs(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	inTemplate, unused, _ := w.build(), w.build(), w.build()
	if _, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("win-nodes"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String(inTemplate)}}); err != nil {
		t.Fatal(err)
	}
	snaps := w.snapshots(unused)
	for _, ami := range []string{inTemplate, unused} {
		if _, err := w.ec2.DisableImage(ctx, &ec2.DisableImageInput{ImageId: aws.String(ami)}); err != nil {
			t.Fatal(err)
		}
	}
	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, inTemplate, "in launch template win-nodes")
	wantDeleted(t, plan, unused)
	if st := find(t, plan, inTemplate).State; st != "disabled" {
		t.Errorf("state of %s in the plan: %q", inTemplate, st)
	}
	w.pruner.Execute(ctx, plan)
	if plan.Failed() != 0 {
		t.Fatalf("failures: %+v", plan.Images)
	}
	out, err := w.ec2.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"self"}, IncludeDisabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, im := range out.Images {
		left[aws.ToString(im.ImageId)] = true
	}
	if !left[inTemplate] || left[unused] {
		t.Errorf("after the prune: %v", left)
	}
	for _, s := range snaps {
		if w.snapshotExists(s) {
			t.Errorf("snapshot %s of the disabled AMI left behind", s)
		}
	}
}

// TestPlanKeepsFleetAndSpotAMIs: an AMI named directly by a Spot Fleet request's launch
// specification, an EC2 Fleet's launch template override or a Spot Instance request is
// kept while the request or fleet is live; once cancelled or deleted it no longer holds it.
func TestPlanKeepsFleetAndSpotAMIs(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	spotFleet, fleet, spot, cancelled, _ := w.build(), w.build(), w.build(), w.build(), w.build()
	sfr, err := w.ec2.RequestSpotFleet(ctx, &ec2.RequestSpotFleetInput{SpotFleetRequestConfig: &types.SpotFleetRequestConfigData{
		IamFleetRole: aws.String("arn:aws:iam::123456789012:role/aws-ec2-spot-fleet-tagging-role"), TargetCapacity: aws.Int32(2),
		LaunchSpecifications: []types.SpotFleetLaunchSpecification{{ImageId: aws.String(spotFleet), InstanceType: types.InstanceTypeM6iLarge}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	lt, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String("fleet-lt"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{InstanceType: types.InstanceTypeM6iLarge}})
	if err != nil {
		t.Fatal(err)
	}
	fl, err := w.ec2.CreateFleet(ctx, &ec2.CreateFleetInput{
		LaunchTemplateConfigs: []types.FleetLaunchTemplateConfigRequest{{
			LaunchTemplateSpecification: &types.FleetLaunchTemplateSpecificationRequest{LaunchTemplateId: lt.LaunchTemplate.LaunchTemplateId, Version: aws.String("1")},
			Overrides:                   []types.FleetLaunchTemplateOverridesRequest{{ImageId: aws.String(fleet), InstanceType: types.InstanceTypeM6iXlarge}},
		}},
		TargetCapacitySpecification: &types.TargetCapacitySpecificationRequest{TotalTargetCapacity: aws.Int32(1), DefaultTargetCapacityType: types.DefaultTargetCapacityTypeSpot},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ec2.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{Type: types.SpotInstanceTypePersistent,
		LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(spot), InstanceType: types.InstanceTypeM6iLarge}}); err != nil {
		t.Fatal(err)
	}
	old, err := w.ec2.RequestSpotInstances(ctx, &ec2.RequestSpotInstancesInput{
		LaunchSpecification: &types.RequestSpotLaunchSpecification{ImageId: aws.String(cancelled), InstanceType: types.InstanceTypeM6iLarge}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ec2.CancelSpotInstanceRequests(ctx, &ec2.CancelSpotInstanceRequestsInput{SpotInstanceRequestIds: []string{aws.ToString(old.SpotInstanceRequests[0].SpotInstanceRequestId)}}); err != nil {
		t.Fatal(err)
	}

	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, spotFleet, "in Spot Fleet request "+aws.ToString(sfr.SpotFleetRequestId))
	wantKept(t, plan, fleet, "in EC2 Fleet "+aws.ToString(fl.FleetId))
	wantKept(t, plan, spot, "in Spot Instance request sir-")
	wantDeleted(t, plan, cancelled)

	// Cancelled and deleted, they hold nothing.
	if _, err := w.ec2.CancelSpotFleetRequests(ctx, &ec2.CancelSpotFleetRequestsInput{SpotFleetRequestIds: []string{aws.ToString(sfr.SpotFleetRequestId)}, TerminateInstances: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ec2.DeleteFleets(ctx, &ec2.DeleteFleetsInput{FleetIds: []string{aws.ToString(fl.FleetId)}, TerminateInstances: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	plan, err = w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantDeleted(t, plan, spotFleet)
	wantDeleted(t, plan, fleet)
	wantKept(t, plan, spot, "in Spot Instance request")
}

// TestPlanKeepsRecipeParents: an Image Builder recipe of the account whose parentImage is
// a candidate (its AMI ID, an ssm: parameter naming it, or the Image Builder image ARN it
// was built as) keeps it.
func TestPlanKeepsRecipeParents(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	byID, bySSM, byARN, unused, _ := w.build(), w.build(), w.build(), w.build(), w.build()
	cfg := awstest.SDKConfig(w.srv.URL(), region)
	ibc := ib.NewFromConfig(cfg)
	if _, err := w.ssm.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/team/base"), Value: aws.String(bySSM), Type: ssmtypes.ParameterTypeString, DataType: aws.String("aws:ec2:image")}); err != nil {
		t.Fatal(err)
	}
	arn := fmt.Sprintf("arn:aws:imagebuilder:%s:123456789012:image/%s-recipe/1.0.0/3", region, name) // w.build's third AMI
	for i, parent := range []string{byID, "ssm:/team/base", arn} {
		if _, err := ibc.CreateImageRecipe(ctx, &ib.CreateImageRecipeInput{Name: aws.String(fmt.Sprintf("child-%d", i)), SemanticVersion: aws.String("1.0.0"),
			ParentImage: aws.String(parent), ClientToken: aws.String(fmt.Sprintf("child-%d", i)),
			Components: []ibtypes.ComponentConfiguration{{ComponentArn: aws.String("arn:aws:imagebuilder:us-east-1:aws:component/eks-optimized-ami-windows/1.31.x")}}}); err != nil {
			t.Fatalf("CreateImageRecipe parent %s: %v", parent, err)
		}
	}
	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, byID, "parent image of Image Builder recipe arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/child-0/1.0.0")
	wantKept(t, plan, bySSM, "through ssm:/team/base")
	wantKept(t, plan, byARN, "through "+arn)
	wantDeleted(t, plan, unused)
}

type fakeGuard struct {
	regions []string
	keep    string
}

func (g *fakeGuard) InUse(_ context.Context, region string, cs []prune.Candidate) (map[string][]string, error) {
	g.regions = append(g.regions, region)
	return map[string][]string{g.keep: {"selected by a guard"}, "ami-0000000000000000f": {"not a candidate"}}, nil
}

// TestGuardsKeepWhatTheyName: Options.Guards are asked per region about the candidates,
// and what they name is kept with their reason.
func TestGuardsKeepWhatTheyName(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	kept, gone, _ := w.build(), w.build(), w.build()
	g := &fakeGuard{keep: kept}
	plan, err := w.pruner.Plan(ctx, prune.Options{Name: name, Regions: []string{region}, Keep: 1, Guards: []prune.Guard{g}})
	if err != nil {
		t.Fatal(err)
	}
	wantKept(t, plan, kept, "selected by a guard")
	wantDeleted(t, plan, gone)
	if len(g.regions) != 1 || g.regions[0] != region || len(plan.Images) != 3 {
		t.Errorf("guard asked for %v; plan %d images", g.regions, len(plan.Images))
	}
}
