package spec

import (
	"fmt"
	"slices"
	"strings"
)

// The rules below are shared by a spec field and the command-line flag that mirrors it
// (--region, fast-launch enable --snapshots and --max-parallel, prune --keep), so that a
// value refused in a spec is refused as a flag, with the same words. Each returns "" for a
// value that is accepted, else what is wrong and what is accepted; the caller names the
// field ("spec.keep: …") or the flag ("flag --keep: …").

// Fast Launch bounds.
const (
	// MinTargetSnapshots and MaxTargetSnapshots bound the pre-provisioned snapshots: Image
	// Builder's FastLaunchSnapshotConfiguration.targetResourceCount is an integer of 1 to
	// 10000 (EC2 Image Builder API Reference, FastLaunchSnapshotConfiguration,
	// https://docs.aws.amazon.com/imagebuilder/latest/APIReference/API_FastLaunchSnapshotConfiguration.html;
	// botocore imagebuilder service-2.json, shape TargetResourceCount: min 1, max 10000).
	MinTargetSnapshots = 1
	MaxTargetSnapshots = 10000
	// MinParallelLaunches is EC2's minimum MaxParallelLaunches: "Value must be 6 or
	// greater" (EC2 API Reference, EnableFastLaunch,
	// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_EnableFastLaunch.html).
	MinParallelLaunches = 6
	// MinKeep is the fewest AMIs prune keeps: it never deletes the newest.
	MinKeep = 1
)

// CheckTargetSnapshots returns why n pre-provisioned snapshots are refused, or "".
func CheckTargetSnapshots(n int) string {
	if n < MinTargetSnapshots || n > MaxTargetSnapshots {
		return fmt.Sprintf("%d is outside %d..%d pre-provisioned snapshots", n, MinTargetSnapshots, MaxTargetSnapshots)
	}
	return ""
}

// CheckMaxParallelLaunches returns why n parallel launches are refused, or "".
func CheckMaxParallelLaunches(n int) string {
	if n < MinParallelLaunches {
		return fmt.Sprintf("%d is too low: EC2 Fast Launch needs %d or more parallel launches", n, MinParallelLaunches)
	}
	return ""
}

// CheckKeep returns why keeping n AMIs is refused, or "".
func CheckKeep(n int) string {
	if n < MinKeep {
		return fmt.Sprintf("%d: keep at least %d AMI", n, MinKeep)
	}
	return ""
}

// CheckRegion returns why r is not a region a spec (or --region) may name, or "": a name
// of the AWS region form that is one of Regions. A near miss suggests the nearest name
// ("us-est-1" → us-east-1).
func CheckRegion(r string) string {
	if slices.Contains(Regions, r) {
		return ""
	}
	hint := ""
	if near := closestRegions(r); len(near) > 0 {
		q := make([]string, len(near))
		for i, n := range near {
			q[i] = fmt.Sprintf("%q", n)
		}
		hint = fmt.Sprintf(" (did you mean %s?)", strings.Join(q, " or "))
	}
	if !regionRE.MatchString(r) {
		return fmt.Sprintf("%q is not an AWS region name such as us-east-1%s", r, hint)
	}
	return fmt.Sprintf("%q is not a known AWS region%s: use one of %s", r, hint, strings.Join(Regions, ", "))
}

// closestRegions are the known regions nearest to r, when they are near enough: every
// one as near, since "us-west-3" is as near to us-west-1 as to us-west-2.
func closestRegions(r string) []string {
	key := strings.ToLower(strings.TrimSpace(r))
	best := closest(key, Regions)
	if best == "" {
		return nil
	}
	// Of the regions as near, those whose parts start as r's do (us-est-1 is us-east-1
	// rather than us-west-1).
	d, most := distance(key, best), -1
	var out []string
	for _, n := range Regions {
		if distance(key, n) != d {
			continue
		}
		switch m := sameInitials(key, n); {
		case m > most:
			out, most = []string{n}, m
		case m == most:
			out = append(out, n)
		}
	}
	return out
}

// sameInitials counts the dash-separated parts of a and b that start with the same
// character.
func sameInitials(a, b string) int {
	pa, pb := strings.Split(a, "-"), strings.Split(b, "-")
	n := 0
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] != "" && pb[i] != "" && pa[i][0] == pb[i][0] {
			n++
		}
	}
	return n
}

// CheckLaunchTemplateID returns why id is not a launch template id, or "".
func CheckLaunchTemplateID(id string) string {
	if !ltIDRE.MatchString(id) {
		return fmt.Sprintf("%q is not a launch template id such as lt-0123456789abcdef0", id)
	}
	return ""
}

// CheckLaunchTemplateName returns why name is not a launch template name, or "": 3 to
// 128 letters, digits and ().-/_ (EC2 API Reference, CreateLaunchTemplate,
// LaunchTemplateName: "Pattern: [a-zA-Z0-9\(\)\.\-/_]+", 3 to 128 characters,
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateLaunchTemplate.html).
func CheckLaunchTemplateName(name string) string {
	if !ltNameRE.MatchString(name) {
		return fmt.Sprintf("%q is not a launch template name: 3 to 128 letters, digits and ().-/_", name)
	}
	return ""
}

// CheckLaunchTemplateVersion returns why v is not a launch template version, or "": a
// version number (from 1), $Latest or $Default.
func CheckLaunchTemplateVersion(v string) string {
	if !ltVersionRE.MatchString(v) {
		return fmt.Sprintf("%q is not a launch template version: a number, $Latest or $Default", v)
	}
	return ""
}

// Suggest is the name of names nearest to s (case-insensitively), when one is near
// enough to be what the user meant, else "". The spec's unknown fields and regions and
// the command line's flags (--region, --profile) suggest with it.
func Suggest(s string, names []string) string { return closest(s, names) }
