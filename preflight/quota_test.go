package preflight_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/check"
	"github.com/winami/winami/preflight"
)

// setVCPUQuota sets a region's applied On-Demand standard vCPU quota over the endpoint's
// control API.
func (w *docWorld) setVCPUQuota(t *testing.T, region string, value int) {
	t.Helper()
	body := fmt.Sprintf(`{"region":%q,"serviceCode":"ec2","quotaCode":"L-1216C47A","value":%d}`, region, value)
	resp, err := http.Post(w.srv.URL()+awsemu.ControlPrefix+"servicequotas", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("setting the vCPU quota: HTTP %d", resp.StatusCode)
	}
}

func TestDoctorFastLaunchVCPUQuota(t *testing.T) {
	w := newDocWorld(t)
	w.setVCPUQuota(t, "us-west-2", 16)
	checks := w.run(t, loadSpec(t))
	c := onlyFailure(t, checks, preflight.CheckFastLaunch)
	if !strings.HasPrefix(c.Message, "us-west-2: 6 parallel launches × 4 vCPUs of t3.xlarge") || !strings.Contains(c.Message, "quota of 16 vCPUs in us-west-2") {
		t.Errorf("us-west-2: %+v", c)
	}
	if !strings.Contains(c.Fix, "aws service-quotas request-service-quota-increase --service-code ec2 --quota-code L-1216C47A --desired-value 40 --region us-west-2") ||
		!strings.Contains(c.Fix, "maxParallelLaunches") || strings.Contains(c.Fix, "create the launch template") {
		t.Errorf("us-west-2 fix: %q", c.Fix)
	}
	found := false
	for _, c := range checks {
		if c.Name == preflight.CheckFastLaunch && strings.HasPrefix(c.Message, "us-east-1") {
			found = true
			if c.Status != check.Pass || !strings.Contains(c.Message, "= 24 vCPUs within the On-Demand standard instances quota of 256 vCPUs in us-east-1") {
				t.Errorf("us-east-1: %+v", c)
			}
		}
	}
	if !found {
		t.Error("no fast-launch line for us-east-1")
	}
}

func TestDoctorFastLaunchVCPUQuotaUnreadable(t *testing.T) {
	w := newDocWorld(t)
	w.setVCPUQuota(t, "us-east-1", 16)
	w.setVCPUQuota(t, "us-west-2", 16)
	for i := 0; i < 2; i++ {
		w.srv.Faults.FailNext("servicequotas", "GetServiceQuota", awsemu.FaultError{Status: 400, Code: "AccessDeniedException", Message: "not authorized"})
	}
	checks := w.run(t, loadSpec(t))
	skips := 0
	for _, c := range checks {
		if c.Name != preflight.CheckFastLaunch {
			continue
		}
		switch c.Status {
		case check.Fail:
			t.Errorf("failed with the quota unreadable: %+v", c)
		case check.Skip:
			skips++
			if !strings.Contains(c.Message, "vCPU quota not checked") || !strings.Contains(c.Fix, "servicequotas:GetServiceQuota") {
				t.Errorf("skip line: %+v", c)
			}
		}
	}
	if skips != 2 {
		t.Errorf("%d skip lines, want one per region: %+v", skips, checks)
	}
}

// The operator policy lets the Fast Launch preflight read the vCPU quota and instance
// types (without them the check is skipped).
func TestOperatorPolicyReadsVCPUQuota(t *testing.T) {
	have := map[string]bool{}
	for _, a := range preflight.OperatorActions() {
		have[a] = true
	}
	for _, a := range []string{"ec2:DescribeInstanceTypes", "servicequotas:GetServiceQuota", "servicequotas:GetAWSDefaultServiceQuota"} {
		if !have[a] {
			t.Errorf("operator actions lack %s", a)
		}
	}
}
