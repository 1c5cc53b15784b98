package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/check"
	"github.com/winami/winami/images"
)

// ImagesCheck adapts package images to Doctor.CheckImages: the entry the node's
// containerd pulls for every cached image must run on the AMI's Windows build (hcsshim's
// host/container rule; the containerd version is the EKS AMIs' for the Kubernetes minor).
// An incompatible, missing or broken image fails; a registry that cannot be read (auth,
// network) is a warning (the build itself may reach it).
func ImagesCheck(opts images.Options) func(ctx context.Context, refs []string, windows, kubernetes string) check.Check {
	return func(ctx context.Context, refs []string, windows, kubernetes string) check.Check {
		o := opts
		if o.Kubernetes == "" {
			o.Kubernetes = kubernetes
		}
		rep, err := images.Check(ctx, refs, windows, o)
		if err != nil {
			return check.Check{Name: CheckCachedImages, Status: check.Warn, Message: fmt.Sprintf("cached images not checked: %v", err),
				Fix: "run `winami images check -f` on the spec"}
		}
		var bad, unread, fixes []string
		fix := func(s string) {
			for _, f := range fixes {
				if f == s {
					return
				}
			}
			fixes = append(fixes, s)
		}
		for _, im := range rep.Images {
			switch {
			case im.Status == images.StatusCompatible:
				continue
			case im.Status == images.StatusError && im.Reason != images.ReasonBroken:
				unread = append(unread, im.Ref+": "+im.Message)
				continue
			}
			// The message already ends with the reference to use ("…; use <ref>") when
			// the registry has one (images.Image.Suggestion).
			bad = append(bad, fmt.Sprintf("%s is %s: %s", im.Ref, im.Status, im.Message))
			switch im.Reason {
			case images.ReasonNoRepository:
				fix(fmt.Sprintf("%s: the repository does not exist in that registry: check the registry and repository name (for ECR, the account, region and repository: create the repository and push the image first), or drop it from spec.cache.images", im.Ref))
			case images.ReasonNoTag:
				fix(fmt.Sprintf("%s: the repository has no such tag or digest: push it, or name a tag the repository has", im.Ref))
			case images.ReasonBroken:
				fix(fmt.Sprintf("%s: the registry lacks a manifest or config the image names: push the image again", im.Ref))
			default:
				fix(compatFix(rep))
			}
		}
		switch {
		case len(bad) > 0:
			return check.Check{Name: CheckCachedImages, Status: check.Fail,
				Message: fmt.Sprintf("%d of %d cached images cannot be cached for Windows %s (%s): %s", len(bad), len(refs), rep.Windows, rep.Build, strings.Join(bad, "; ")),
				Fix:     strings.Join(fixes, "; ")}
		case len(unread) > 0:
			return check.Check{Name: CheckCachedImages, Status: check.Warn, Message: "registries not readable: " + strings.Join(unread, "; "),
				Fix: "docker login / AWS credentials for ECR, then `winami images check -f`"}
		}
		return check.Check{Name: CheckCachedImages, Status: check.Pass, Message: fmt.Sprintf("%d cached images: the entry containerd pulls runs on %s (%s)", len(refs), rep.Build, rep.Tag)}
	}
}

// compatFix is the advice for an incompatible image: which image builds the host runs,
// by hcsshim's rule.
func compatFix(rep *images.Report) string {
	var runs []string
	for _, w := range catalog.RunsOnHost(rep.Build) {
		runs = append(runs, w.Tag)
	}
	return fmt.Sprintf("with process isolation a Windows Server %s host runs %s images only (hcsshim's rule: 2019 runs ltsc2019; 2022 ltsc2022; 2025 ltsc2022 and ltsc2025), and containerd pulls the first index entry it accepts: use the reference suggested for each image (a sibling tag, or the digest of the entry that runs), or drop it from spec.cache.images",
		rep.Windows, strings.Join(runs, " and "))
}
