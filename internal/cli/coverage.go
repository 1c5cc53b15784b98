package cli

import (
	"fmt"
	"io"
	"strconv"

	"github.com/winami/winami/images"
)

// writeCoverage prints the cache coverage of each AMI: a headline with the bytes a new
// node must pull, the images, and the spec change that would close it.
func writeCoverage(w io.Writer, l Layout, covs []images.Coverage, warnings []string) error {
	ew := &errWriter{w: w}
	used := false
	for _, c := range covs {
		used = used || len(c.Images) > 0
	}
	if len(covs) > 0 && !used {
		ew.printf("Cache coverage: the Windows pods and workloads use no image (%d %s checked).\n", len(covs), pluralWord(len(covs), "AMI"))
		covs = nil
	}
	for _, c := range covs {
		head := fmt.Sprintf("Cache coverage of %s (%s, %d %s, Windows %s): ", c.ImageID, c.Region, c.Nodes, pluralWord(c.Nodes, "node"), c.Windows)
		switch {
		case c.PullBytes == 0 && c.Unknown == 0:
			head += fmt.Sprintf("0 B to pull: every pod starts from the cache (%d/%d images)", c.Covered, len(c.Images))
		default:
			head += fmt.Sprintf("a new node pulls %s before every pod can start (%d/%d images cached", humanBytes(c.PullBytes, false), c.Covered, len(c.Images))
			if c.Unknown > 0 {
				head += fmt.Sprintf(", %d not read", c.Unknown)
			}
			head += ")"
		}
		ew.println(head)
		if c.Note != "" {
			ew.printf("  note: %s\n", c.Note)
		}
		if len(c.Images) > 0 {
			t := Table{Header: []string{"  IMAGE", "PODS", "STATUS", "CACHED LAYERS", "SIZE", "TO PULL"}}
			for _, ic := range c.Images {
				layers, size, pull := "-", "-", "-"
				if ic.Layers > 0 {
					layers = fmt.Sprintf("%d/%d", ic.CachedLayers, ic.Layers)
					size = humanBytes(ic.CompressedBytes, false)
				}
				if ic.Status != images.CoverageIncompatible && ic.Status != images.CoverageUnknown {
					pull = humanBytes(ic.PullBytes, false)
				}
				t.Rows = append(t.Rows, []string{"  " + ic.Image, strconv.Itoa(ic.Pods), string(ic.Status), layers, size, pull})
			}
			if err := t.Write(ew, l); err != nil {
				return err
			}
		}
		if len(c.Add) > 0 {
			ew.println("  to close it, add to spec.cache.images and rebuild:")
			for _, r := range c.Add {
				ew.printf("    - %s\n", r)
			}
		}
		ew.println()
	}
	for _, wn := range warnings {
		ew.printf("coverage warning: %s\n", wn)
	}
	return ew.err
}
