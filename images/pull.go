package images

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/winami/winami/catalog"
)

// Entry is one windows/amd64 manifest a reference offers: an index entry, or the
// reference's own manifest when it is not an index.
type Entry struct {
	// Index is the entry's position in the index (0 first); -1 for a single manifest.
	Index int `json:"index"`
	// ManifestDigest is the entry's image manifest.
	ManifestDigest string `json:"manifestDigest"`
	// OSVersion is the entry's build: the index's os.version, else its config's.
	OSVersion string `json:"osVersion,omitempty"`
	// FromConfig is true when the index gives no os.version for the entry, so the build
	// was read from the image config (containerd's matcher sees no os.version then).
	FromConfig bool `json:"osVersionFromConfig,omitempty"`

	// label is the index's os.version ("" when absent or for a single manifest).
	label string
	// noPlatform: the index entry has no platform at all (containerd keeps it, last).
	noPlatform bool
	ch         *chosen
}

// Pull is the entry a node's containerd pulls and runs for a reference, and why.
type Pull struct {
	// Containerd is the containerd version this pull is computed for.
	Containerd string `json:"containerd"`
	// Kubernetes lists the Kubernetes minors whose EKS-optimized Windows AMIs ship it
	// (empty when the containerd version was given directly).
	Kubernetes []string `json:"kubernetes,omitempty"`
	// Order is how that containerd orders the entries its matcher accepts: index,
	// os.version or revision (see catalog.PullOrder).
	Order catalog.PullOrder `json:"order"`
	// Index, ManifestDigest and OSVersion name the entry pulled (Index -1: a single
	// manifest; ManifestDigest "" when no entry is accepted).
	Index          int    `json:"index"`
	ManifestDigest string `json:"manifestDigest,omitempty"`
	OSVersion      string `json:"osVersion,omitempty"`
	// Runs is true when the host's build runs that entry (hcsshim's rule).
	Runs bool `json:"runs"`
	// Reason says why containerd takes that entry.
	Reason string `json:"reason"`
}

// nodeRuntime is one containerd version whose pull the check computes.
type nodeRuntime struct {
	containerd string
	kubernetes []string
	order      catalog.PullOrder
}

// runtimes returns the containerd versions to check against: the one given, the one of
// the EKS AMIs for the Kubernetes minor given, or else one per distinct pull order among
// the EKS AMIs of every Kubernetes minor the Windows version has.
func runtimes(opts Options, target catalog.WindowsVersion) ([]nodeRuntime, error) {
	if opts.Containerd != "" {
		o, err := catalog.ContainerdOrder(opts.Containerd)
		if err != nil {
			return nil, err
		}
		return []nodeRuntime{{containerd: opts.Containerd, order: o}}, nil
	}
	if opts.Kubernetes != "" {
		if _, err := catalog.ParseKubernetes(opts.Kubernetes); err != nil {
			return nil, err
		}
		if v, ok := catalog.EKSContainerd(opts.Kubernetes); ok {
			o, err := catalog.ContainerdOrder(v)
			if err != nil {
				return nil, err
			}
			return []nodeRuntime{{containerd: v, kubernetes: []string{opts.Kubernetes}, order: o}}, nil
		}
	}
	var out []nodeRuntime
	byOrder := map[catalog.PullOrder]int{}
	for _, k := range catalog.EKSContainerdVersions() {
		if catalog.CompareKubernetes(k, target.FirstKubernetes) < 0 {
			continue
		}
		v, _ := catalog.EKSContainerd(k)
		o, err := catalog.ContainerdOrder(v)
		if err != nil {
			return nil, err
		}
		if i, ok := byOrder[o]; ok {
			out[i].kubernetes = append(out[i].kubernetes, k)
			if !strings.Contains(","+out[i].containerd+",", ","+v+",") {
				out[i].containerd += "," + v
			}
			continue
		}
		byOrder[o] = len(out)
		out = append(out, nodeRuntime{containerd: v, kubernetes: []string{k}, order: o})
	}
	return out, nil
}

// brokenError is a failure to read something a reference points to (an index entry's
// manifest, a config blob): the image is broken or unreadable, never "missing".
type brokenError struct{ err error }

func (e *brokenError) Error() string { return e.err.Error() }
func (e *brokenError) Unwrap() error { return e.err }

// offer is what a reference resolves to.
type offer struct {
	desc      *remote.Descriptor
	platforms []string
	entries   []*Entry // windows/amd64 entries, index order
}

// read fetches ref and every windows/amd64 entry's build: the index's os.version, or
// the entry's config when the index gives none. Only the reference's own manifest can be
// missing; an error reading anything it points to is a *brokenError.
func (c *client) read(ctx context.Context, ref name.Reference) (*offer, error) {
	desc, single, err := c.get(ctx, ref)
	if err != nil {
		return nil, err
	}
	o := &offer{desc: desc}
	switch {
	case desc.MediaType.IsIndex():
		idx, err := v1.ParseIndexManifest(bytes.NewReader(desc.Manifest))
		if err != nil {
			return nil, &brokenError{fmt.Errorf("parsing index %s: %w", desc.Digest, err)}
		}
		for i, d := range idx.Manifests {
			p := d.Platform
			if p != nil && p.OS == "unknown" { // attestation manifests
				continue
			}
			if p != nil {
				o.platforms = append(o.platforms, platformString(p.OS, p.Architecture, p.OSVersion))
				if p.OS != "windows" || !amd64(p.Architecture) {
					continue
				}
			}
			if !d.MediaType.IsImage() {
				if p == nil {
					continue
				}
				return nil, &brokenError{fmt.Errorf("index %s: entry %d (%s) is %s, not an image manifest", desc.Digest, i, d.Digest, d.MediaType)}
			}
			e := &Entry{Index: i, ManifestDigest: d.Digest.String(), noPlatform: p == nil}
			if p != nil && p.OSVersion != "" {
				e.label = printable(p.OSVersion)
				e.OSVersion = e.label
			} else {
				// containerd's matcher sees no os.version: the build is only in the config.
				ch, err := c.image(ctx, ref.Context().Digest(e.ManifestDigest))
				if err != nil {
					return nil, &brokenError{fmt.Errorf("reading index entry %d (%s) of %s: %w", i, e.ManifestDigest, desc.Digest, err)}
				}
				if p == nil {
					o.platforms = append(o.platforms, platformString(ch.config.OS, ch.config.Architecture, ch.config.OSVersion))
					if ch.config.OS != "windows" || !amd64(ch.config.Architecture) {
						continue
					}
				}
				e.ch, e.OSVersion, e.FromConfig = ch, printable(ch.config.OSVersion), true
			}
			o.entries = append(o.entries, e)
		}
	case desc.MediaType.IsImage():
		cfg := single.config
		o.platforms = []string{platformString(cfg.OS, cfg.Architecture, cfg.OSVersion)}
		if cfg.OS == "windows" && amd64(cfg.Architecture) {
			o.entries = []*Entry{{Index: -1, ManifestDigest: single.digest, OSVersion: printable(cfg.OSVersion), ch: single}}
		}
	default:
		return nil, &brokenError{fmt.Errorf("%s is %s, not an image or an index", desc.Digest, desc.MediaType)}
	}
	return o, nil
}

func amd64(arch string) bool { return arch == "amd64" || arch == "x86_64" || arch == "x86-64" }

// pull returns the entry containerd of order would pull on a host of build host, and
// why. It follows containerd's images.FilterPlatforms + images.LimitManifests(…, 1)
// (pull) and images.Manifest (run), github.com/containerd/containerd images/handlers.go
// and images/image.go at v1.7.27: keep the entries the platform matcher accepts (a
// platform-less entry is kept and sorted last), sort them stably with the matcher's
// Less, take the first. The Windows matcher accepts windows/amd64 entries whose
// os.version the host runs (catalog.HostRunsContainer), and entries with no os.version
// whatever their build.
func pull(entries []*Entry, host string, order catalog.PullOrder) (*Entry, string) {
	var cands []*Entry
	for _, e := range entries {
		if e.label == "" || catalog.Runs(host, e.label) {
			cands = append(cands, e)
		}
	}
	if len(cands) == 0 {
		return nil, "containerd's matcher accepts no entry: no windows/amd64 entry whose os.version " + catalog.MajorMinorBuild(host) + " runs, and none without os.version"
	}
	key := func(e *Entry) string {
		switch order {
		case catalog.OrderRevision:
			return fmt.Sprintf("%012d", rev0(e.label))
		case catalog.OrderOSVersion:
			return e.label
		}
		return ""
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if a.noPlatform || b.noPlatform {
			return !a.noPlatform && b.noPlatform
		}
		return key(a) > key(b)
	})
	e := cands[0]
	var why string
	switch {
	case e.Index < 0:
		why = "a single manifest: nothing to choose"
	case len(cands) == 1:
		why = fmt.Sprintf("the only entry containerd's matcher accepts (%s)", acceptWhy(e))
	case order == catalog.OrderIndex:
		why = fmt.Sprintf("the first of %d accepted entries in index order (%s)", len(cands), acceptWhy(e))
	case key(cands[1]) == key(e) && !cands[1].noPlatform:
		why = fmt.Sprintf("the first in index order of %d accepted entries that tie on %s (%s)", len(cands), order, acceptWhy(e))
	case order == catalog.OrderOSVersion:
		why = fmt.Sprintf("the greatest os.version of %d accepted entries (%s)", len(cands), acceptWhy(e))
	default:
		why = fmt.Sprintf("the greatest revision of %d accepted entries (%s)", len(cands), acceptWhy(e))
	}
	return e, why
}

func acceptWhy(e *Entry) string {
	if e.label == "" {
		return "no os.version in the index: any Windows build matches"
	}
	return "its os.version " + e.label + " runs on the host"
}

// rev0 is containerd 1.6's revision(): the fourth part of os.version, 0 when absent.
func rev0(osVersion string) int {
	parts := strings.Split(osVersion, ".")
	if len(parts) < 4 {
		return 0
	}
	r, err := strconv.Atoi(parts[3])
	if err != nil {
		return 0
	}
	return r
}

// pulls computes the pull of every runtime on a host of build host.
func pulls(entries []*Entry, host string, rts []nodeRuntime) ([]Pull, []*Entry) {
	out := make([]Pull, len(rts))
	picked := make([]*Entry, len(rts))
	for i, rt := range rts {
		e, why := pull(entries, host, rt.order)
		p := Pull{Containerd: rt.containerd, Kubernetes: rt.kubernetes, Order: rt.order, Index: -1, Reason: why}
		if e != nil {
			p.Index, p.ManifestDigest, p.OSVersion = e.Index, e.ManifestDigest, e.OSVersion
			p.Runs = catalog.Runs(host, e.OSVersion)
		}
		out[i], picked[i] = p, e
	}
	return out, picked
}

// runsEverywhere reports whether every pull runs.
func runsEverywhere(ps []Pull) bool {
	for _, p := range ps {
		if !p.Runs {
			return false
		}
	}
	return len(ps) > 0
}

// hostsRunning lists the LTSC tags of the Windows versions on whose hosts every
// runtime's pull runs.
func hostsRunning(entries []*Entry, rts []nodeRuntime) []string {
	out := []string{}
	for _, w := range catalog.WindowsVersions() {
		if ps, _ := pulls(entries, w.Build, rts); runsEverywhere(ps) {
			out = append(out, w.Tag)
		}
	}
	return out
}

// best is the entry the host should run: its own build first (newest revision), else
// the newest build the host runs; nil when none runs.
func best(entries []*Entry, host string) *Entry {
	var b *Entry
	for _, e := range entries {
		if !catalog.Runs(host, e.OSVersion) {
			continue
		}
		if b == nil || better(e.OSVersion, b.OSVersion, host) {
			b = e
		}
	}
	return b
}

func better(a, b, host string) bool {
	own := catalog.MajorMinorBuild(host)
	ao, bo := catalog.MajorMinorBuild(a) == own, catalog.MajorMinorBuild(b) == own
	if ao != bo {
		return ao
	}
	va, ea := catalog.ParseOSVersion(a)
	vb, eb := catalog.ParseOSVersion(b)
	if ea != nil || eb != nil {
		return false
	}
	if va.Build != vb.Build {
		return va.Build > vb.Build
	}
	return va.Revision > vb.Revision
}

// describePull says which entry a runtime pulls, for messages.
func describePull(p Pull) string {
	who := "containerd " + p.Containerd
	if len(p.Kubernetes) > 0 {
		who += " (EKS Windows AMIs for Kubernetes " + span(p.Kubernetes) + ")"
	}
	if p.ManifestDigest == "" {
		return who + " pulls nothing: " + p.Reason
	}
	what := "the manifest"
	if p.Index >= 0 {
		what = fmt.Sprintf("index entry %d", p.Index)
	}
	return fmt.Sprintf("%s pulls %s, %s (os.version %s), %s", who, what, shortDigest(p.ManifestDigest), dashIfEmpty(p.OSVersion), p.Reason)
}

func span(ks []string) string {
	if len(ks) == 1 {
		return ks[0]
	}
	return ks[0] + "–" + ks[len(ks)-1]
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}

// isBroken reports whether err came from something the reference points to.
func isBroken(err error) bool {
	var b *brokenError
	return errors.As(err, &b)
}

// printable keeps a string the registry controls (an os.version, a platform) safe to
// print on a terminal: control and other non-printing characters become "?", and it is
// cut to 80 characters. A real os.version is unchanged; a changed one never parses, so it
// matches no host, as in containerd.
func printable(s string) string {
	r := []rune(s)
	if len(r) > 80 {
		r = append(r[:80], '…')
	}
	for i, c := range r {
		if !unicode.IsPrint(c) {
			r[i] = '?'
		}
	}
	return string(r)
}
