package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/preflight"
)

// instancePolicies is the JSON of `winami iam-policy --for instance`.
type instancePolicies struct {
	ManagedPolicyARNs []string           `json:"managedPolicyArns"`
	InlinePolicy      preflight.Document `json:"inlinePolicy"`
}

func newIAMPolicyCmd(g *Factory) *cobra.Command {
	var (
		forRole, file string
		passRoles     []string
	)
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
execution role, published parameter and ECR repositories) instead of wildcards, in the ARN
partition of its region (aws, aws-cn, aws-us-gov); without -f, of --region / AWS_REGION.

Each statement of the operator policy exists for one of winami's calls: reading, the
Image Builder changes of apply and build, iam:PassRole of the build instance's role (to
EC2) and of the pipeline's execution role (to Image Builder only), publishing the SSM
parameter, and what EC2 checks when fast-launch enable names an AMI and a launch template:
ec2:RunInstances on the image, template, subnet, security group and network interface, on
instances and volumes tagged CreatedBy "EC2 Fast Launch", and ec2:CreateTags as part of
that launch (the AWS managed policy EC2FastLaunchFullAccess grants the same). When the
Fast Launch launch template names an instance profile whose role is not the build's, add
that role with --launch-template-role (doctor tells which).

prune deregisters only AMIs Image Builder made with winami's tags (with -f, the spec's
name) and deletes only Image Builder's snapshots it marked; no statement can put those
tags on anything else: build may add only its input tags (winami:inputs-hash, …) to AMIs
that already are winami's, and prune may mark only Image Builder's snapshots.`,
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
			} else {
				sc.Partition = catalog.Partition(g.offlineRegion())
			}
			sc.PassRoles = passRoles
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
	cmd.Flags().StringSliceVar(&passRoles, "launch-template-role", nil, "role (name or ARN) of the instance profile the Fast Launch launch template names, when not the build's: the operator passes it to EC2")
	return cmd
}
