package cli

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"
)

// fileArgHint is the error for a positional argument given to a command that reads its
// spec file from -f ("winami plan winami.yaml"): "did you mean -f winami.yaml?", when
// the argument looks like a spec file (a .yaml/.yml/.json name, or an existing file). It
// returns nil otherwise, and cobra's "unknown command" stands.
func fileArgHint(cmd *cobra.Command, args []string) error {
	ff := cmd.Flags().Lookup("file")
	if len(args) == 0 || ff == nil || ff.Shorthand != "f" {
		return nil
	}
	a := args[0]
	ext := strings.ToLower(filepath.Ext(a))
	st, err := os.Stat(a)
	if ext != ".yaml" && ext != ".yml" && ext != ".json" && (err != nil || st.IsDir()) {
		return nil
	}
	if ff.Changed {
		return Usagef("unexpected argument %q: %s reads one spec file, the one -f names (%s); give one -f FILE", a, cmd.CommandPath(), ff.Value.String())
	}
	return Usagef("unexpected argument %q: did you mean -f %s? %s reads its spec file from -f/--file", a, a, cmd.CommandPath())
}
