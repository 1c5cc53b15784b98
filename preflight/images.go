package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/winami/winami/images"
)

// ImagesCheck adapts package images to Doctor.CheckImages: every cached image must have a
// windows/amd64 entry for the AMI's Windows build. An incompatible or missing image fails;
// a registry that cannot be read is a warning (the build itself may reach it).
func ImagesCheck(opts images.Options) func(ctx context.Context, refs []string, windows string) Check {
	return func(ctx context.Context, refs []string, windows string) Check {
		rep, err := images.Check(ctx, refs, windows, opts)
		if err != nil {
			return Check{Name: CheckCachedImages, Status: Warn, Message: fmt.Sprintf("cached images not checked: %v", err),
				Fix: "run `winami images check -f` on the spec"}
		}
		var bad, unread []string
		for _, im := range rep.Images {
			switch im.Status {
			case images.StatusCompatible:
			case images.StatusError:
				unread = append(unread, im.Ref+": "+im.Message)
			default:
				// The message already ends with the tag to use ("…; use <ref>") when the
				// registry has one (images.Image.Suggestion).
				bad = append(bad, fmt.Sprintf("%s is %s: %s", im.Ref, im.Status, im.Message))
			}
		}
		switch {
		case len(bad) > 0:
			return Check{Name: CheckCachedImages, Status: Fail,
				Message: fmt.Sprintf("%d of %d cached images cannot run on Windows %s (%s): %s", len(bad), len(refs), rep.Windows, rep.Build, strings.Join(bad, "; ")),
				Fix:     "with process isolation an image runs only on its own Windows build: pick the " + rep.Tag + " tag of each, or drop it from spec.cache.images"}
		case len(unread) > 0:
			return Check{Name: CheckCachedImages, Status: Warn, Message: "registries not readable: " + strings.Join(unread, "; "),
				Fix: "docker login / AWS credentials for ECR, then `winami images check -f`"}
		}
		return Check{Name: CheckCachedImages, Status: Pass, Message: fmt.Sprintf("%d cached images have a windows/amd64 entry for %s (%s)", len(refs), rep.Build, rep.Tag)}
	}
}
