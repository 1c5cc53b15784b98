package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/winami/winami/check"
	"github.com/winami/winami/fastlaunch"
	"github.com/winami/winami/spec"
)

// regionUse is how a command uses --region; every command honours it (one region, or a
// list) or refuses it with a reason, and every region it names is checked as a spec's
// regions are (spec.CheckRegion), before any AWS call.
type regionUse int

const (
	// regionOne: the command works in one region, --region's.
	regionOne regionUse = iota
	// regionList: --region takes a region, a list (us-east-1,us-west-2) or all.
	regionList
	// regionSpec: the spec's metadata.region decides where the command works; a --region
	// that names another region is refused once the spec is loaded (checkSpecRegion).
	regionSpec
	// regionNone: the command calls no AWS; --region is refused with the reason.
	regionNone
)

// regionUses maps a command's path below winami to how it uses --region; commands not
// listed work in one region.
var regionUses = map[string]regionUse{
	"resolve":            regionList,
	"fast-launch status": regionList,
	"prune":              regionList, // the regions pruned (default: spec.distribution.regions)
	"rollout":            regionList, // the regions rolled out (default: spec.distribution.regions)
	"plan":               regionSpec,
	"apply":              regionSpec,
	"build":              regionSpec,
	"doctor":             regionSpec,
	"render":             regionSpec,
	"iam-policy":         regionSpec, // with -f; without, --region names the partition
	"version":            regionNone,
	"images check":       regionNone,
}

// regionNoneReason says why a regionNone command refuses --region.
var regionNoneReason = map[string]string{
	"version":      "winami version calls no AWS",
	"images check": "images check reads registries, and asks ECR for a token in each ECR registry's own region (from its host name, such as 111122223333.dkr.ecr.us-west-2.amazonaws.com)",
}

// commandKey is cmd's path below the root ("fast-launch status").
func commandKey(cmd *cobra.Command) string {
	path := cmd.CommandPath()
	if i := strings.IndexByte(path, ' '); i >= 0 {
		return path[i+1:]
	}
	return ""
}

// checkRegionFlag checks --region for cmd before the command runs: refused where the
// command has no use for it, one region where it works in one, each region a known one
// (with the nearest name suggested). It records the command's use in f for loadSpec.
func checkRegionFlag(cmd *cobra.Command, f *Factory) error {
	key := commandKey(cmd)
	use := regionUses[key]
	f.regionUse = use
	if !cmd.Flags().Changed("region") {
		return nil
	}
	r := strings.TrimSpace(f.Region)
	if r == "" {
		return Usagef("flag --region is empty: give a region such as us-east-1, or leave the flag out to use AWS_REGION or the profile's")
	}
	switch use {
	case regionNone:
		return Usagef("flag --region %q: %s; leave the flag out", f.Region, regionNoneReason[key])
	case regionList:
		if strings.EqualFold(r, "all") {
			return nil
		}
	default:
		if strings.Contains(r, ",") || strings.EqualFold(r, "all") {
			why := "this command works in one region"
			if use == regionSpec {
				why = "this command works in the spec's metadata.region"
			}
			return Usagef("flag --region %q: %s; give one region such as us-east-1", f.Region, why)
		}
	}
	for _, one := range strings.Split(r, ",") {
		one = strings.TrimSpace(one)
		if one == "" {
			return Usagef("flag --region %q: an empty region in the list: give regions such as us-east-1,us-west-2", f.Region)
		}
		if strings.EqualFold(one, "all") {
			return Usagef("flag --region %q: all stands alone (every region), not in a list", f.Region)
		}
		if msg := spec.CheckRegion(one); msg != "" {
			return Usagef("flag --region: %s", msg)
		}
	}
	return nil
}

// checkSpecRegion refuses a --region that names another region than the spec's
// metadata.region, for a command whose region the spec decides: plan, apply, build,
// doctor, render and iam-policy -f would otherwise work in metadata.region and ignore it.
func checkSpecRegion(f *Factory, img *spec.WindowsImage) error {
	if f.regionUse != regionSpec || f.Region == "" || f.Region == img.Metadata.Region {
		return nil
	}
	at := specAt(img, "metadata.region")
	return Usagef("flag --region %q: the spec's metadata.region is %s (%s), and this command works there (the AMI goes to spec.distribution.regions); leave --region out, or change metadata.region", f.Region, img.Metadata.Region, at)
}

// checkLaunchTemplateFlag checks fast-launch enable --launch-template (lt-…|name[:version])
// with the rules of the spec's fastLaunch.launchTemplate fields, before any AWS call.
func checkLaunchTemplateFlag(v string) error {
	if v == "" {
		return nil
	}
	ref, err := fastlaunch.ParseTemplate(v)
	if err != nil {
		return Usage(fmt.Errorf("flag --launch-template: %w", err))
	}
	msg := ""
	switch {
	case ref.ID != "":
		msg = spec.CheckLaunchTemplateID(ref.ID)
	default:
		msg = spec.CheckLaunchTemplateName(ref.Name)
	}
	if msg == "" && ref.Version != "" {
		msg = spec.CheckLaunchTemplateVersion(ref.Version)
	}
	if msg != "" {
		return Usagef("flag --launch-template %q: %s (give lt-… or a name, optionally :version)", v, msg)
	}
	return nil
}

// launchTemplateMissing is the bad-input error (exit 2) for a preflight that found the
// launch template --launch-template names, or its version, missing in the region: the
// preflight's only failures of its launch-template check (the value's form was checked
// before, by checkLaunchTemplateFlag). nil when that check passed.
func launchTemplateMissing(pe *check.PreflightError, flag string) error {
	if flag == "" {
		return nil
	}
	for _, c := range pe.Checks {
		if c.Name == fastlaunch.CheckLaunchTemplate && c.Status == check.Fail {
			return Usagef("flag --launch-template %q: %s; %s", flag, c.Message, c.Fix)
		}
	}
	return nil
}
