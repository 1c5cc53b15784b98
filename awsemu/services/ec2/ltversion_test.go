package ec2_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu"
)

// TestLaunchTemplateVersionReader reads template versions as EKS does (by id or name,
// $Default, $Latest or a number).
func TestLaunchTemplateVersionReader(t *testing.T) {
	w := start(t)
	lt := w.template(t, "win-nodes", "ami-00000000000000001")
	if _, err := w.c.CreateLaunchTemplateVersion(ctx, &sdk.CreateLaunchTemplateVersionInput{LaunchTemplateId: aws.String(lt), SourceVersion: aws.String("1"),
		LaunchTemplateData: &types.RequestLaunchTemplateData{ImageId: aws.String("ami-00000000000000002"),
			IamInstanceProfile: &types.LaunchTemplateIamInstanceProfileSpecificationRequest{Name: aws.String("nodes")}}}); err != nil {
		t.Fatal(err)
	}
	var r awsemu.LaunchTemplateVersionReader = w.svc
	for _, c := range []struct {
		idOrName, version string
		number            int64
		image, profile    string
	}{
		{lt, "", 1, "ami-00000000000000001", ""},
		{"win-nodes", "$Default", 1, "ami-00000000000000001", ""},
		{"win-nodes", "$Latest", 2, "ami-00000000000000002", "nodes"},
		{lt, "2", 2, "ami-00000000000000002", "nodes"},
	} {
		v, ok := r.LaunchTemplateVersion("us-east-1", c.idOrName, c.version)
		if !ok || v.Number != c.number || v.ImageID != c.image || v.TemplateID != lt || v.TemplateName != "win-nodes" ||
			v.InstanceType != "m6i.large" || v.IamInstanceProfile != c.profile {
			t.Fatalf("%s %q: %v %+v", c.idOrName, c.version, ok, v)
		}
	}
	for _, c := range [][3]string{{"us-east-1", lt, "3"}, {"us-east-1", "nope", ""}, {"us-west-2", lt, "1"}, {"us-east-1", lt, "x"}} {
		if v, ok := r.LaunchTemplateVersion(c[0], c[1], c[2]); ok {
			t.Fatalf("%v: found %+v", c, v)
		}
	}
}
