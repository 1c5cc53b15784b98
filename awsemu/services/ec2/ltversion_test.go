package ec2_test

import (
	"strings"
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

// TestLaunchTemplateWriter makes a template and a version as EKS does for a node group
// without one; the EC2 API sees them.
func TestLaunchTemplateWriter(t *testing.T) {
	w := start(t)
	var wr awsemu.LaunchTemplateWriter = w.svc
	id, err := wr.CreateLaunchTemplate("us-east-1", "eks-1234", awsemu.LaunchTemplateContent{ImageID: "ami-00000000000000001", InstanceType: "t3.medium",
		RootDeviceName: "/dev/sda1", RootVolumeGiB: 50, Tags: map[string]string{"eks:nodegroup-name": "ng"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wr.CreateLaunchTemplate("us-east-1", "eks-1234", awsemu.LaunchTemplateContent{}); err == nil || !strings.Contains(err.Error(), "AlreadyExists") {
		t.Fatalf("same name again: %v", err)
	}
	n, err := wr.CreateLaunchTemplateVersion("us-east-1", id, awsemu.LaunchTemplateContent{ImageID: "ami-00000000000000002", InstanceType: "t3.medium"})
	if err != nil || n != 2 {
		t.Fatalf("version: %d %v", n, err)
	}
	if _, err := wr.CreateLaunchTemplateVersion("us-east-1", "lt-0123456789abcdef0", awsemu.LaunchTemplateContent{}); err == nil {
		t.Fatal("version of an unknown template")
	}
	out, err := w.c.DescribeLaunchTemplateVersions(ctx, &sdk.DescribeLaunchTemplateVersionsInput{LaunchTemplateId: aws.String(id)})
	if err != nil || len(out.LaunchTemplateVersions) != 2 {
		t.Fatalf("DescribeLaunchTemplateVersions: %v %+v", err, out)
	}
	for _, v := range out.LaunchTemplateVersions {
		d := v.LaunchTemplateData
		switch aws.ToInt64(v.VersionNumber) {
		case 1:
			if aws.ToString(d.ImageId) != "ami-00000000000000001" || !aws.ToBool(v.DefaultVersion) || len(d.BlockDeviceMappings) != 1 ||
				aws.ToInt32(d.BlockDeviceMappings[0].Ebs.VolumeSize) != 50 || string(d.BlockDeviceMappings[0].Ebs.VolumeType) != "gp3" {
				t.Fatalf("version 1: %+v", v)
			}
		case 2:
			if aws.ToString(d.ImageId) != "ami-00000000000000002" || aws.ToBool(v.DefaultVersion) || len(d.BlockDeviceMappings) != 0 {
				t.Fatalf("version 2: %+v", v)
			}
		}
	}
	tpl, ok := w.svc.LaunchTemplate("us-east-1", "eks-1234")
	if !ok || tpl.Tags["eks:nodegroup-name"] != "ng" || tpl.LatestVersion != 2 || tpl.DefaultVersion != 1 {
		t.Fatalf("template %+v", tpl)
	}
	if err := wr.DeleteLaunchTemplate("us-east-1", id); err != nil {
		t.Fatal(err)
	}
	if _, ok := w.svc.LaunchTemplate("us-east-1", id); ok {
		t.Fatal("deleted template still there")
	}
	if err := wr.DeleteLaunchTemplate("us-east-1", id); err == nil || !strings.Contains(err.Error(), "NotFound") {
		t.Fatalf("deleting again: %v", err)
	}
}
