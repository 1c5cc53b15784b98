package component

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/distribution/reference"

	"github.com/winami/winami/internal/pstoken"
	"github.com/winami/winami/spec"
)

// refSeeds are image references from the examples and the tests, good and bad.
var refSeeds = []string{
	"mcr.microsoft.com/windows/servercore:ltsc2022",
	"mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022",
	"111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2",
	"111000111000.dkr-fips.ecr-fips.us-gov-west-1.amazonaws.com/team/app__x-y.z:1.0_rc-1",
	"mcr.microsoft.com/windows/nanoserver:ltsc2022@sha256:" + strings.Repeat("ab", 32),
	"team/app@sha256:" + strings.Repeat("cd", 32),
	"nginx:1.27-windowsservercore",
	"nginx",
	"nginx:latest",
	"[::1]:5000/a/b:1",
	"localhost:5000/a:1",
	"Registry.Example/a:1",
	"a.example/B:1",
	"x\u2019;calc;\u2019.io/app:1",
	"x$(calc).example/a:1",
	"a'b.example/c:1",
	" mcr.microsoft.com/windows/servercore:ltsc2022",
	"",
}

// FuzzImageReference checks image references the way a spec's spec.cache.images reach
// the component: whatever spec.CheckImageReference accepts, the component must render
// (no validation passes a reference that render then refuses), with every PowerShell
// literal reading back as the value (pstoken, as TestRenderedLiteralsReadBack), and the
// names the image is tagged with must include the one containerd's CRI looks a pod's
// image up by (distribution/reference ParseDockerRef, as containerd v1.7.27
// pkg/cri/server/helpers.go localResolve); Normalize must be idempotent. A reference
// the spec refuses must be refused with a message quoting it.
func FuzzImageReference(f *testing.F) {
	digest := "sha256:" + strings.Repeat("ef", 32)
	for _, r := range refSeeds {
		f.Add(r, "")
		f.Add(r, digest)
	}
	f.Fuzz(func(t *testing.T, ref, digest string) {
		msg := spec.CheckImageReference(ref)
		if msg != "" {
			if !strings.Contains(msg, strconv.Quote(ref)) {
				t.Errorf("CheckImageReference(%q) = %q: does not quote the reference", ref, msg)
			}
			return
		}
		if !digestRE.MatchString(digest) {
			digest = ""
		}
		img := Image{Ref: ref, Digest: digest}
		docs, err := Render(Options{Name: "fuzz", Images: []Image{img}})
		if err != nil {
			t.Fatalf("spec accepts %q but Render refuses it: %v", ref, err)
		}
		for _, d := range docs {
			checkDocument(t, d, []Image{img})
		}
		names, err := PodNames(ref, digest)
		if err != nil {
			t.Fatalf("PodNames(%q, %q): %v", ref, digest, err)
		}
		cri, err := reference.ParseDockerRef(ref)
		if err != nil {
			t.Fatalf("spec accepts %q, which containerd does not parse: %v", ref, err)
		}
		found := false
		for _, n := range names {
			found = found || n == cri.String()
			if _, err := reference.ParseNormalizedNamed(n); err != nil {
				t.Errorf("PodNames(%q) has %q, not a reference: %v", ref, n, err)
			}
		}
		if !found {
			t.Errorf("PodNames(%q, %q) = %q: containerd finds a pod's %q as %q", ref, digest, names, ref, cri.String())
		}
		norm, err := Normalize(ref)
		if err != nil {
			t.Fatalf("Normalize(%q): %v", ref, err)
		}
		again, err := Normalize(norm)
		if err != nil || again != norm {
			t.Errorf("Normalize(%q) = %q, whose Normalize is %q (%v)", ref, norm, again, err)
		}
	})
}

// FuzzPSQuote checks, beyond TestPSQuoteReadsBack's short strings, that any value
// psQuote quotes reads back with PowerShell's tokenizer rules as exactly the value,
// ending where the quoting ends, alone, in a list and inside the helpers' here-string.
// (Its first run found that invalid UTF-8 comes back as U+FFFD: out of scope, see below.)
func FuzzPSQuote(f *testing.F) {
	for _, s := range injections {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			// Not text: no value reaches psQuote so (YAML refuses such bytes in a spec, and
			// the script is a YAML string of the document), and PowerShell reads UTF-16.
			return
		}
		q := psQuote(s)
		v, end, err := pstoken.SingleQuoted(q+" -Attempts 5", 0)
		if err != nil || v != s || end != len(q) {
			t.Fatalf("psQuote(%q) = %s reads back as %q ending at %d of %d (%v)", s, q, v, end, len(q), err)
		}
		got, err := readList(psList([]string{s, "b"}))
		if err != nil || len(got) != 2 || got[0] != s || got[1] != "b" {
			t.Fatalf("psList(%q) reads back as %q (%v)", s, got, err)
		}
		here := "Set-Content -Value @'\n  " + q + "\nWrite-Host 'tail'\n'@\n"
		content, end, err := pstoken.HereString(here, strings.Index(here, "@'"))
		if err != nil || end != len(here)-1 || content != "  "+q+"\nWrite-Host 'tail'" {
			t.Fatalf("here-string with %q: content %q, ends at %d of %d (%v)", s, content, end, len(here), err)
		}
	})
}
