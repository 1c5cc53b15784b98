package cli

import (
	"slices"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/kube"
	"github.com/winami/winami/spec"
)

// Shell completion: cobra's `completion bash|zsh|fish|powershell` command prints the
// script; the values of the flags below complete from offline lists (nothing calls AWS),
// --context from the kubeconfig (read only) and -f from *.yaml and *.yml files.

// outputFormats are the values of -o/--output that checkFormat accepts, of table, wide
// (kubectl's, where winami has it), json and yaml.
var outputFormats = func() []string {
	var out []string
	for _, f := range []string{FormatTable, "wide", FormatJSON, FormatYAML} {
		if checkFormat(f) == nil {
			out = append(out, f)
		}
	}
	return out
}()

// iamPolicyRoles are the values of iam-policy --for.
var iamPolicyRoles = []string{"operator", "instance", "target-account"}

// flagValues are the offline value lists by flag name, for every command that has the flag.
// A list flag (resolve's --windows 2019,2022; --region where regionUses says regionList)
// also offers all.
var flagValues = map[string]func(cmd *cobra.Command) []string{
	"output":  func(*cobra.Command) []string { return outputFormats },
	"windows": func(*cobra.Command) []string { return catalog.WindowsVersionNames() },
	"edition": func(*cobra.Command) []string {
		var out []string
		for _, e := range catalog.Editions {
			out = append(out, strings.ToLower(string(e)))
		}
		return out
	},
	"kubernetes": func(*cobra.Command) []string { return catalog.KubernetesVersions() },
	"region": func(cmd *cobra.Command) []string {
		if regionUses[commandKey(cmd)] == regionNone {
			return nil // the command refuses --region (regionflag.go)
		}
		return spec.Regions
	},
	"for":      func(*cobra.Command) []string { return iamPolicyRoles },
	"document": func(*cobra.Command) []string { return []string{"trust", "inline"} },
}

// flagCompleters complete the flags whose values are not a fixed list.
var flagCompleters = map[string]cobra.CompletionFunc{
	"context": completeContexts,
	"file": func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		return []cobra.Completion{"yaml", "yml"}, cobra.ShellCompDirectiveFilterFileExt
	},
}

// registerCompletions registers the value completion of every flag of root's commands
// named in flagValues or flagCompleters (root's persistent -o and --region once, on root).
func registerCompletions(root *cobra.Command) {
	var visit func(c *cobra.Command)
	visit = func(c *cobra.Command) {
		for name, values := range flagValues {
			if fl := c.LocalFlags().Lookup(name); fl != nil {
				slice := strings.HasSuffix(fl.Value.Type(), "Slice")
				list := func(cmd *cobra.Command) bool {
					return slice || name == "region" && regionUses[commandKey(cmd)] == regionList
				}
				_ = c.RegisterFlagCompletionFunc(name, valueCompletion(values, list))
			}
		}
		for name, fn := range flagCompleters {
			if c.LocalFlags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, fn)
			}
		}
		for _, sub := range c.Commands() {
			visit(sub)
		}
	}
	visit(root)
}

// valueCompletion completes a flag from values. A list flag completes its last element
// after the ones already given (2019,20 → 2019,2022 and 2019,2025), never offering one
// again, and offers all while nothing is given.
func valueCompletion(values func(*cobra.Command) []string, list func(*cobra.Command) bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		prefix, last := "", toComplete
		var given []string
		vs := values(cmd)
		if list(cmd) {
			if i := strings.LastIndex(toComplete, ","); i >= 0 {
				prefix, last = toComplete[:i+1], toComplete[i+1:]
				given = strings.Split(strings.ToLower(toComplete[:i]), ",")
			} else if !slices.Contains(vs, "all") {
				vs = append(slices.Clone(vs), "all")
			}
		}
		var out []cobra.Completion
		for _, v := range vs {
			lv := strings.ToLower(v)
			if strings.HasPrefix(lv, strings.ToLower(last)) && !slices.Contains(given, lv) && (len(given) == 0 || lv != "all") {
				out = append(out, prefix+v)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}

// completeContexts completes --context from the kubeconfig the command's --kubeconfig
// names (else KUBECONFIG, else ~/.kube/config), read only (kube.Contexts). Only context
// names are printed, the current one described as such; a name with a control character
// (a newline or tab would break the completion protocol, an escape the terminal) is left out.
func completeContexts(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	path := ""
	if fl := cmd.Flag("kubeconfig"); fl != nil {
		path = fl.Value.String()
	}
	names, current, err := kube.Contexts(path)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	var out []cobra.Completion
	for _, n := range names {
		if !strings.HasPrefix(n, toComplete) || strings.IndexFunc(n, unicode.IsControl) >= 0 {
			continue
		}
		if n == current {
			out = append(out, cobra.CompletionWithDesc(n, "current context"))
		} else {
			out = append(out, n)
		}
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}
