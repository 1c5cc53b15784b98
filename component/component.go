package component

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/distribution/reference"
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
	// PlatformDigest, when set ("sha256:…"), is the digest of the windows/amd64 image
	// manifest the AMI's Windows build runs, read from the registry when winami applies
	// (package images, Image.ManifestDigest). The build pulls that manifest instead of
	// the index, so containerd downloads one variant only, and names it as pods name it.
	PlatformDigest string
	// CompressedBytes, when known, is that manifest's layers' size as stored in the
	// registry; the image's build step gets a timeout derived from it (StepTimeoutSeconds).
	CompressedBytes int64
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
	from      string   // what ctr pulls (fully qualified; the platform manifest when known)
	names     []string // every name the image gets (from first), each labelled pinned
	ecrRegion string
	timeout   int // the build step's timeoutSeconds
}

// Normalize returns the fully qualified name containerd and kubelet use for ref
// (docker.io/library/nginx:1.27 for nginx:1.27).
func Normalize(ref string) (string, error) {
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return "", err
	}
	full := repository(r)
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

// repository is r's fully qualified repository, docker.io spelled as containerd does.
func repository(r name.Reference) string {
	reg := r.Context().RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return reg + "/" + r.Context().RepositoryStr()
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

// PodNames returns the names under which containerd's CRI finds ref when a pod names it,
// fully qualified: kubelet asks the CRI for the image by the pod's name, and containerd
// resolves it with ParseDockerRef — a reference with both a tag and a digest becomes
// repo@digest, one with a tag stays repo:tag — then looks that name up in its image store
// (containerd v1.7.27 pkg/cri/server/helpers.go localResolve and
// vendor/github.com/distribution/reference/normalize.go ParseDockerRef; v2.1.6
// internal/cri/server/images/service.go LocalResolve). digest, when ref has none, pins it
// (spec.cache.pinDigests); the tag then names the pinned image too, so pods naming the tag
// find it.
func PodNames(ref, digest string) ([]string, error) {
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return nil, fmt.Errorf("parsing image reference %q: %w", ref, err)
	}
	repo := repository(r)
	tag := tagOf(ref)
	switch v := r.(type) {
	case name.Digest:
		digest = v.DigestStr()
	case name.Tag:
		tag = v.TagStr()
	}
	var names []string
	if digest != "" {
		if !digestRE.MatchString(digest) {
			return nil, fmt.Errorf("pinning %q: digest %q is not sha256:<64 hex digits>", ref, digest)
		}
		names = append(names, repo+"@"+digest)
	}
	if tag != "" {
		names = append(names, repo+":"+tag)
	}
	return names, nil
}

// checkRef refuses references outside the OCI distribution reference grammar, as
// containerd reads them (github.com/distribution/reference v0.6.0 regexp.go
// ReferenceRegexp and normalize.go ParseNormalizedNamed, vendored by containerd v1.7.27;
// containerd's CRI parses a pod's image with its ParseDockerRef, pkg/cri/server/helpers.go
// localResolve). The grammar has no quote, '$', '`', space or newline; go-containerregistry's
// WeakValidation is looser (hosts such as a'b.example or x$(y).example), so it alone could
// let such characters reach the PowerShell (which psQuote quotes besides).
func checkRef(ref string) error {
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return fmt.Errorf("image reference %q: not a reference by the OCI distribution grammar ([registry[:port]/]lowercase/path[:tag][@digest]): %w", ref, err)
	}
	if _, err := name.ParseReference(ref, name.WeakValidation); err != nil {
		return fmt.Errorf("parsing image reference %q: %w", ref, err)
	}
	return nil
}

func plan(img Image) (pull, error) {
	if err := checkRef(img.Ref); err != nil {
		return pull{}, err
	}
	if strings.Contains(img.Ref, "@") {
		img.Digest = "" // the reference pins itself
	}
	names, err := PodNames(img.Ref, img.Digest)
	if err != nil {
		return pull{}, err
	}
	r, _ := name.ParseReference(img.Ref, name.WeakValidation)
	p := pull{ref: img.Ref, from: names[0], names: names, timeout: StepTimeoutSeconds(img.CompressedBytes)}
	if _, region, ok := ParseECR(r.Context().RegistryStr()); ok {
		p.ecrRegion = region
	}
	if img.PlatformDigest != "" {
		if !digestRE.MatchString(img.PlatformDigest) {
			return pull{}, fmt.Errorf("image %q: platform manifest digest %q is not sha256:<64 hex digits>", img.Ref, img.PlatformDigest)
		}
		// Pulled by the manifest's digest, the image's target is that manifest, which
		// containerd does not filter by platform (containerd v1.7.27 images/image.go and
		// v2.1.6 core/images/image.go, Manifest: desc.Digest != image.Digest): the build
		// gets exactly the variant winami chose for the AMI's build, and nothing else.
		p.from = repository(r) + "@" + img.PlatformDigest
		p.names = append([]string{p.from}, without(names, p.from)...)
	}
	return p, nil
}

func without(list []string, s string) []string {
	out := make([]string, 0, len(list))
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// Step timeouts. AWSTOE stops a step after its timeoutSeconds (default 7,200 s, -1 for
// none; "Document schema and definitions",
// https://docs.aws.amazon.com/imagebuilder/latest/userguide/toe-use-documents.html), so
// each image gets its own step and its own budget.
const (
	// PullBytesPerSecond is the pull rate the timeouts assume: download plus unpacking
	// (Windows layers unpack one after the other), 10 MiB/s — a third of the 4–8 minutes
	// for ~8 GB that uncached Windows pulls take on EKS nodes, for margin.
	PullBytesPerSecond = 10 << 20
	// StepTimeoutFloor is the least time an image's step gets (seconds): containerd
	// start-up, the registry's token, the retries' back-off (10+20+40+80 s) and tagging.
	StepTimeoutFloor = 900
	// UnknownSizeTimeout is an image's step timeout when its size is unknown (rendering
	// offline): three pulls of 8 GiB (the estimate winami sizes root volumes with)
	// at PullBytesPerSecond plus the floor, rounded up to the hour.
	UnknownSizeTimeout = 3600
	// StartTimeout bounds waiting for containerd (seconds); VerifyTimeout is the validate
	// and test steps' timeout.
	StartTimeout  = 300
	VerifyTimeout = 900
)

// StepTimeoutSeconds is the timeoutSeconds of the build step that pulls an image of
// compressedBytes (0: unknown): StepTimeoutFloor plus three times the time one pull takes
// at PullBytesPerSecond (a pull can fail late and be retried; containerd keeps the blobs
// it has, so retries are shorter), or UnknownSizeTimeout.
func StepTimeoutSeconds(compressedBytes int64) int {
	if compressedBytes <= 0 {
		return UnknownSizeTimeout
	}
	perPull := (compressedBytes + PullBytesPerSecond - 1) / PullBytesPerSecond
	return StepTimeoutFloor + int(3*perPull)
}

// psQuote quotes s as a PowerShell single-quoted string; it is the one function every
// value rendered into the component's PowerShell goes through (psList and helpersPath
// use it; the only other values are integers). PowerShell ends such a string at any of '
// and the Unicode quotes U+2018–U+201B, and reads a single quote followed by another as
// the second one (PowerShell's src/System.Management.Automation/engine/parser/CharTraits.cs
// IsSingleQuote, Tokenizer.cs ScanStringLiteral; "PowerShell treats smart quotation marks
// ... as normal quotation marks", about_Quoting_Rules, MicrosoftDocs/PowerShell-Docs), so
// each of them is doubled. Nothing else is special inside single quotes: not $, `, double
// quotes (" and U+201C–U+201E, IsDoubleQuote), nor newlines. A doubled quote also keeps a
// value inside the helpers' @'…'@ here-string: its footer is a line that starts with a
// single quote followed by @ (ScanPossibleHereStringFooter), and each value's line starts
// with spaces and the opening quote, and a quote inside is followed by its double.
// References reaching the script are already restricted (checkRef); this quoting does not
// depend on it (internal/pstoken models the tokenizer; quote_test.go reads every literal
// back with it).
func psQuote(s string) string {
	var b strings.Builder
	b.WriteByte('\'')
	for _, r := range s {
		switch r {
		case '\'', '\u2018', '\u2019', '\u201A', '\u201B':
			b.WriteRune(r)
		}
		b.WriteRune(r)
	}
	b.WriteByte('\'')
	return b.String()
}

func psList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = psQuote(s)
	}
	return "@(" + strings.Join(q, ", ") + ")"
}

// The script's parts, one PowerShell function per concern. AWSTOE runs each step in its
// own PowerShell: the build phase's first step writes the functions to a file the later
// steps dot-source (helpersPath).
const prelude = `$ErrorActionPreference = 'Stop'
$ctr = Join-Path $env:ProgramFiles 'containerd\ctr.exe'
`

// fnWaitContainerd starts containerd when it is not running — the windows-base route
// installs it earlier in the same build — and waits until it answers. The Windows service
// is named containerd (containerd v1.7.27 and v2.1.6 cmd/containerd/command/service_windows.go,
// defaultServiceName); ctr version fails until the daemon answers.
const fnWaitContainerd = `function Wait-WinamiContainerd([int]$Seconds) {
  if (-not (Test-Path $ctr)) { throw "ctr not found at ${ctr}: this parent image has no containerd" }
  $service = Get-Service -Name 'containerd' -ErrorAction SilentlyContinue
  if (-not $service) { throw 'the containerd service is not installed: this parent image has no containerd' }
  if ($service.Status -ne 'Running') {
    Write-Host "starting the containerd service (it is $($service.Status))"
    Start-Service -Name 'containerd'
  }
  $ErrorActionPreference = 'Continue'
  $deadline = (Get-Date).AddSeconds($Seconds)
  while ($true) {
    & $ctr version *> $null
    if ($LASTEXITCODE -eq 0) { return }
    if ((Get-Date) -ge $deadline) { throw "containerd did not answer within $Seconds s (ctr version exited $LASTEXITCODE)" }
    Start-Sleep -Seconds 5
  }
}
`

const fnEcrPassword = `function Get-WinamiEcrPassword([string]$Region) {
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
`

// fnPull pulls with --local (where ctr has it, fnLocal): ctr fetches and unpacks itself and creates the image through
// containerd's images service, on 1.7 (where --local is the default) as on 2.x (where
// the default is the transfer service). Either way containerd publishes the image's
// create event that its CRI plugin adds to its image store (v1.7.27
// services/images/local.go and pkg/cri/server/events.go; v2.x publishes it from the
// metadata store since PR 9779, commit 86530c0af, first in v2.0.0, which fixed issue
// 9773: images pulled by ctr missing from crictl in the 2.0 pre-releases).
// ctr 1.6 has no --local flag (it always works through the client, as --local does);
// fnLocal passes it only to a ctr that has it.
const fnLocal = `function Get-WinamiLocalFlag([string]$Command) {
  $ErrorActionPreference = 'Continue'
  # Callers wrap the result in @( ): PowerShell unrolls a returned array.
  $help = & $ctr images $Command --help | Out-String
  if ($help -match '--local') { return '--local' }
}
`

const fnPull = `function Invoke-WinamiPull([string]$Ref, [string]$EcrRegion, [int]$Attempts) {
  # ctr reports progress on stderr: judge it by its exit code, not by stderr.
  $ErrorActionPreference = 'Continue'
  $local = @(Get-WinamiLocalFlag 'pull')
  $delay = 10
  for ($attempt = 1; $attempt -le $Attempts; $attempt++) {
    if ($EcrRegion) {
      $password = Get-WinamiEcrPassword $EcrRegion
      & $ctr -n k8s.io images pull @local --user "AWS:$password" $Ref
    } else {
      & $ctr -n k8s.io images pull @local $Ref
    }
    if ($LASTEXITCODE -eq 0) { return }
    if ($attempt -lt $Attempts) {
      Write-Host "pulling $Ref (attempt $attempt) failed with exit code $LASTEXITCODE; retrying in $delay s"
      Start-Sleep -Seconds $delay
      $delay = [Math]::Min($delay * 2, 300)
    }
  }
  throw "pulling ${Ref}: gave up after $Attempts attempts"
}
`

// fnPin gives the pulled image every name pods use and labels each
// io.cri-containerd.pinned=pinned: containerd's CRI reads that label into Image.Pinned
// (v1.7.27 pkg/cri/labels/labels.go PinnedImageLabelKey/Value, pkg/cri/store/image/image.go
// getImage; v2.1.6 internal/cri/labels/labels.go, internal/cri/store/image/image.go) and
// kubelet's image garbage collection skips an image the CRI reports pinned (kubernetes
// pkg/kubelet/images/image_gc_manager.go: "Image is pinned, skipping garbage collection"). The label is set on
// each name: ctr images tag copies labels with --local (v1.7.27
// cmd/ctr/commands/images/tag.go creates the image record with the source's labels) but
// not necessarily through the transfer service that is v2.x's default.
const fnPin = `function Set-WinamiPinnedNames([string[]]$Names) {
  # $Names[0] is the name the image was pulled as.
  $ErrorActionPreference = 'Continue'
  $local = @(Get-WinamiLocalFlag 'tag')
  $Ref = $Names[0]
  foreach ($name in $Names) {
    if ($name -cne $Ref) {
      & $ctr -n k8s.io images tag @local --force $Ref $name
      if ($LASTEXITCODE -ne 0) { throw "tagging $Ref as ${name}: ctr exited $LASTEXITCODE" }
    }
    & $ctr -n k8s.io images label $name 'io.cri-containerd.pinned=pinned'
    if ($LASTEXITCODE -ne 0) { throw "labelling ${name} pinned: ctr exited $LASTEXITCODE" }
  }
  Write-Host "cached and pinned $($Names -join ', ')"
}
`

// fnVerify fails unless every name is complete, unpacked and pinned. It reads the columns
// of ctr images check (REF TYPE DIGEST STATUS SIZE UNPACKED; STATUS begins with complete,
// incomplete, unavailable or error; UNPACKED is true or false) and of ctr images ls (REF
// TYPE DIGEST SIZE PLATFORMS LABELS, labels as k=v,k=v), containerd v1.7.27 and v2.1.6
// cmd/ctr/commands/images/images.go. ctr images check -q is not used: it prints complete
// images whether or not they are unpacked.
const fnVerify = `function Test-WinamiCachedImages([string[]]$Names) {
  $ErrorActionPreference = 'Continue'
  $checked = @(& $ctr -n k8s.io images check)
  $checkExit = $LASTEXITCODE
  $listed = @(& $ctr -n k8s.io images ls)
  $listExit = $LASTEXITCODE
  $problems = @()
  foreach ($name in $Names) {
    $row = $checked | Where-Object { ($_ -split '\s+', 2)[0] -ceq $name } | Select-Object -First 1
    if (-not $row) {
      $problems += "${name}: not in containerd's k8s.io namespace (ctr images check exited $checkExit)"
      continue
    }
    $fields = $row.Trim() -split '\s+'
    if ($fields[3] -cne 'complete') { $problems += "${name}: content is $($fields[3])" }
    if ($fields[-1] -cne 'true') { $problems += "${name}: not unpacked" }
    $label = $listed | Where-Object { ($_ -split '\s+', 2)[0] -ceq $name } | Select-Object -First 1
    if ($label -notmatch '(^|[\s,])io\.cri-containerd\.pinned=pinned(,|\s|$)') {
      $problems += "${name}: not labelled io.cri-containerd.pinned=pinned (ctr images ls exited $listExit)"
    }
  }
  if ($problems.Count -gt 0) { throw "the image cache is not ready: $($problems -join '; ')" }
  Write-Host "all $($Names.Count) image names are complete, unpacked and pinned in containerd's k8s.io namespace"
}
`

// helpersPath is the script a document's steps dot-source: its first build step writes
// the functions and the list of image names there, once, and every later step (the test
// phase's too: the file is part of the image) calls them. The file stays on the AMI, so
// the cache can be checked again on a node the same way. Each document has its own file.
func helpersPath(doc string) string {
	return "(Join-Path $env:ProgramData " + psQuote(`winami\`+doc+".ps1") + ")"
}

func writeHelpersScript(doc string, pulls []pull) string {
	var b strings.Builder
	b.WriteString(prelude)
	b.WriteString("$helpers = " + helpersPath(doc) + "\n")
	b.WriteString("New-Item -ItemType Directory -Force -Path (Split-Path $helpers) | Out-Null\n")
	b.WriteString("Set-Content -Path $helpers -Encoding UTF8 -Value @'\n")
	b.WriteString(prelude)
	b.WriteString("# The names of the images this component caches, as pods name them.\n")
	b.WriteString("$WinamiCachedImages = @(\n")
	for _, p := range pulls {
		for _, n := range p.names {
			fmt.Fprintf(&b, "  %s\n", psQuote(n))
		}
	}
	b.WriteString(")\n")
	for _, p := range pulls {
		if p.ecrRegion != "" {
			b.WriteString(fnEcrPassword)
			break
		}
	}
	b.WriteString(fnWaitContainerd + fnLocal + fnPull + fnPin + fnVerify)
	b.WriteString("'@\n")
	return b.String()
}

// source starts a step that calls the helpers (which set $ctr).
func source(doc string) string {
	return "$ErrorActionPreference = 'Stop'\n. " + helpersPath(doc) + "\n"
}

func startScript(doc string) string {
	return source(doc) + fmt.Sprintf("Wait-WinamiContainerd -Seconds %d\n", StartTimeout)
}

func pullScript(doc string, attempts int, p pull) string {
	var b strings.Builder
	b.WriteString(source(doc))
	fmt.Fprintf(&b, "Invoke-WinamiPull -Ref %s", psQuote(p.from))
	if p.ecrRegion != "" {
		fmt.Fprintf(&b, " -EcrRegion %s", psQuote(p.ecrRegion))
	}
	fmt.Fprintf(&b, " -Attempts %d\n", attempts)
	fmt.Fprintf(&b, "Set-WinamiPinnedNames -Names %s\n", psList(p.names))
	return b.String()
}

func verifyScript(doc string) string {
	return startScript(doc) + "Test-WinamiCachedImages -Names $WinamiCachedImages\n"
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

func powershell(name string, timeout int, script string) step {
	return step{Name: name, Action: "ExecutePowerShell", TimeoutSeconds: timeout, OnFailure: "Abort", MaxAttempts: 1,
		Inputs: map[string]any{"commands": []string{script}}}
}

// render writes one document. Phases, as Image Builder runs them ("Workflow stages for
// building a new image", https://docs.aws.amazon.com/imagebuilder/latest/userguide/manage-components.html):
// build and validate run on the build instance before the snapshot; test runs in the test
// stage, on a new instance Image Builder launches from the image it just made (the
// pipeline keeps image tests enabled), so it proves the cache survived Sysprep and the
// snapshot.
func render(o Options, name string, pulls []pull) (string, error) {
	build := []step{
		powershell("WriteHelpers", 60, writeHelpersScript(name, pulls)),
		powershell("StartContainerd", StartTimeout+60, startScript(name)),
	}
	for i, p := range pulls {
		build = append(build, powershell(fmt.Sprintf("CacheImage%d", i+1), p.timeout, pullScript(name, o.Attempts, p)))
	}
	verify := verifyScript(name)
	doc := document{
		Name:          name,
		Description:   o.Description,
		SchemaVersion: yaml.Node{Kind: yaml.ScalarNode, Tag: "!!float", Value: "1.0"},
		Phases: []phase{
			{Name: "build", Steps: build},
			{Name: "validate", Steps: []step{powershell("VerifyCachedImages", VerifyTimeout, verify)}},
			{Name: "test", Steps: []step{powershell("VerifyCachedImagesOnNewInstance", VerifyTimeout, verify)}},
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
	size := func(s string) int { return utf8.RuneCountInString(s) }
	// Greedy: add images to the current document while it fits.
	start := 0
	for start < len(pulls) {
		end := start + 1
		data, err := render(o, docName(len(docs)), pulls[start:end])
		if err != nil {
			return nil, err
		}
		if size(data) > MaxDataSize {
			return nil, fmt.Errorf("rendering component for %s: one image alone needs %d characters, more than %d", pulls[start].ref, size(data), MaxDataSize)
		}
		for end < len(pulls) {
			next, err := render(o, docName(len(docs)), pulls[start:end+1])
			if err != nil {
				return nil, err
			}
			if size(next) > MaxDataSize {
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
