package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strconv"

	"github.com/spf13/cobra"
)

// Version is winami's version when set at link time with
// -ldflags "-X github.com/winami/winami/internal/cli.Version=…"; left at "dev", the
// version comes from the build information the Go toolchain embeds (BuildVersion).
var Version = "dev"

// VersionInfo is what `winami version` prints.
type VersionInfo struct {
	// Version is the module version: the -ldflags one, else the main module's version in
	// the build information (vX for `go install …@vX`; the tag or a pseudo-version for
	// `go build` in a git checkout, "+dirty" when it had uncommitted changes), else "dev".
	Version string `json:"version"`
	// GoVersion is the Go toolchain that built the binary.
	GoVersion string `json:"goVersion"`
	// Platform is GOOS/GOARCH.
	Platform string `json:"platform"`
	// Commit is the git revision the binary was built from (vcs.revision), when known.
	Commit string `json:"commit,omitempty"`
	// CommitTime is that revision's commit time (vcs.time, RFC 3339), when known.
	CommitTime string `json:"commitTime,omitempty"`
	// Modified says whether the checkout had uncommitted changes (vcs.modified); absent
	// when the build carries no VCS information.
	Modified *bool `json:"modified,omitempty"`
}

// BuildVersion is the version information of the running binary (runtime/debug.ReadBuildInfo).
func BuildVersion() VersionInfo {
	bi, _ := debug.ReadBuildInfo()
	return versionFrom(bi, Version)
}

// versionFrom builds the version information from bi (nil when the binary carries none)
// and the link-time version ("dev" when not set). `go install module@vX` sets
// Main.Version to vX (runtime/debug.BuildInfo: "Main Module // The module containing the
// main package"; cmd/go: "go install pkg@version" builds that module version). Since Go
// 1.24 `go build` in a git checkout sets it from the tag, or a pseudo-version past it, with
// "+dirty" for uncommitted changes (https://go.dev/doc/go1.24#go-command, go.dev/issue/50603);
// a build without VCS stamping (-buildvcs=false) says "(devel)".
func versionFrom(bi *debug.BuildInfo, linked string) VersionInfo {
	v := VersionInfo{Version: linked, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi == nil {
		return v
	}
	if bi.GoVersion != "" {
		v.GoVersion = bi.GoVersion
	}
	if linked == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v.Version = bi.Main.Version
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			if m, err := strconv.ParseBool(s.Value); err == nil {
				v.Modified = &m
			}
		}
	}
	return v
}

// Line is the one-line form `winami --version` prints:
// "winami v1.2.3 (commit 0123456789ab, go1.26.8, linux/amd64)".
func (v VersionInfo) Line() string {
	s := "winami " + v.Version + " ("
	if v.Commit != "" {
		c := v.Commit
		if len(c) > 12 {
			c = c[:12]
		}
		s += "commit " + c
		if v.Modified != nil && *v.Modified {
			s += ", modified"
		}
		s += ", "
	}
	return s + v.GoVersion + ", " + v.Platform + ")"
}

func (v VersionInfo) table() Table {
	rows := [][]string{{"winami", v.Version}}
	if v.Commit != "" {
		c := v.Commit
		if v.Modified != nil && *v.Modified {
			c += " (modified)"
		}
		rows = append(rows, []string{"commit", c})
		if v.CommitTime != "" {
			rows = append(rows, []string{"commit time", v.CommitTime})
		}
	}
	return Table{Rows: append(rows, []string{"go", v.GoVersion}, []string{"platform", v.Platform})}
}

func newVersionCmd(g *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print winami's version, commit and Go version",
		Long: `Version prints the module version winami was built as (` + "`go install …@vX`" + ` builds say
vX; builds from a git checkout say its tag or a pseudo-version, "+dirty" with uncommitted
changes, when built with -buildvcs=true or the go command's default), the commit, and the
Go version and platform. ` + "`winami --version`" + ` prints the same on one line.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := BuildVersion()
			return g.Print(v, v.table)
		},
	}
}

// addVersionFlag gives root a --version flag that prints BuildVersion on one line (or as
// -o json|yaml), as `winami version` does; without it, root prints its help.
func addVersionFlag(root *cobra.Command, g *Factory) {
	var show bool
	root.Flags().BoolVar(&show, "version", false, "print winami's version, commit and Go version")
	root.Args = noArgs
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if !show {
			return cmd.Help()
		}
		v := BuildVersion()
		if g.Output == FormatJSON || g.Output == FormatYAML {
			return g.Print(v, nil)
		}
		if _, err := fmt.Fprintln(g.Stdout, v.Line()); err != nil {
			return fmt.Errorf("writing the version: %w", err)
		}
		return nil
	}
}
