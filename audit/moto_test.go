package audit

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	corev1 "k8s.io/api/core/v1"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu/awstest"
)

// TestAgainstMoto runs the EC2 side of the audit against moto_server, a second,
// independent EC2 implementation: its InvalidInstanceID.NotFound answers and image-id
// filters must lead to the same mapping as awsemu's.
func TestAgainstMoto(t *testing.T) {
	endpoint := awstest.StartMoto(t)
	clients := awsapi.FromConfig(awstest.SDKConfig(endpoint, "us-east-1"))
	client := clients.EC2("us-east-1").(*ec2.Client)
	ctx := context.Background()
	imgs, err := client.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("moto has no Amazon images: %v", err)
	}
	ami := aws.ToString(imgs.Images[0].ImageId)
	run, err := client.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(4), MaxCount: aws.Int32(4)})
	if err != nil {
		t.Fatalf("RunInstances on moto: %v", err)
	}
	var nodes []*corev1.Node
	for i, in := range run.Instances {
		nodes = append(nodes, node(fmt.Sprintf("n%d", i), "us-east-1a", aws.ToString(in.InstanceId), "v1.35.2", build2022))
	}
	if _, err := client.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{aws.ToString(run.Instances[3].InstanceId)}}); err != nil {
		t.Fatal(err)
	}
	nodes = append(nodes, node("ghost-1", "us-east-1a", "i-0123456789abcdef0", "v1.35.2", build2022),
		node("ghost-2", "us-east-1a", "i-0fedcba9876543210", "v1.35.2", build2022))
	rep, err := Run(ctx, Options{Kube: cluster("v1.35.0", nodes...), AWS: clients})
	if err != nil {
		t.Fatalf("Run against moto: %v", err)
	}
	f := findingOf(rep, CheckInstanceGone)
	if f == nil || strings.Join(f.Nodes, ",") != "ghost-1,ghost-2,n3" {
		t.Fatalf("instance-gone = %+v; all %v", f, checks(rep))
	}
	for _, n := range rep.Nodes {
		if strings.HasPrefix(n.Name, "ghost") || n.Name == "n3" {
			continue
		}
		if n.ImageID != ami || n.InstanceState != "running" {
			t.Errorf("node %+v: want %s running", n, ami)
		}
	}
	if findingOf(rep, CheckMultipleAMIs) != nil || findingOf(rep, CheckAMIUnavailable) != nil {
		t.Errorf("findings %v", checks(rep))
	}
	t.Logf("requests against moto: %v", rep.Requests)
}
