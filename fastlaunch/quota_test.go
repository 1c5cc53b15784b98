package fastlaunch_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/check"
	"github.com/winami/winami/fastlaunch"
)

// setVCPUQuota sets the region's applied On-Demand standard vCPU quota over the
// endpoint's control API (value < 0 removes the applied value, leaving AWS's default).
func (w *world) setVCPUQuota(t *testing.T, value int) {
	t.Helper()
	v := "null"
	if value >= 0 {
		v = fmt.Sprint(value)
	}
	body := fmt.Sprintf(`{"region":%q,"serviceCode":"ec2","quotaCode":"L-1216C47A","value":%s}`, region, v)
	resp, err := http.Post(w.srv.URL()+awsemu.ControlPrefix+"servicequotas", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("setting the vCPU quota: HTTP %d", resp.StatusCode)
	}
}

func TestPreflightVCPUQuotaWithin(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owned := w.ownedWindowsAMI(t)
	// 6 × t3.xlarge (4 vCPUs) = 24: exactly the quota fits.
	w.setVCPUQuota(t, 24)
	res, err := w.c.Enable(ctx, owned, fastlaunch.Settings{}, fastlaunch.EnableOptions{})
	if err != nil {
		t.Fatalf("Enable within the quota: %v", err)
	}
	c := checkStatus(t, res.Checks, fastlaunch.CheckVCPUQuota, check.Pass)
	for _, want := range []string{"6 parallel launches × 4 vCPUs of t3.xlarge", "= 24 vCPUs", "quota of 24 vCPUs in us-east-1", "running count against it"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("pass message %q lacks %q", c.Message, want)
		}
	}
	if n := w.srv.Faults.Count("servicequotas", "GetServiceQuota", region); n == 0 {
		t.Error("GetServiceQuota not called")
	}
}

func TestPreflightVCPUQuotaExceeded(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owned := w.ownedWindowsAMI(t)

	// 6 × 4 = 24 > 16, and no --max-parallel ≥ 6 fits: only an increase helps.
	w.setVCPUQuota(t, 16)
	before := w.srv.Faults.Count("ec2", "EnableFastLaunch", "")
	res, err := w.c.Enable(ctx, owned, fastlaunch.Settings{}, fastlaunch.EnableOptions{})
	var pe *check.PreflightError
	if !errors.As(err, &pe) {
		t.Fatalf("Enable over the quota: %v, want a preflight error", err)
	}
	if w.srv.Faults.Count("ec2", "EnableFastLaunch", "") != before {
		t.Error("EnableFastLaunch called over the quota")
	}
	c := checkStatus(t, res.Checks, fastlaunch.CheckVCPUQuota, check.Fail)
	for _, want := range []string{"= 24 vCPUs exceed", "quota of 16 vCPUs in us-east-1", "ec2/L-1216C47A", "running count against it"} {
		if !strings.Contains(c.Message, want) {
			t.Errorf("fail message %q lacks %q", c.Message, want)
		}
	}
	cmd := "`aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-1216C47A --desired-value 40 --region us-east-1`"
	if !strings.Contains(c.Fix, cmd) || strings.Contains(c.Fix, "--max-parallel") {
		t.Errorf("fix %q, want only %s", c.Fix, cmd)
	}

	// 8 × 4 = 32 > 30: 7 would fit, so lowering --max-parallel is offered too.
	w.setVCPUQuota(t, 30)
	checks, err := w.c.CheckSettings(ctx, fastlaunch.Settings{MaxParallelLaunches: 8})
	if err != nil {
		t.Fatal(err)
	}
	c = checkStatus(t, checks, fastlaunch.CheckVCPUQuota, check.Fail)
	if !strings.Contains(c.Message, "8 parallel launches × 4 vCPUs of t3.xlarge") || !strings.Contains(c.Fix, "pass --max-parallel 7 or less") ||
		!strings.Contains(c.Fix, "--desired-value 62") {
		t.Errorf("8 launches over 30 vCPUs: %+v", c)
	}

	// No value applied to the account: AWS's default (5 vCPUs) is what counts.
	w.setVCPUQuota(t, -1)
	checks, err = w.c.CheckSettings(ctx, fastlaunch.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	c = checkStatus(t, checks, fastlaunch.CheckVCPUQuota, check.Fail)
	if !strings.Contains(c.Message, "quota of 5 vCPUs") || !strings.Contains(c.Message, "AWS default") {
		t.Errorf("default quota: %+v", c)
	}
}

func TestPreflightVCPUQuotaUsesTemplateInstanceType(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	mk := func(name string, typ types.InstanceType) {
		data := &types.RequestLaunchTemplateData{InstanceType: typ}
		if typ == "" {
			data.EbsOptimized = aws.Bool(true) // a template must hold something
		}
		if _, err := w.ec2.CreateLaunchTemplate(ctx, &ec2.CreateLaunchTemplateInput{LaunchTemplateName: aws.String(name), LaunchTemplateData: data}); err != nil {
			t.Fatal(err)
		}
	}
	mk("fl-big", types.InstanceTypeM6i2xlarge)
	mk("fl-notype", "")
	mk("fl-gpu", types.InstanceTypeG4dnXlarge)
	w.setVCPUQuota(t, 32)

	// 6 × m6i.2xlarge (8 vCPUs) = 48 > 32, though 6 × t3.xlarge would fit.
	checks, err := w.c.CheckSettings(ctx, fastlaunch.Settings{LaunchTemplate: "fl-big"})
	if err != nil {
		t.Fatal(err)
	}
	c := checkStatus(t, checks, fastlaunch.CheckVCPUQuota, check.Fail)
	if !strings.Contains(c.Message, "8 vCPUs of m6i.2xlarge (from the launch template) = 48 vCPUs") {
		t.Errorf("template type: %+v", c)
	}
	// A template without an instance type: the documented t3.xlarge.
	checks, err = w.c.CheckSettings(ctx, fastlaunch.Settings{LaunchTemplate: "fl-notype"})
	if err != nil {
		t.Fatal(err)
	}
	c = checkStatus(t, checks, fastlaunch.CheckVCPUQuota, check.Pass)
	if !strings.Contains(c.Message, "4 vCPUs of t3.xlarge (the launch template names none") {
		t.Errorf("template without a type: %+v", c)
	}
	// A G instance counts against another quota: not checked here.
	checks, err = w.c.CheckSettings(ctx, fastlaunch.Settings{LaunchTemplate: "fl-gpu"})
	if err != nil {
		t.Fatal(err)
	}
	c = checkStatus(t, checks, fastlaunch.CheckVCPUQuota, check.Skip)
	if !strings.Contains(c.Message, "g4dn.xlarge is not a standard") {
		t.Errorf("gpu template: %+v", c)
	}
	// A missing template: nothing names the type.
	checks, err = w.c.CheckSettings(ctx, fastlaunch.Settings{LaunchTemplate: "no-such-template"})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, checks, fastlaunch.CheckVCPUQuota, check.Skip)
}

func TestPreflightVCPUQuotaUnreadableIsSkipped(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	owned := w.ownedWindowsAMI(t)
	w.setVCPUQuota(t, 16) // would fail, were it readable
	w.srv.Faults.FailNext("servicequotas", "GetServiceQuota", awsemu.FaultError{Status: 400, Code: "AccessDeniedException",
		Message: "User is not authorized to perform: servicequotas:GetServiceQuota"})
	res, err := w.c.Enable(ctx, owned, fastlaunch.Settings{}, fastlaunch.EnableOptions{})
	if err != nil {
		t.Fatalf("Enable with the quota unreadable: %v", err)
	}
	c := checkStatus(t, res.Checks, fastlaunch.CheckVCPUQuota, check.Skip)
	if !strings.Contains(c.Message, "not checked") || !strings.Contains(c.Fix, "servicequotas:GetServiceQuota") {
		t.Errorf("skip note: %+v", c)
	}
	if w.srv.Faults.Count("servicequotas", "GetServiceQuota", region) != 1 {
		t.Error("GetServiceQuota not called once")
	}
}

func TestPreflightParallelAboveFastLaunchQuotaWarns(t *testing.T) {
	w := newWorld(t)
	checks, err := w.c.CheckSettings(context.Background(), fastlaunch.Settings{MaxParallelLaunches: 41})
	if err != nil {
		t.Fatal(err)
	}
	c := checkStatus(t, checks, fastlaunch.CheckParallel, check.Warn)
	if !strings.Contains(c.Message, "default quota of 40 parallel launches") || !strings.Contains(c.Fix, "--max-parallel 40") {
		t.Errorf("above 40: %+v", c)
	}
	// 41 × 4 = 164 vCPUs fit in the seeded 256.
	checkStatus(t, checks, fastlaunch.CheckVCPUQuota, check.Pass)
	checks, err = w.c.CheckSettings(context.Background(), fastlaunch.Settings{MaxParallelLaunches: 40})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, checks, fastlaunch.CheckParallel, check.Pass)
}
