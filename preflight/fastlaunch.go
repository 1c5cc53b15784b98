package preflight

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/winami/winami/check"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/spec"
)

func (d *Doctor) fastLaunch(ctx context.Context, img *spec.WindowsImage, account string) ([]check.Check, error) {
	fl := img.Spec.Distribution.FastLaunch
	if fl == nil || !fl.Enabled {
		return []check.Check{{Name: CheckFastLaunch, Status: check.Pass, Message: "Fast Launch not enabled in the spec"}}, nil
	}
	s := fastlaunch.Settings{TargetSnapshots: int32(fl.TargetSnapshots), MaxParallelLaunches: int32(fl.MaxParallelLaunches)}
	if lt := fl.LaunchTemplate; lt != nil {
		ref := fastlaunch.TemplateRef{ID: lt.ID, Name: lt.Name}
		if lt.Version != "" && lt.Version != "$Default" {
			ref.Version = lt.Version
		}
		s.LaunchTemplate = ref.String()
	}
	regions := append([]string(nil), img.Spec.Distribution.Regions...)
	sort.Strings(regions)
	var out []check.Check
	for _, r := range regions {
		checks, err := fastlaunch.New(d.Clients, r).CheckSettings(ctx, s)
		if err != nil {
			return nil, err
		}
		var bad, fixes, quota []string
		networkFailed := false
		for _, c := range checks {
			switch {
			case c.Status == check.Fail && c.Name == fastlaunch.CheckVCPUQuota:
				bad = append(bad, c.Message)
				fixes = append(fixes, "vCPU quota: "+c.Fix+", or lower spec.distribution.fastLaunch.maxParallelLaunches")
			case c.Status == check.Fail:
				bad = append(bad, c.Message)
				networkFailed = true
			case c.Name == fastlaunch.CheckVCPUQuota && c.Status == check.Pass:
				quota = append(quota, c.Message)
			case c.Status == check.Warn || c.Status == check.Skip:
				// Shown on their own line: not a failure, but the reader should know.
				out = append(out, check.Check{Name: CheckFastLaunch, Status: c.Status, Message: r + ": " + c.Message, Fix: c.Fix})
			}
		}
		if networkFailed {
			fixes = append([]string{fmt.Sprintf("create the launch template in %s (they are regional) or change spec.distribution.fastLaunch; without a launch template %s needs a default VPC", r, r)}, fixes...)
		}
		if len(bad) > 0 {
			out = append(out, check.Check{Name: CheckFastLaunch, Status: check.Fail, Message: r + ": " + strings.Join(bad, "; "), Fix: strings.Join(fixes, "; ")})
		} else {
			msg := fmt.Sprintf("%s: Fast Launch prerequisites met", r)
			if len(quota) > 0 {
				msg += "; " + strings.Join(quota, "; ")
			}
			out = append(out, check.Check{Name: CheckFastLaunch, Status: check.Pass, Message: msg})
		}
	}
	for _, r := range regions {
		c, err := d.fastLaunchRights(ctx, img, r, account)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
