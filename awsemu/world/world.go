package world

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

//go:embed world.json
var worldJSON []byte

// datePlaceholder stands for the release date (2026.10.15) in world.json's AMI names.
const datePlaceholder = "YYYY.MM.DD"

type file struct {
	Sources    map[string]string `json:"sources"`
	Partitions []struct {
		Name            string   `json:"name"`
		RegionPrefixes  []string `json:"regionPrefixes"`
		WindowsAMIOwner string   `json:"windowsAmiOwner"`
	} `json:"partitions"`
	Regions      []string            `json:"regions"`
	Kubernetes   []KubernetesRelease `json:"kubernetes"`
	SeedReleases struct {
		EKSOptimized []string `json:"eksOptimized"`
		Base         []string `json:"base"`
	} `json:"seedReleases"`
	Components struct {
		EKSOptimized  string `json:"eksOptimized"`
		UpdateWindows string `json:"updateWindows"`
	} `json:"imageBuilderManagedComponents"`
	Windows []struct {
		Windows      string `json:"windows"`
		Edition      string `json:"edition"`
		Base         AMI    `json:"base"`
		EKSOptimized []AMI  `json:"eksOptimized"`
	} `json:"windows"`
}

// KubernetesRelease is one Kubernetes minor version of EKS.
type KubernetesRelease struct {
	// Version is "1.NN".
	Version string `json:"version"`
	// EKSRelease is the day EKS released it, "2006-01-02".
	EKSRelease string `json:"eksRelease"`
	// Status is STANDARD_SUPPORT or EXTENDED_SUPPORT, or "" once EKS no longer supports it.
	Status string `json:"status"`
}

// AMI is one family of public Windows AMIs: the SSM public parameter that names the
// newest and the name every release carries.
type AMI struct {
	// Windows is the Windows Server version: "2019", "2022", "2025".
	Windows string `json:"-"`
	// Edition is "Core" or "Full".
	Edition string `json:"-"`
	// Kubernetes is the Kubernetes version of an EKS-optimized AMI ("" for a base AMI).
	Kubernetes string `json:"kubernetes"`
	// Parameter is the SSM public parameter whose value is the newest release's AMI id.
	Parameter string `json:"parameter"`
	// NameTemplate is the AMI name with YYYY.MM.DD standing for the release date.
	NameTemplate string `json:"amiName"`
	// Description is the AMI's description.
	Description string `json:"description"`
}

// Name is the name of the release of date (a time, or "2026.10.15" / "2026-10-15").
func (a AMI) Name(date string) string {
	return strings.Replace(a.NameTemplate, datePlaceholder, strings.ReplaceAll(date, "-", "."), 1)
}

// NamePattern is the DescribeImages name filter matching every release.
func (a AMI) NamePattern() string { return strings.Replace(a.NameTemplate, datePlaceholder, "*", 1) }

// Released parses the release date out of name, an AMI name of this family.
func (a AMI) Released(name string) (time.Time, bool) {
	prefix, suffix, _ := strings.Cut(a.NameTemplate, datePlaceholder)
	if !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) || len(name) != len(a.NameTemplate) {
		return time.Time{}, false
	}
	t, err := time.Parse("2006.01.02", name[len(prefix):len(prefix)+len(datePlaceholder)])
	return t, err == nil
}

// Family is the public AMIs of one Windows Server version and edition.
type Family struct {
	// Windows is the Windows Server version: "2019", "2022", "2025".
	Windows string
	// Edition is "Core" or "Full".
	Edition string
	// Base is the plain Windows Server AMI.
	Base AMI
	// EKSOptimized are the EKS-optimized AMIs, one per Kubernetes version, oldest first.
	EKSOptimized []AMI
}

var data = load()

func load() file {
	var f file
	if err := json.Unmarshal(worldJSON, &f); err != nil {
		panic(fmt.Sprintf("awsemu/world: decoding world.json: %v", err))
	}
	for i := range f.Windows {
		w := &f.Windows[i]
		w.Base.Windows, w.Base.Edition = w.Windows, w.Edition
		for j := range w.EKSOptimized {
			w.EKSOptimized[j].Windows, w.EKSOptimized[j].Edition = w.Windows, w.Edition
		}
	}
	return f
}

// Sources maps each group of world.json to the AWS page it was taken from.
func Sources() map[string]string {
	out := make(map[string]string, len(data.Sources))
	for k, v := range data.Sources {
		out[k] = v
	}
	return out
}

// Regions lists the regions the public world is seeded in.
func Regions() []string { return append([]string(nil), data.Regions...) }

// Partition returns the ARN partition of region: "aws", "aws-us-gov" or "aws-cn".
func Partition(region string) string {
	name, _ := partition(region)
	return name
}

// OwnerFor returns the account that owns the public Windows AMIs in region ("" when
// world.json does not say).
func OwnerFor(region string) string {
	_, owner := partition(region)
	return owner
}

// AmazonOwner is the account that owns the public Windows AMIs of the aws partition.
func AmazonOwner() string { return OwnerFor("us-east-1") }

func partition(region string) (name, owner string) {
	def := data.Partitions[0]
	for _, p := range data.Partitions {
		if len(p.RegionPrefixes) == 0 {
			def = p
		}
		for _, prefix := range p.RegionPrefixes {
			if strings.HasPrefix(region, prefix) {
				return p.Name, p.WindowsAMIOwner
			}
		}
	}
	return def.Name, def.WindowsAMIOwner
}

// AllKubernetes returns every Kubernetes version of world.json, supported or not,
// oldest first.
func AllKubernetes() []KubernetesRelease { return append([]KubernetesRelease(nil), data.Kubernetes...) }

// KubernetesReleases returns the Kubernetes versions EKS supports, oldest first.
func KubernetesReleases() []KubernetesRelease {
	var out []KubernetesRelease
	for _, k := range data.Kubernetes {
		if k.Status != "" {
			out = append(out, k)
		}
	}
	return out
}

// KubernetesVersions lists the Kubernetes versions EKS supports, oldest first.
func KubernetesVersions() []string {
	var out []string
	for _, k := range KubernetesReleases() {
		out = append(out, k.Version)
	}
	return out
}

// LatestKubernetes is the newest Kubernetes version EKS supports.
func LatestKubernetes() string {
	v := KubernetesVersions()
	return v[len(v)-1]
}

// Families returns the public Windows AMI families, in world.json's order (Windows
// version, then edition).
func Families() []Family {
	out := make([]Family, len(data.Windows))
	for i, w := range data.Windows {
		out[i] = Family{Windows: w.Windows, Edition: w.Edition, Base: w.Base, EKSOptimized: append([]AMI(nil), w.EKSOptimized...)}
	}
	return out
}

// WindowsVersions lists the Windows Server versions with public AMIs, oldest first.
func WindowsVersions() []string {
	var out []string
	for _, w := range data.Windows {
		if len(out) == 0 || out[len(out)-1] != w.Windows {
			out = append(out, w.Windows)
		}
	}
	return out
}

// Editions lists the editions of Windows Server the AMIs exist in, Core first.
func Editions() []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range data.Windows {
		if !seen[w.Edition] {
			seen[w.Edition] = true
			out = append(out, w.Edition)
		}
	}
	return out
}

func family(windows, edition string) (Family, bool) {
	for _, f := range Families() {
		if f.Windows == windows && f.Edition == edition {
			return f, true
		}
	}
	return Family{}, false
}

// Base returns the base AMI family of a Windows version and edition.
func Base(windows, edition string) (AMI, bool) {
	f, ok := family(windows, edition)
	return f.Base, ok
}

// EKSOptimized returns the EKS-optimized AMI family of a Windows version, edition and
// Kubernetes version; false when AWS publishes none.
func EKSOptimized(windows, edition, k8s string) (AMI, bool) {
	f, _ := family(windows, edition)
	for _, a := range f.EKSOptimized {
		if a.Kubernetes == k8s {
			return a, true
		}
	}
	return AMI{}, false
}

// Supported tells whether EKS-optimized AMIs exist for a Windows version and Kubernetes
// version.
func Supported(windows, k8s string) bool {
	_, ok := EKSOptimized(windows, Editions()[0], k8s)
	return ok
}

// EKSOptimizedParameter is the SSM public parameter of the newest EKS-optimized AMI of
// a Windows version, edition and Kubernetes version; "" when AWS publishes none.
func EKSOptimizedParameter(windows, edition, k8s string) string {
	a, _ := EKSOptimized(windows, edition, k8s)
	return a.Parameter
}

// EKSOptimizedAMIName is the name of the EKS-optimized AMI released on date; "" when AWS
// publishes none.
func EKSOptimizedAMIName(windows, edition, k8s, date string) string {
	a, ok := EKSOptimized(windows, edition, k8s)
	if !ok {
		return ""
	}
	return a.Name(date)
}

// BaseParameter is the SSM public parameter of the newest base AMI of a Windows version
// and edition; "" when AWS publishes none.
func BaseParameter(windows, edition string) string {
	a, _ := Base(windows, edition)
	return a.Parameter
}

// ParseEKSOptimizedAMIName finds the family of an EKS-optimized AMI name and its release
// date.
func ParseEKSOptimizedAMIName(name string) (AMI, time.Time, bool) {
	for _, f := range data.Windows {
		for _, a := range f.EKSOptimized {
			if t, ok := a.Released(name); ok {
				return a, t, true
			}
		}
	}
	return AMI{}, time.Time{}, false
}

// SeedReleases returns the emulator's own release dates of the EKS-optimized AMIs,
// oldest first (not AWS data: a monthly calendar of four releases, as EKS keeps four
// months of Windows AMIs public).
func SeedReleases() []time.Time { return dates(data.SeedReleases.EKSOptimized) }

// SeedBaseReleases returns the emulator's own release dates of the base AMIs, oldest
// first.
func SeedBaseReleases() []time.Time { return dates(data.SeedReleases.Base) }

func dates(ss []string) []time.Time {
	out := make([]time.Time, len(ss))
	for i, s := range ss {
		t, err := time.Parse("2006-01-02", s)
		if err != nil {
			panic(fmt.Sprintf("awsemu/world: world.json: release %q: %v", s, err))
		}
		out[i] = t
	}
	return out
}

// ComponentEKS is the name of the Amazon-managed Image Builder component that installs
// the EKS-optimized AMI's components.
func ComponentEKS() string { return data.Components.EKSOptimized }

// ComponentUpdateWindows is the name of the Amazon-managed Image Builder component that
// installs Windows updates.
func ComponentUpdateWindows() string { return data.Components.UpdateWindows }

// The editions of Windows Server, as AMI and parameter names spell them.
const (
	Core = "Core"
	Full = "Full"
)
