package cli

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/winami/winami/check"
	"github.com/winami/winami/preflight"
)

func newDoctorCmd(g *Factory) *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "doctor -f winami.yaml",
		Short: "Check, before a build, everything that would make it fail",
		Long: `Doctor runs one check per line, pass / warn / fail / skip, each with the fix:
the credentials and account (STS); with spec.distribution.targetAccountIds, that none of
them is that account (target-accounts: the build account gets its AMI without being
listed); whether you may call what apply, build, fast-launch and
prune need (SimulatePrincipalPolicy, iam:PassRole of the build and execution roles and
what EC2 checks when fast-launch enable launches from the AMI included; skipped with a note
when simulation is denied); the build instance profile, its role's
EC2InstanceProfileForImageBuilder and AmazonSSMManagedInstanceCore and, when cached images
come from ECR, read access to those repositories; the subnet and security groups (or a
default VPC); the instance types, offered in the region and the subnet's zone; the parent
image; for windows-base, Amazon's eks-optimized-ami-windows for the Kubernetes version; who
writes the published parameter (the service-linked role only under /imagebuilder/, else
the execution role: exists, trusts Image Builder, may write it); the cached images; the
Fast Launch prerequisites of every distribution region, and whether whoever enables it at
distribution may (the service-linked role only with a launch template tagged
CreatedBy: EC2 Image Builder, or the execution role); each KMS key of
spec.build.encryption.kmsKeyId and spec.distribution.kmsKeyIds (kms-key): it exists in
the region it serves, is enabled and a symmetric ENCRYPT_DECRYPT key (EBS takes no other),
is not an AWS managed key when target accounts use it, and its key policy or grants let
whoever makes EBS use it do so — Image Builder (its service-linked role, or the execution
role, whose IAM policies are simulated when the key policy delegates to the account) and
each target account's EC2ImageBuilderDistributionCrossAccountRole — for kms:CreateGrant,
kms:Decrypt, kms:DescribeKey, kms:GenerateDataKeyWithoutPlaintext and kms:ReEncrypt*
through EC2; a failed check gives the key policy statement to add, as JSON (with Fast
Launch, EC2 grants its service-linked role use of the key with the enabler's
kms:CreateGrant); the log bucket of spec.build.logging (log-bucket): it exists, in the
build region, and the build instance's role may write under its prefix
(instance-role-logs).

build and apply run the same checks (all but the cached images) before any change.
Exit 1 when a check fails.`,
		Example: `  winami doctor -f winami.yaml
  winami doctor -f winami.yaml -o json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runDoctor(cmd.Context(), g, file) },
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "the spec file (winami.yaml)")
	return cmd
}

func runDoctor(ctx context.Context, g *Factory, file string) error {
	img, err := loadSpec(g, file)
	if err != nil {
		return err
	}
	clients, err := g.AWS(ctx, img.Metadata.Region)
	if err != nil {
		return err
	}
	d := &preflight.Doctor{Clients: clients, CheckImages: preflight.ImagesCheck(g.Registry(clients))}
	checks, err := d.Run(ctx, img)
	if err != nil {
		return err
	}
	if err := g.Print(checks, func() Table { return checksTable(checks) }); err != nil {
		return err
	}
	if check.Failed(checks) {
		n := 0
		for _, c := range checks {
			if c.Status == check.Fail {
				n++
			}
		}
		return &ProblemError{Msg: "doctor: " + plural(n, "check") + " failed"}
	}
	return nil
}
