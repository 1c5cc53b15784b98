package cli

import (
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// Version is winami's version, set at link time with -X github.com/winami/winami/internal/cli.Version=….
var Version = "dev"

// VersionInfo is what `winami version` prints.
type VersionInfo struct {
	Version   string `json:"version"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
	Commit    string `json:"commit,omitempty"`
}

func newVersionCmd(g *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print winami's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := VersionInfo{Version: Version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
			if bi, ok := debug.ReadBuildInfo(); ok {
				for _, s := range bi.Settings {
					if s.Key == "vcs.revision" {
						v.Commit = s.Value
					}
				}
			}
			return g.Print(v, func() Table {
				return Table{Rows: [][]string{{"winami", v.Version}, {"go", v.GoVersion}, {"platform", v.Platform}}}
			})
		},
	}
}
