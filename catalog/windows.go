package catalog

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// WindowsVersion is one Windows Server release that EKS-optimized AMIs exist for.
type WindowsVersion struct {
	// Version is the year: "2019", "2022", "2025".
	Version string
	// Build is the OS build a container image's os.version must match (major.minor.build).
	Build string
	// Tag is the container image tag suffix for this build: "ltsc2019".
	Tag string
	// Channel is the servicing channel; only LTSC releases have EKS AMIs.
	Channel string
	// FirstKubernetes is the first Kubernetes minor with EKS-optimized AMIs for this version.
	FirstKubernetes string
	// MainstreamEnds and SupportEnds are Microsoft's end of mainstream and of extended support.
	MainstreamEnds time.Time
	SupportEnds    time.Time
}

func date(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

var windowsVersions = []WindowsVersion{
	{Version: "2019", Build: "10.0.17763", Tag: "ltsc2019", Channel: "LTSC", FirstKubernetes: "1.14",
		MainstreamEnds: date("2024-01-09"), SupportEnds: date("2029-01-09")},
	{Version: "2022", Build: "10.0.20348", Tag: "ltsc2022", Channel: "LTSC", FirstKubernetes: "1.23",
		MainstreamEnds: date("2026-10-13"), SupportEnds: date("2031-10-14")},
	{Version: "2025", Build: "10.0.26100", Tag: "ltsc2025", Channel: "LTSC", FirstKubernetes: "1.35",
		MainstreamEnds: date("2029-11-13"), SupportEnds: date("2034-11-14")},
}

// retired are Windows versions winami refuses, with the reason.
var retired = map[string]string{
	"2016":     "Windows Server 2016 has no EKS-optimized AMIs; use 2019, 2022 or 2025",
	"1809":     "Windows Server 1809 (SAC) is retired: Semi-Annual Channel releases have no EKS-optimized AMIs; use an LTSC version (2019, 2022 or 2025)",
	"1809-sac": "Windows Server 1809 (SAC) is retired: Semi-Annual Channel releases have no EKS-optimized AMIs; use an LTSC version (2019, 2022 or 2025)",
	"2004":     "Windows Server 2004 (SAC) is retired: Semi-Annual Channel releases have no EKS-optimized AMIs; use an LTSC version (2019, 2022 or 2025)",
	"20h2":     "Windows Server 20H2 (SAC) is retired: Semi-Annual Channel releases have no EKS-optimized AMIs; use an LTSC version (2019, 2022 or 2025)",
}

// WindowsVersions lists the supported Windows Server versions, oldest first.
func WindowsVersions() []WindowsVersion {
	return append([]WindowsVersion(nil), windowsVersions...)
}

// WindowsVersionNames lists "2019", "2022", "2025".
func WindowsVersionNames() []string {
	out := make([]string, len(windowsVersions))
	for i, w := range windowsVersions {
		out[i] = w.Version
	}
	return out
}

// Windows returns the Windows Server version named v ("2022"; "ltsc2022" and
// "Windows_Server-2022" are accepted too). Retired and unknown versions are refused
// with the reason.
func Windows(v string) (WindowsVersion, error) {
	key := strings.ToLower(strings.TrimSpace(v))
	key = strings.TrimPrefix(key, "windows_server-")
	key = strings.TrimPrefix(key, "windows server ")
	key = strings.TrimPrefix(key, "ltsc")
	if why, ok := retired[key]; ok {
		return WindowsVersion{}, fmt.Errorf("windows version %q: %s", v, why)
	}
	for _, w := range windowsVersions {
		if w.Version == key {
			return w, nil
		}
	}
	return WindowsVersion{}, fmt.Errorf("windows version %q is not known: use one of %s", v, strings.Join(WindowsVersionNames(), ", "))
}

// ForBuild returns the Windows version whose build matches osVersion by
// major.minor.build ("10.0.20348.2700" matches 2022).
func ForBuild(osVersion string) (WindowsVersion, bool) {
	mmb := MajorMinorBuild(osVersion)
	for _, w := range windowsVersions {
		if w.Build == mmb {
			return w, true
		}
	}
	return WindowsVersion{}, false
}

// MajorMinorBuild cuts a Windows os.version down to major.minor.build
// ("10.0.20348.2700" → "10.0.20348").
func MajorMinorBuild(osVersion string) string {
	parts := strings.Split(osVersion, ".")
	if len(parts) > 3 {
		parts = parts[:3]
	}
	return strings.Join(parts, ".")
}

// SupportWarning returns a warning when Microsoft's extended support for w ends within
// six months of now (or has ended), and "" otherwise.
func (w WindowsVersion) SupportWarning(now time.Time) string {
	switch {
	case !now.Before(w.SupportEnds):
		return fmt.Sprintf("Windows Server %s left Microsoft extended support on %s", w.Version, w.SupportEnds.Format("2006-01-02"))
	case now.AddDate(0, 6, 0).After(w.SupportEnds):
		return fmt.Sprintf("Windows Server %s leaves Microsoft extended support on %s (less than 6 months)", w.Version, w.SupportEnds.Format("2006-01-02"))
	}
	return ""
}

// Edition is a Windows Server installation option.
type Edition string

// The editions EKS-optimized AMIs exist in.
const (
	Core Edition = "Core"
	Full Edition = "Full"
)

// Editions lists the editions, Core first.
var Editions = []Edition{Core, Full}

// ParseEdition accepts "core"/"Core"/"full"/"Full" (any case).
func ParseEdition(s string) (Edition, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "core":
		return Core, nil
	case "full":
		return Full, nil
	}
	return "", fmt.Errorf("edition %q is not known: use Core or Full", s)
}

// sortedVersions sorts Kubernetes versions "1.NN" numerically.
func sortedVersions(vs []string) []string {
	out := append([]string(nil), vs...)
	sort.Slice(out, func(i, j int) bool { return CompareKubernetes(out[i], out[j]) < 0 })
	return out
}
