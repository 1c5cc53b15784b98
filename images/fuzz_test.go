package images

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

// FuzzParseRefs parses arbitrary image references as check, resolve and discover do
// (ParseRefs), and splits them as the cache coverage does (splitRef, readAt, pin), with
// pods' images in mind: they come from the cluster, not from winami. Nothing panics; a
// reference that does not parse is a *RefError quoting it; one that parses prints as a
// reference that parses to the same name (what a report shows can be fed back); splitRef's
// digest is what follows the '@' and its name, when there is one, is a tag's full name;
// pin keeps the repository and puts the digest after a single '@'.
func FuzzParseRefs(f *testing.F) {
	d := "sha256:" + strings.Repeat("ab", 32)
	for _, s := range []string{
		"mcr.microsoft.com/windows/servercore:ltsc2022",
		"mcr.microsoft.com/windows/nanoserver:ltsc2022@" + d,
		"111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2",
		"nginx", "nginx:1.27-windowsservercore", "team/app@" + d, "[::1]:5000/a/b:1", "localhost:5000/a",
		" mcr.microsoft.com/windows/servercore:ltsc2022\n", "Registry.Example/A:1", "a@b@c", "@", ":", "/", "a:/b",
		"x\u2019;calc;\u2019.io/app:1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		n, dg := splitRef(ref)
		if i := strings.Index(ref, "@"); i >= 0 && dg != ref[i+1:] || i < 0 && dg != "" {
			t.Errorf("splitRef(%q) digest = %q", ref, dg)
		}
		if n != "" {
			tag, err := name.NewTag(n)
			if err != nil || tag.Name() != n {
				t.Errorf("splitRef(%q) name = %q, which is not a tag's full name (%v)", ref, n, err)
			}
		}
		if at := readAt(ref); strings.Contains(ref, "@") && !strings.HasSuffix(at, "@"+dg) {
			t.Errorf("readAt(%q) = %q, want the digest %q after '@'", ref, at, dg)
		}
		parsed, err := ParseRefs([]string{ref})
		if err != nil {
			var re *RefError
			if !errors.As(err, &re) || re.Ref != ref || !strings.Contains(err.Error(), strconv.Quote(ref)) {
				t.Fatalf("ParseRefs(%q) = %v (%T), want a *RefError quoting it", ref, err, err)
			}
			return
		}
		if len(parsed) != 1 {
			t.Fatalf("ParseRefs of one reference = %d", len(parsed))
		}
		again, err := name.ParseReference(parsed[0].String())
		if err != nil || again.Name() != parsed[0].Name() {
			t.Fatalf("ParseRefs(%q) prints as %q, which parses to %v (%v)", ref, parsed[0].String(), again, err)
		}
	})
}
