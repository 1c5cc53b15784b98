package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/winami/winami/component"
	"github.com/winami/winami/internal/pstoken"
	"github.com/winami/winami/spec"
)

// refInjections are cache.images entries that try to break out of the component's
// PowerShell: issue 14's U+2019 reference, the other single quotes PowerShell knows
// (CharTraits.cs IsSingleQuote), ASCII and Unicode double quotes (IsDoubleQuote),
// subexpressions, backticks, newlines and here-string footers, in the registry, the
// path, the tag and after the digest.
var refInjections = []string{
	"x\u2019;calc;\u2019.io/app:1",
	"x\u2018;calc;\u2018.io/app:1", "x\u201A;calc;\u201A.io/app:1", "x\u201B;calc;\u201B.io/app:1",
	"example.com/app:1';calc;'",
	"example.com/app:1\u2019;calc;\u2019",
	"example.com/a\u2019pp:1",
	`example.com/app:1";calc;"`,
	"example.com/app:1\u201C$(calc)\u201D",
	"example.com/app:1\u201E",
	"example.com/$(calc)/app:1",
	"x$(calc).io/app:1",
	"example.com/app:1`ncalc",
	"example.com/app:1\ncalc",
	"example.com/app:1\r\ncalc",
	"example.com/app:1\n'@\ncalc\n@'",
	"example.com/app:1\n\"@\ncalc\n@\"",
	"example.com/app:1'@",
	"example.com/app:1 ;calc",
	"example.com/app@sha256:" + strings.Repeat("ab", 32) + "'",
}

// TestInjectionThroughTheWholeRender feeds each injection through the whole render: a
// spec that carries it is refused as bad input (spec.Errors, which the CLI exits 2 with,
// on its field), and a spec that skipped validation does not render it either. Valid
// references with every separator the grammar allows render, and their PowerShell
// literals read back (PowerShell's tokenizer rules, package pstoken) as the names the
// component pulls and pins.
func TestInjectionThroughTheWholeRender(t *testing.T) {
	for _, ref := range refInjections {
		quoted, _ := json.Marshal(ref) // a YAML double-quoted scalar
		src := base + "  cache:\n    images:\n      - mcr.microsoft.com/windows/nanoserver:ltsc2022\n      - " + string(quoted) + "\n"
		_, err := spec.LoadBytes([]byte(src), "winami.yaml")
		var errs spec.Errors
		if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Path != "spec.cache.images[1]" {
			t.Errorf("spec with %q: %v, want one bad-input error on spec.cache.images[1]", ref, err)
		}
		// A spec that did not go through validation.
		img := loadSrc(t, base+"  cache:\n    images: [mcr.microsoft.com/windows/nanoserver:ltsc2022]\n")
		img.Spec.Cache.Images = append(img.Spec.Cache.Images, ref)
		if r, err := Render(img, Options{}); err == nil {
			checkLiterals(t, r, img.Spec.Cache.Images)
		}
	}

	valid := []string{
		"mcr.microsoft.com/windows/servercore:ltsc2022",
		"111000111000.dkr.ecr.us-west-2.amazonaws.com/team/app__x-y.z:1.0_rc-1",
		"registry.example.com:5000/a/b-c/d@sha256:" + strings.Repeat("ab", 32),
		"[::1]:5000/a:V1.0-x_y",
		"nginx:1.27",
	}
	src := base + "  cache:\n    images:\n"
	for _, ref := range valid {
		src += "      - \"" + ref + "\"\n"
	}
	img := loadSrc(t, src)
	r, err := Render(img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkLiterals(t, r, valid)
}

// checkLiterals reads every cached image's literals back from r's component documents:
// each pull step's -Ref, and the list of names the helpers' here-string holds.
func checkLiterals(t *testing.T, r *Resources, refs []string) {
	t.Helper()
	var wantNames, gotNames, wantFrom, gotFrom []string
	for _, ref := range refs {
		names, err := component.PodNames(ref, "")
		if err != nil {
			t.Fatal(err)
		}
		wantNames = append(wantNames, names...)
		wantFrom = append(wantFrom, names[0])
	}
	for _, c := range r.Components {
		var doc struct {
			Phases []struct {
				Steps []struct {
					Name   string
					Inputs struct{ Commands []string }
				}
			}
		}
		if err := yaml.Unmarshal([]byte(c.Document.Data), &doc); err != nil {
			t.Fatal(err)
		}
		for _, st := range doc.Phases[0].Steps {
			script := st.Inputs.Commands[0]
			switch {
			case st.Name == "WriteHelpers":
				content, end, err := pstoken.HereString(script, strings.Index(script, "@'\n"))
				if err != nil || script[end:] != "\n" {
					t.Errorf("%s: the helpers' here-string ends at %d of %d: %v", c.Document.Name, end, len(script), err)
					continue
				}
				const open = "$WinamiCachedImages = @(\n"
				i := strings.Index(content, open) + len(open)
				for strings.HasPrefix(content[i:], "  ") {
					v, end, err := pstoken.SingleQuoted(content, i+2)
					if err != nil || content[end] != '\n' {
						t.Fatalf("%s: a cached image line does not read back: %v", c.Document.Name, err)
					}
					gotNames, i = append(gotNames, v), end+1
				}
			case strings.HasPrefix(st.Name, "CacheImage"):
				const arg = "Invoke-WinamiPull -Ref "
				v, end, err := pstoken.SingleQuoted(script, strings.Index(script, arg)+len(arg))
				if err != nil || !strings.HasPrefix(script[end:], " -") {
					t.Errorf("%s %s: -Ref does not read back: %v, then %q", c.Document.Name, st.Name, err, script[end:])
				}
				gotFrom = append(gotFrom, v)
			}
		}
	}
	if fmt.Sprint(gotFrom) != fmt.Sprint(wantFrom) || fmt.Sprint(gotNames) != fmt.Sprint(wantNames) {
		t.Errorf("the scripts read back as pulls %q and names %q, want %q and %q", gotFrom, gotNames, wantFrom, wantNames)
	}
}

// TestResourceTagValuesAreData: spec.build.resourceTags values that look like PowerShell,
// JSON, YAML or CloudFormation syntax reach the CLI JSON request and the CloudFormation
// template as the same strings, and no component document (the only PowerShell winami
// writes) carries them.
func TestResourceTagValuesAreData(t *testing.T) {
	hostile := map[string]string{
		"ps":      "';calc;'$(calc)`n\u2019",
		"json":    `","x":"y`,
		"yaml":    "!Ref InstanceProfile\n- a: b",
		"fn":      "Fn::GetAtt",
		"newline": "a\r\nb",
		"unicode": "caf\u00e9 \u202e",
	}
	src := base + "  build:\n    resourceTags:\n"
	for k, v := range hostile {
		q, _ := json.Marshal(v)
		src += "      " + k + ": " + string(q) + "\n"
	}
	r, err := Render(loadSrc(t, src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{TagManagedBy: "winami", TagName: "tst"}
	for k, v := range hostile {
		want[k] = v
	}
	for _, f := range files {
		switch f.Name {
		case "create-infrastructure-configuration.json":
			var in struct{ ResourceTags map[string]string }
			if err := json.Unmarshal(f.Data, &in); err != nil || fmt.Sprint(in.ResourceTags) != fmt.Sprint(want) {
				t.Errorf("%s: resourceTags %q (%v), want %q", f.Name, in.ResourceTags, err, want)
			}
		case "cloudformation.yaml":
			var tpl struct {
				Resources struct {
					InfrastructureConfiguration struct {
						Properties struct {
							ResourceTags map[string]string `yaml:"ResourceTags"`
						} `yaml:"Properties"`
					} `yaml:"InfrastructureConfiguration"`
				} `yaml:"Resources"`
			}
			if err := yaml.Unmarshal(f.Data, &tpl); err != nil || fmt.Sprint(tpl.Resources.InfrastructureConfiguration.Properties.ResourceTags) != fmt.Sprint(want) {
				t.Errorf("%s: ResourceTags %q (%v), want %q", f.Name, tpl.Resources.InfrastructureConfiguration.Properties.ResourceTags, err, want)
			}
		}
	}
	for _, c := range r.Components {
		for k, v := range hostile {
			if strings.Contains(c.Document.Data, v) {
				t.Errorf("component %s carries resource tag %s", c.Document.Name, k)
			}
		}
	}
}
