package cli

import (
	"encoding/json"
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/winami/winami/catalog"
	"github.com/winami/winami/preflight"
)

// instancePolicies is the JSON of `winami iam-policy --for instance`.
type instancePolicies struct {
	ManagedPolicyARNs []string           `json:"managedPolicyArns"`
	InlinePolicy      preflight.Document `json:"inlinePolicy"`
}

// accountIDPattern is an AWS account id: 12 digits.
var accountIDPattern = regexp.MustCompile(`^[0-9]{12}$`)

// printPolicy prints a policy document or set as indented JSON (or YAML with -o yaml).
func printPolicy(g *Factory, data any) error {
	if g.Output == FormatYAML {
		return g.Print(data, nil)
	}
	b, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the policy: %w", err)
	}
	_, err = fmt.Fprintln(g.Stdout, string(b))
	return err
}

func newIAMPolicyCmd(g *Factory) *cobra.Command {
	var (
		forRole, file, buildAccount, document string
		passRoles                             []string
	)
	cmd := &cobra.Command{
		Use:   "iam-policy [--for operator|instance|target-account] [-f winami.yaml]",
		Short: "Print least-privilege IAM policies for the operator, the build instance and the target accounts",
		Long: `iam-policy prints the IAM policies winami needs, as JSON:

  --for operator   the policy document of whoever runs winami (apply, build, fast-launch,
                   prune, doctor), ready for aws iam put-role-policy --policy-document
  --for instance   the managed policies the build instance's role needs and an inline
                   policy that lets it pull the cached images from ECR and, with
                   spec.build.logging, write its logs (s3:PutObject on
                   arn:aws:s3:::<bucket>/<prefix>/*)
  --for target-account
                   the role EC2ImageBuilderDistributionCrossAccountRole that each account
                   of spec.distribution.targetAccountIds creates: {"roleName",
                   "trustPolicy" (the build account, --build-account), "managedPolicyArns"
                   (Ec2ImageBuilderCrossAccountDistributionAccess), "inlinePolicyName",
                   "inlinePolicy" (the published parameter there, the copy keys through
                   EC2)}; --document trust or inline prints that one document alone
  (neither)        operator and instance, as {"operator": …, "instance": …}

The target account's role, with the target account's credentials:

  winami iam-policy --for target-account -f winami.yaml --build-account 123456789012 --document trust > trust.json
  winami iam-policy --for target-account -f winami.yaml --build-account 123456789012 --document inline > inline.json
  aws iam create-role --role-name EC2ImageBuilderDistributionCrossAccountRole --assume-role-policy-document file://trust.json --profile target
  aws iam attach-role-policy --role-name EC2ImageBuilderDistributionCrossAccountRole --policy-arn arn:aws:iam::aws:policy/Ec2ImageBuilderCrossAccountDistributionAccess --profile target
  aws iam put-role-policy --role-name EC2ImageBuilderDistributionCrossAccountRole --policy-name winami-<name> --policy-document file://inline.json --profile target

The keys' own policies must let the target accounts use them too: winami doctor says
which statement to add. Fast Launch and prune stay per account: Image Builder does not
distribute AMIs with Fast Launch pre-enabled to other accounts (so a spec with
targetAccountIds cannot enable it), and prune deregisters the AMIs of the account it runs
in. Run them in a target account with that account's credentials, e.g.
winami fast-launch enable --image ami-… --region us-west-2 --profile target and
winami prune -f winami.yaml --profile target (that account's operator needs
winami iam-policy --for operator too).

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
that already are winami's, and prune may mark only Image Builder's snapshots.

With the spec's new fields the operator policy also allows doctor's reads of the KMS keys
(kms:DescribeKey, kms:GetKeyPolicy, kms:ListGrants) and of the log bucket's region
(s3:GetBucketLocation); with Fast Launch and keys, kms:CreateGrant for AWS resources
through EC2 (EC2 grants the Fast Launch service-linked role use of an encrypted AMI's key
with the caller's permission); with image scanning, a published parameter and target
accounts, sts:AssumeRole on their EC2ImageBuilderDistributionCrossAccountRole (build
publishes there after the scan). The instance policy adds no KMS action for the log
bucket: the default SSE-S3 encryption needs none; a bucket encrypted with SSE-KMS and a
customer managed key also needs kms:GenerateDataKey on that key.`,
		Example: `  winami iam-policy --for operator -f winami.yaml > operator.json
  winami iam-policy --for instance -f winami.yaml
  winami iam-policy --for target-account -f winami.yaml --build-account 123456789012`,
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
			if document != "" && forRole != "target-account" {
				return Usagef("flag --document %q: only with --for target-account", document)
			}
			if forRole == "target-account" {
				if !accountIDPattern.MatchString(buildAccount) {
					return Usagef("flag --build-account %q: the 12-digit account that builds (the target accounts' role trusts it) is required with --for target-account", buildAccount)
				}
				role := preflight.TargetAccountPolicy(sc, buildAccount)
				var data any = role
				switch document {
				case "":
				case "trust":
					data = role.TrustPolicy
				case "inline":
					if role.InlinePolicy == nil {
						return Usagef("flag --document inline: the spec needs no inline policy in the target accounts (it publishes no parameter and names no KMS key)")
					}
					data = role.InlinePolicy
				default:
					return Usagef("flag --document %q: use trust or inline", document)
				}
				return printPolicy(g, data)
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
				return Usagef("flag --for %q: use operator, instance or target-account", forRole)
			}
			return printPolicy(g, data)
		},
	}
	cmd.Flags().StringVar(&forRole, "for", "", "operator, instance or target-account (default: operator and instance)")
	cmd.Flags().StringVar(&buildAccount, "build-account", "", "with --for target-account: the account that builds, which the target accounts' role trusts")
	cmd.Flags().StringVar(&document, "document", "", "with --for target-account: print only the trust or the inline policy document")
	cmd.Flags().StringVarP(&file, "file", "f", "", "scope the policies to this spec's resources")
	cmd.Flags().StringSliceVar(&passRoles, "launch-template-role", nil, "role (name or ARN) of the instance profile the Fast Launch launch template names, when not the build's: the operator passes it to EC2")
	return cmd
}
