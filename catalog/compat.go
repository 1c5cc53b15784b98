package catalog

import (
	"fmt"
	"strconv"
	"strings"
)

// Windows builds named by Microsoft's release information, as hcsshim's osversion
// package names them (osversion/windowsbuilds.go): only those the compatibility rule and
// its tests use.
const (
	// BuildLTSC2019 is Windows Server 2019 (RS5, version 1809).
	BuildLTSC2019 = 17763
	// BuildLTSC2022 is Windows Server 2022 (21H2 server).
	BuildLTSC2022 = 20348
	// BuildV22H2Win11 is Windows 11 2022 Update (22H2), a client build.
	BuildV22H2Win11 = 22621
	// BuildV23H2 is Windows Server 23H2 (annual channel).
	BuildV23H2 = 25398
	// BuildLTSC2025 is Windows Server 2025 (24H2 server).
	BuildLTSC2025 = 26100
)

// compatLTSCReleases are the stable-ABI LTSC releases, sorted ascending: a host from
// the first of them on runs containers from the LTSC before it (or its own, if it is
// the first) up to its own build.
//
// Source: github.com/microsoft/hcsshim osversion/platform_compat_windows.go
// (compatLTSCReleases, CheckHostAndContainerCompat) at commit
// 7c9ff7f481383ff47524bade75d1b25d631b49ce; containerd's matcher carries the same
// function (github.com/containerd/platforms platform_windows_compat.go,
// checkWindowsHostAndContainerCompat, at v1.0.0-rc.4 / 09756f59cb1d).
var compatLTSCReleases = []int{BuildLTSC2022, BuildLTSC2025}

// OSVersion is a Windows os.version: major.minor.build[.revision].
type OSVersion struct {
	Major, Minor, Build, Revision int
}

// ParseOSVersion parses "10.0.20348" or "10.0.20348.2700". The revision is optional.
func ParseOSVersion(s string) (OSVersion, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 3 || len(parts) > 4 {
		return OSVersion{}, fmt.Errorf("os.version %q: want major.minor.build[.revision], such as 10.0.20348.2700", s)
	}
	var n [4]int
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 0 || p == "" || (p[0] == '+') {
			return OSVersion{}, fmt.Errorf("os.version %q: part %q is not a number", s, p)
		}
		n[i] = v
	}
	return OSVersion{Major: n[0], Minor: n[1], Build: n[2], Revision: n[3]}, nil
}

// String is major.minor.build.revision (revision left out when 0).
func (v OSVersion) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Build)
	if v.Revision != 0 {
		s += fmt.Sprintf(".%d", v.Revision)
	}
	return s
}

// HostRunsContainer reports whether a Windows host of build host runs, with process
// isolation, a container image built for ctr. It is hcsshim's CheckHostAndContainerCompat
// (osversion/platform_compat_windows.go at 7c9ff7f481383ff47524bade75d1b25d631b49ce):
//
//   - major and minor must be equal;
//   - a host older than Windows Server 2022 (build 20348) runs only its own build;
//   - a newer host runs builds from the latest stable-ABI LTSC release below its own
//     build (20348 when there is none) up to its own build.
//
// So a 2025 host (26100) runs ltsc2022 and ltsc2025 images, a 2022 host only ltsc2022,
// a 2019 host only ltsc2019. Revisions (the fourth part) never matter.
func HostRunsContainer(host, ctr OSVersion) bool {
	if host.Major != ctr.Major || host.Minor != ctr.Minor {
		return false
	}
	if host.Build < BuildLTSC2022 {
		return host.Build == ctr.Build
	}
	supported := BuildLTSC2022
	for i := len(compatLTSCReleases) - 1; i >= 0; i-- {
		if host.Build > compatLTSCReleases[i] {
			supported = compatLTSCReleases[i]
			break
		}
	}
	return supported <= ctr.Build && ctr.Build <= host.Build
}

// Runs reports whether a host of os.version host runs a container image of os.version
// ctr (see [HostRunsContainer]); an os.version that does not parse runs nowhere.
func Runs(host, ctr string) bool {
	h, err := ParseOSVersion(host)
	if err != nil {
		return false
	}
	c, err := ParseOSVersion(ctr)
	if err != nil {
		return false
	}
	return HostRunsContainer(h, c)
}

// RunsOn returns the supported Windows versions whose hosts run a container image of
// os.version ctr, oldest first ("10.0.20348.2700" → 2022 and 2025).
func RunsOn(ctr string) []WindowsVersion {
	var out []WindowsVersion
	for _, w := range windowsVersions {
		if Runs(w.Build, ctr) {
			out = append(out, w)
		}
	}
	return out
}

// RunsOnHost returns the supported Windows versions whose images a host of os.version
// host runs, oldest first ("10.0.26100" → 2022 and 2025).
func RunsOnHost(host string) []WindowsVersion {
	var out []WindowsVersion
	for _, w := range windowsVersions {
		if Runs(host, w.Build) {
			out = append(out, w)
		}
	}
	return out
}
