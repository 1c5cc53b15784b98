package component

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"go.yaml.in/yaml/v3"

	"github.com/winami/winami/catalog"
)

// MaxDataSize is Image Builder's limit on a component's inline data, in characters.
const MaxDataSize = 16000

// Image is one image to cache.
type Image struct {
	// Ref is the reference as the spec gives it.
	Ref string
	// Digest, when set ("sha256:…"), pins the pull: the image is pulled by digest and
	// then tagged with its tag so that pods naming the tag find it.
	Digest string
}

// Document is one rendered AWSTOE document.
type Document struct {
	// Name is the component's name ("<prefix>-image-cache", "-2", "-3" … when split).
	Name string
	// Images are the references this document pulls, as the spec gives them.
	Images []string
	// Data is the AWSTOE YAML document.
	Data string
}

// Options configure Render.
type Options struct {
	// Name is the component name (the first document's); later documents get "-2", "-3"….
	Name string
	// Description goes into the document.
	Description string
	// Images are the images to cache, in order.
	Images []Image
	// Attempts per pull (default 5); the delay starts at 10 s and doubles up to 5 minutes.
	Attempts int
}

// ParseECR tells whether registry (a host such as 111000111000.dkr.ecr.us-east-1.amazonaws.com)
// is an Amazon ECR private registry, and returns its account and region.
func ParseECR(registry string) (account, region string, ok bool) {
	return catalog.ParseECRHost(registry)
}

// digestRE matches the digests images are pinned to.
var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// pull is what the script does for one image.
type pull struct {
	ref       string   // as in the spec
	from      string   // what ctr pulls (fully qualified, by digest when pinned)
	names     []string // names that must be listed afterwards
	ecrRegion string
}

// Normalize returns the fully qualified name containerd and kubelet use for ref
// (docker.io/library/nginx:1.27 for nginx:1.27).
func Normalize(ref string) (string, error) {
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return "", err
	}
	reg := r.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	full := reg + "/" + r.Context().RepositoryStr()
	switch v := r.(type) {
	case name.Tag:
		full += ":" + v.TagStr()
		if i := strings.Index(ref, "@"); i >= 0 {
			full += ref[i:]
		}
	case name.Digest:
		if t := tagOf(ref); t != "" {
			full += ":" + t
		}
		full += "@" + v.DigestStr()
	}
	return full, nil
}

// tagOf returns the tag of a "repo:tag@digest" reference, or "".
func tagOf(ref string) string {
	s := ref
	if i := strings.Index(s, "@"); i >= 0 {
		s = s[:i]
	}
	last := s[strings.LastIndex(s, "/")+1:]
	if i := strings.LastIndex(last, ":"); i >= 0 {
		return last[i+1:]
	}
	return ""
}

func plan(img Image) (pull, error) {
	full, err := Normalize(img.Ref)
	if err != nil {
		return pull{}, fmt.Errorf("parsing image reference %q: %w", img.Ref, err)
	}
	r, _ := name.ParseReference(img.Ref, name.WeakValidation)
	p := pull{ref: img.Ref, from: full, names: []string{full}}
	if _, region, ok := ParseECR(r.Context().RegistryStr()); ok {
		p.ecrRegion = region
	}
	if img.Digest != "" && !strings.Contains(img.Ref, "@") {
		if !digestRE.MatchString(img.Digest) {
			return pull{}, fmt.Errorf("pinning %q: digest %q is not sha256:<64 hex digits>", img.Ref, img.Digest)
		}
		base := strings.TrimSuffix(full, ":"+tagOf(full))
		byDigest := base + "@" + img.Digest
		p.from = byDigest
		p.names = []string{byDigest, full}
	}
	return p, nil
}

// The script parts. The functions are repeated in every document so that each is
// self-contained.
const buildPrelude = `$ErrorActionPreference = 'Stop'
$ctr = Join-Path $env:ProgramFiles 'containerd\ctr.exe'
if (-not (Test-Path $ctr)) { throw "ctr not found at ${ctr}: this parent image has no containerd" }
function Get-WinamiEcrPassword([string]$Region) {
  # The build instance's own credentials (instance profile); no token is stored anywhere.
  if (Get-Command Get-ECRLoginCommand -ErrorAction SilentlyContinue) {
    return (Get-ECRLoginCommand -Region $Region -ErrorAction Stop).Password
  }
  if (Get-Command aws -ErrorAction SilentlyContinue) {
    $p = & aws ecr get-login-password --region $Region
    if ($LASTEXITCODE -ne 0) { throw "aws ecr get-login-password --region $Region exited $LASTEXITCODE" }
    return $p
  }
  throw 'neither Get-ECRLoginCommand (AWS Tools for PowerShell) nor the AWS CLI is on this instance'
}
function Invoke-WinamiPull([string]$Ref, [string]$EcrRegion, [string[]]$Tags) {
  # ctr reports progress on stderr: judge it by its exit code, not by stderr.
  $ErrorActionPreference = 'Continue'
  $delay = 10
  for ($attempt = 1; $attempt -le %d; $attempt++) {
    if ($EcrRegion) {
      $password = Get-WinamiEcrPassword $EcrRegion
      & $ctr -n k8s.io images pull --user "AWS:$password" $Ref
    } else {
      & $ctr -n k8s.io images pull $Ref
    }
    if ($LASTEXITCODE -eq 0) {
      foreach ($t in $Tags) {
        & $ctr -n k8s.io images tag --force $Ref $t
        if ($LASTEXITCODE -ne 0) { throw "tagging $Ref as ${t}: ctr exited $LASTEXITCODE" }
      }
      Write-Host "cached $Ref"
      return
    }
    if ($attempt -lt %d) {
      Write-Host "pulling $Ref (attempt $attempt) failed with exit code $LASTEXITCODE; retrying in $delay s"
      Start-Sleep -Seconds $delay
      $delay = [Math]::Min($delay * 2, 300)
    }
  }
  throw "pulling ${Ref}: gave up after %d attempts"
}
`

const validatePrelude = `$ErrorActionPreference = 'Stop'
$ctr = Join-Path $env:ProgramFiles 'containerd\ctr.exe'
$ErrorActionPreference = 'Continue'
$listed = & $ctr -n k8s.io images ls -q
if ($LASTEXITCODE -ne 0) { throw "listing images in containerd's k8s.io namespace: ctr exited $LASTEXITCODE" }
$missing = @()
`

const validateEnd = `if ($missing.Count -gt 0) { throw "not cached in containerd's k8s.io namespace: $($missing -join ', ')" }
Write-Host "all $($want.Count) images are in containerd's k8s.io namespace"
`

func psQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

func buildScript(attempts int, pulls []pull) string {
	var b strings.Builder
	fmt.Fprintf(&b, buildPrelude, attempts, attempts, attempts)
	for _, p := range pulls {
		fmt.Fprintf(&b, "Invoke-WinamiPull -Ref %s", psQuote(p.from))
		if p.ecrRegion != "" {
			fmt.Fprintf(&b, " -EcrRegion %s", psQuote(p.ecrRegion))
		}
		if len(p.names) > 1 {
			q := make([]string, 0, len(p.names)-1)
			for _, n := range p.names[1:] {
				q = append(q, psQuote(n))
			}
			fmt.Fprintf(&b, " -Tags @(%s)", strings.Join(q, ", "))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func validateScript(pulls []pull) string {
	var b strings.Builder
	b.WriteString(validatePrelude)
	b.WriteString("$want = @(\n")
	for _, p := range pulls {
		for _, n := range p.names {
			fmt.Fprintf(&b, "  %s\n", psQuote(n))
		}
	}
	b.WriteString(")\n")
	b.WriteString("foreach ($ref in $want) { if ($listed -notcontains $ref) { $missing += $ref } }\n")
	b.WriteString(validateEnd)
	return b.String()
}

// awstoe document shapes, in AWSTOE field order.
type document struct {
	Name          string    `yaml:"name"`
	Description   string    `yaml:"description"`
	SchemaVersion yaml.Node `yaml:"schemaVersion"`
	Phases        []phase   `yaml:"phases"`
}

type phase struct {
	Name  string `yaml:"name"`
	Steps []step `yaml:"steps"`
}

type step struct {
	Name           string         `yaml:"name"`
	Action         string         `yaml:"action"`
	TimeoutSeconds int            `yaml:"timeoutSeconds,omitempty"`
	OnFailure      string         `yaml:"onFailure,omitempty"`
	MaxAttempts    int            `yaml:"maxAttempts,omitempty"`
	Inputs         map[string]any `yaml:"inputs"`
}

func render(o Options, name string, pulls []pull) (string, error) {
	refs := make([]string, len(pulls))
	for i, p := range pulls {
		refs[i] = p.ref
	}
	doc := document{
		Name:          name,
		Description:   o.Description,
		SchemaVersion: yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: "1.0"},
		Phases: []phase{
			{Name: "build", Steps: []step{{
				Name: "CacheImages", Action: "ExecutePowerShell", TimeoutSeconds: 7200, OnFailure: "Abort", MaxAttempts: 1,
				Inputs: map[string]any{"commands": []string{buildScript(o.Attempts, pulls)}},
			}}},
			{Name: "validate", Steps: []step{{
				Name: "VerifyCachedImages", Action: "ExecutePowerShell", TimeoutSeconds: 600, OnFailure: "Abort", MaxAttempts: 1,
				Inputs: map[string]any{"commands": []string{validateScript(pulls)}},
			}}},
		},
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return "", fmt.Errorf("encoding component %s: %w", name, err)
	}
	if err := enc.Close(); err != nil {
		return "", fmt.Errorf("encoding component %s: %w", name, err)
	}
	return buf.String(), nil
}

// Render returns the image-cache documents for o.Images: one when it fits in
// MaxDataSize characters, several otherwise (each self-contained). No images, no documents.
func Render(o Options) ([]Document, error) {
	if o.Attempts <= 0 {
		o.Attempts = 5
	}
	if o.Description == "" {
		o.Description = "Caches container images in containerd's k8s.io namespace (rendered by winami)"
	}
	pulls := make([]pull, 0, len(o.Images))
	for _, img := range o.Images {
		p, err := plan(img)
		if err != nil {
			return nil, err
		}
		pulls = append(pulls, p)
	}
	if len(pulls) == 0 {
		return nil, nil
	}
	var docs []Document
	docName := func(i int) string {
		if i == 0 {
			return o.Name
		}
		return fmt.Sprintf("%s-%d", o.Name, i+1)
	}
	// Greedy: add images to the current document while it fits.
	start := 0
	for start < len(pulls) {
		end := start + 1
		data, err := render(o, docName(len(docs)), pulls[start:end])
		if err != nil {
			return nil, err
		}
		if len(data) > MaxDataSize {
			return nil, fmt.Errorf("rendering component for %s: one image alone needs %d characters, more than %d", pulls[start].ref, len(data), MaxDataSize)
		}
		for end < len(pulls) {
			next, err := render(o, docName(len(docs)), pulls[start:end+1])
			if err != nil {
				return nil, err
			}
			if len(next) > MaxDataSize {
				break
			}
			data, end = next, end+1
		}
		refs := make([]string, 0, end-start)
		for _, p := range pulls[start:end] {
			refs = append(refs, p.ref)
		}
		docs = append(docs, Document{Name: docName(len(docs)), Images: refs, Data: data})
		start = end
	}
	return docs, nil
}
