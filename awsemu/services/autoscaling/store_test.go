package autoscaling_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu"
)

// step advances the clock and makes a request (the server ticks before each), until done
// reports true; it fails the test after max steps.
func (w *world) step(d time.Duration, max int, done func() bool) {
	w.t.Helper()
	for range max {
		if _, err := w.as.DescribeAutoScalingGroups(w.ctx, &autoscaling.DescribeAutoScalingGroupsInput{}); err != nil {
			w.t.Fatal(err)
		}
		if done() {
			return
		}
		w.clock.Advance(d)
	}
	w.t.Fatalf("not done after %d steps of %s", max, d)
}

func TestAutoScalingStoreForEKS(t *testing.T) {
	w := newWorld(t)
	ami1, ami2 := w.image("win-1"), w.image("win-2")
	lt := w.template("eks-nodes", ami1)
	v2 := w.version(lt, ami2)
	subnets, err := w.ec2.DescribeSubnets(w.ctx, &ec2.DescribeSubnetsInput{Filters: []ec2types.Filter{{Name: aws.String("default-for-az"), Values: []string{"true"}}}})
	if err != nil || len(subnets.Subnets) < 2 {
		t.Fatalf("default subnets: %v %v", subnets, err)
	}
	ids := []string{aws.ToString(subnets.Subnets[0].SubnetId), aws.ToString(subnets.Subnets[1].SubnetId)}
	store := w.srv.AutoScaling
	if store == nil {
		t.Fatal("Server.AutoScaling not set")
	}
	g := awsemu.AutoScalingGroup{Name: "eks-ng-1234", Region: region, MinSize: 1, MaxSize: 3, DesiredCapacity: 2,
		LaunchTemplateID: lt, LaunchTemplateVersion: "1", SubnetIDs: ids,
		Tags: map[string]string{"eks:cluster-name": "c", "eks:nodegroup-name": "ng"}}
	if err := store.CreateGroup(w.srv.Account, g); err != nil {
		t.Fatal(err)
	}
	var ae *awsemu.APIError
	if err := store.CreateGroup(w.srv.Account, g); !errors.As(err, &ae) || ae.Code != "AlreadyExists" {
		t.Errorf("duplicate CreateGroup: %v", err)
	}
	w.step(10*time.Second, 10, func() bool {
		got, _ := store.Group(region, "eks-ng-1234")
		n := 0
		for _, in := range got.Instances {
			if in.LifecycleState == "InService" && in.LaunchTemplateVersion == "1" {
				n++
			}
		}
		return n == 2
	})
	got, _ := store.Group(region, "eks-ng-1234")
	if len(got.AvailabilityZones) != 2 || got.Instances[0].AvailabilityZone == got.Instances[1].AvailabilityZone || got.LaunchTemplateID != lt {
		t.Errorf("group %+v: want two zones, one instance in each, template %s", got, lt)
	}
	if tags := tagMap(w.ec2Instance(got.Instances[0].ID).Tags); tags["eks:nodegroup-name"] != "ng" || tags["aws:autoscaling:groupName"] != "eks-ng-1234" {
		t.Errorf("instance tags %v", tags)
	}

	// An update: the group points at version 2, a hidden refresh replaces one at a time.
	// UpdateGroup sets the sizes as given: keep them from the group.
	upd, _ := store.Group(region, "eks-ng-1234")
	upd.LaunchTemplateVersion, upd.Instances = v2, nil
	if err := store.UpdateGroup(upd); err != nil {
		t.Fatal(err)
	}
	id, err := store.StartInstanceRefresh(region, "eks-ng-1234", awsemu.InstanceRefreshSpec{MinHealthyPercentage: 50, Hidden: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.StartInstanceRefresh(region, "eks-ng-1234", awsemu.InstanceRefreshSpec{Hidden: true}); !errors.As(err, &ae) || ae.Code != "InstanceRefreshInProgress" {
		t.Errorf("second refresh: %v", err)
	}
	minInService := 2
	w.step(10*time.Second, 40, func() bool {
		got, _ := store.Group(region, "eks-ng-1234")
		n := 0
		for _, in := range got.Instances {
			if in.LifecycleState == "InService" {
				n++
			}
		}
		minInService = min(minInService, n)
		info, ok := store.InstanceRefresh(region, "eks-ng-1234", id)
		return ok && info.Status == "Successful"
	})
	if minInService != 1 {
		t.Errorf("at least %d instances stayed in service; MinHealthyPercentage 50 of 2 replaces one at a time", minInService)
	}
	got, _ = store.Group(region, "eks-ng-1234")
	for _, in := range got.Instances {
		if in.LifecycleState != "Terminating" && in.LaunchTemplateVersion != v2 {
			t.Errorf("instance %+v not on version %s", in, v2)
		}
	}
	if info, _ := store.InstanceRefresh(region, "eks-ng-1234", id); info.PercentageComplete != 100 || info.InstancesToUpdate != 0 {
		t.Errorf("refresh info %+v", info)
	}
	out, err := w.as.DescribeInstanceRefreshes(w.ctx, &autoscaling.DescribeInstanceRefreshesInput{AutoScalingGroupName: aws.String("eks-ng-1234")})
	if err != nil || len(out.InstanceRefreshes) != 0 {
		t.Errorf("hidden refresh listed: %+v %v", out, err)
	}
	if err := store.DeleteGroup(region, "eks-ng-1234"); err != nil {
		t.Fatal(err)
	}
	if st := w.ec2Instance(got.Instances[0].ID).State.Name; st != ec2types.InstanceStateNameTerminated {
		t.Errorf("instance of the deleted group is %s", st)
	}
}
