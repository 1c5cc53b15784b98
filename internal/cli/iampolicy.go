package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/winami/winami/preflight"
)

func init() {
	commands = append(commands, newIAMPolicyCmd)
}

// instancePolicies is the JSON of `winami iam-policy --for instance`.
type instancePolicies struct {
	ManagedPolicyARNs []string           `json:"managedPolicyArns"`
	InlinePolicy      preflight.Document `json:"inlinePolicy"`
}

func newIAMPolicyCmd(g *Globals) *cobra.Command {
	var forRole, file string
	cmd := &cobra.Command{
		Use:   "iam-policy [--for operator|instance] [-f winami.yaml]",
		Short: "Print least-privilege IAM policies for the operator and the build instance",
		Long: `iam-policy prints the IAM policies winami needs, as JSON:

  --for operator   the policy document of whoever runs winami (apply, build, fast-launch,
                   prune, doctor), ready for aws iam put-role-policy --policy-document
  --for instance   the managed policies the build instance's role needs and an inline
                   policy that lets it pull the cached images from ECR
  (neither)        both, as {"operator": …, "instance": …}

With -f the policies name the spec's resources (its Image Builder prefix, instance role,
published parameter and ECR repositories) instead of wildcards.`,
		Example: `  winami iam-policy --for operator -f winami.yaml > operator.json
  winami iam-policy --for instance -f winami.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var sc preflight.Scope
			if file != "" {
				img, err := loadSpec(g, file)
				if err != nil {
					return err
				}
				sc = preflight.ScopeOf(img)
			}
			managed, inline := preflight.InstancePolicy(sc)
			inst := instancePolicies{ManagedPolicyARNs: managed, InlinePolicy: inline}
			var data any
			switch forRole {
			case "operator":
				data = preflight.OperatorPolicy(sc)
			case "instance":
				data = inst
			case "":
				data = map[string]any{"operator": preflight.OperatorPolicy(sc), "instance": inst}
			default:
				return Usagef("flag --for %q: use operator or instance", forRole)
			}
			if g.Output == FormatYAML {
				return g.Print(data, nil)
			}
			b, err := json.MarshalIndent(data, "", "  ")
			if err != nil {
				return fmt.Errorf("encoding the policy: %w", err)
			}
			_, err = fmt.Fprintln(g.Stdout, string(b))
			return err
		},
	}
	cmd.Flags().StringVar(&forRole, "for", "", "operator or instance (default: both)")
	cmd.Flags().StringVarP(&file, "file", "f", "", "scope the policies to this spec's resources")
	return cmd
}
