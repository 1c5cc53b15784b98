package images

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/winami/winami/catalog"
)

func entryName(e *Entry) string {
	s := fmt.Sprintf("(%s, os.version %s)", shortDigest(e.ManifestDigest), dashIfEmpty(e.OSVersion))
	if e.Index < 0 {
		return s
	}
	return fmt.Sprintf("%d %s", e.Index, s)
}

func describe(platforms []string) string {
	if len(platforms) == 0 {
		return "no platform"
	}
	return strings.Join(platforms, ", ")
}

func platformString(os, arch, osVersion string) string {
	os, arch, osVersion = printable(os), printable(arch), printable(osVersion)
	s := os + "/" + arch
	if osVersion != "" {
		s += " " + osVersion
	}
	return s
}

var ltscTag = regexp.MustCompile(`ltsc20(19|22|25)`)

// suggest looks for a sibling tag, the same tag with another ltsc suffix, that the host
// runs: the host's own ltsc tag first, then older LTSC tags the host runs (hcsshim's rule:
// a 2025 host takes ltsc2022 when there is no ltsc2025 tag). A sibling counts only when
// the entry every runtime would pull from it runs on the host; index entries without
// os.version are judged by their config.
func (c *client) suggest(ctx context.Context, ref name.Reference, target catalog.WindowsVersion, rts []nodeRuntime) string {
	tag, ok := ref.(name.Tag)
	if !ok || !ltscTag.MatchString(tag.TagStr()) {
		return ""
	}
	vs := catalog.WindowsVersions()
	var order []catalog.WindowsVersion
	order = append(order, target)
	for i := len(vs) - 1; i >= 0; i-- {
		if vs[i].Build != target.Build && catalog.Runs(target.Build, vs[i].Build) {
			order = append(order, vs[i])
		}
	}
	for _, w := range order {
		cand := ltscTag.ReplaceAllString(tag.TagStr(), w.Tag)
		if cand == tag.TagStr() {
			continue
		}
		candRef := tag.Context().Tag(cand)
		off, err := c.read(ctx, candRef)
		if err != nil {
			continue
		}
		if ps, _ := pulls(off.entries, target.Build, rts); runsEverywhere(ps) {
			return candRef.String()
		}
	}
	return ""
}
