package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/winami/winami/pipeline"
	"github.com/winami/winami/render"
	"github.com/winami/winami/spec"
)

type renderOptions struct {
	file, dir, account string
	resolveDigests     bool
	createSNSTopic     bool
}

// newRenderCmd builds the command; runF, when given, runs instead of the command with the
// options its flags parsed into (tests of the flags, as cli/cli's NewCmd*).
func newRenderCmd(g *Factory, runF func(*renderOptions) error) *cobra.Command {
	o := &renderOptions{}
	cmd := &cobra.Command{
		Use:   "render -f winami.yaml -d DIR",
		Short: "Write the Image Builder documents, requests and CloudFormation template for a spec, offline",
		Long: `Render reads a winami.yaml spec, fills its defaults, validates every field and writes,
without calling AWS:

  <name>-image-cache.yaml                  the image-cache component document(s) (AWSTOE)
  iam-create-role.json                     with spec.build.executionRole: the pipeline's
  iam-attach-role-policy-<policy>.json       execution role (aws iam … --cli-input-json)
  iam-put-role-policy.json
  create-component-<component>.json        one per component
  create-image-recipe.json
  create-infrastructure-configuration.json
  create-distribution-configuration.json
  create-image-pipeline.json               AWS CLI --cli-input-json request bodies, in creation order
  cloudformation.yaml                      the same resources plus the build role and instance
                                           profile (and the execution role)

Components and the recipe are versioned from their content (1.<minor>.<patch>), so a
changed spec gives new versions and a stack update can replace them. ARNs of resources
that do not exist yet carry the account ${AWS_ACCOUNT_ID} unless --account is given
(fill it with envsubst '${AWS_ACCOUNT_ID}': name the variable, or envsubst empties every
$name it finds). -o json and -o yaml print the effective spec,
defaults included; -d is then optional. A spec with problems writes nothing: every
problem is listed on stderr with its line and field, and render exits 2.

Offline, the component pulls each cached image by its reference as given, and render says
so: for a multi-version index containerd may then download every Windows variant.
--resolve-digests reads the registries (ECR through the AWS SDK, others through the Docker
config or anonymously), as apply does: the component then pulls each image by the digest
of its windows/amd64 manifest for the spec's Windows version, names it as pods name it and
gives its build step a timeout from its size; with spec.cache.pinDigests: true the index
digest each tag names now is pinned too.

--create-sns-topic adds an SNS topic (AWS::SNS::Topic, output NotificationTopicArn) to
cloudformation.yaml and points the infrastructure configuration's snsTopicArn at it, so
Image Builder notifies it when a build ends. It changes the template only (the JSON
requests cannot create a topic), and a spec that names its own topic
(spec.build.notifications.snsTopicArn) is refused with exit 2.`,
		Example: `  winami render -f examples/win2022-core-cached-fastlaunch.yaml -d out
  winami render -f winami.yaml -o yaml            # the effective spec, with defaults
  winami render -f winami.yaml -d out --account 123456789012
  winami render -f winami.yaml -d out --resolve-digests   # pull by the windows/amd64 manifests read from the registries
  winami render -f winami.yaml -d out --create-sns-topic  # the template also creates the build notifications' topic`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(o)
			}
			return runRender(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "the spec file (winami.yaml)")
	f.StringVarP(&o.dir, "dir", "d", "", "the directory to write the files to (created when missing)")
	f.BoolVar(&o.resolveDigests, "resolve-digests", false, "read the cached images' windows/amd64 manifests (and, with spec.cache.pinDigests: true, their digests) from the registries: the one render that uses the network")
	f.StringVar(&o.account, "account", "", "AWS account id for the ARNs of resources not created yet (default: the ${AWS_ACCOUNT_ID} placeholder)")
	f.BoolVar(&o.createSNSTopic, "create-sns-topic", false, "add an SNS topic for build notifications to cloudformation.yaml and point the infrastructure configuration at it (not with spec.build.notifications)")
	return cmd
}

func runRender(ctx context.Context, g *Factory, o *renderOptions) error {
	if o.dir == "" && g.Output == FormatTable {
		return Usagef("flag -d/--dir is required: give the directory to write to, or -o yaml to print the effective spec")
	}
	if o.account != "" && !accountRE.MatchString(o.account) {
		return Usagef("flag --account %q: want a 12-digit AWS account id", o.account)
	}
	if o.createSNSTopic && o.dir == "" {
		return Usagef("flag --create-sns-topic writes the topic into cloudformation.yaml: give -d/--dir")
	}
	img, err := loadSpec(g, o.file)
	if err != nil {
		return err
	}
	warnNewKubernetes(g, img)
	if n := img.Spec.Build.Notifications; o.createSNSTopic && n != nil && n.SNSTopicARN != "" {
		return Usagef("flag --create-sns-topic: %s:%d: spec.build.notifications.snsTopicArn already names the topic %s; drop the flag to use it, or remove spec.build.notifications to have the template create one",
			o.file, img.Line("spec.build.notifications.snsTopicArn"), n.SNSTopicARN)
	}
	var files []render.File
	if o.dir != "" {
		if st, err := os.Stat(o.dir); err == nil && !st.IsDir() {
			return Usagef("flag -d/--dir %s: is a file, want a directory", o.dir)
		}
		ro := render.Options{AccountID: o.account, CreateSNSTopic: o.createSNSTopic}
		if o.resolveDigests {
			if len(img.Images()) == 0 {
				return Usagef("flag --resolve-digests: the spec caches no image (spec.cache.images), so there is nothing to resolve")
			}
			clients, err := g.AWS(ctx, "")
			if err != nil {
				return err
			}
			read, err := pipeline.ReadCache(ctx, clients, img, pipeline.Options{Registry: g.Registry(nil)})
			if err != nil {
				return err
			}
			ro.Digests, ro.Platforms = read.Digests, read.Platforms
		}
		r, err := render.Render(img, ro)
		if errs := (spec.Errors)(nil); errors.As(err, &errs) {
			return specError(o.file, err)
		}
		if err != nil {
			return fmt.Errorf("rendering %s: %w", o.file, err)
		}
		for _, w := range r.Warnings {
			g.Warnf("%s", w)
		}
		files, err = r.Files()
		if err != nil {
			return fmt.Errorf("rendering %s: %w", o.file, err)
		}
		paths, err := render.Write(o.dir, files)
		if err != nil {
			return err
		}
		if g.Output != FormatTable {
			for _, p := range paths {
				g.Infof("wrote %s", p)
			}
		} else {
			t := Table{Header: []string{"FILE", "BYTES", "CONTENT"}}
			for i, p := range paths {
				t.Rows = append(t.Rows, []string{p, fmt.Sprint(len(files[i].Data)), describeFile(files[i].Name)})
			}
			return t.Write(g.Stdout)
		}
	}
	// -o json / -o yaml: the effective spec, defaults included.
	if g.Output == FormatYAML {
		b, err := img.YAML()
		if err != nil {
			return fmt.Errorf("encoding the effective spec: %w", err)
		}
		_, err = g.Stdout.Write(b)
		return err
	}
	return g.Print(img, nil)
}

func describeFile(name string) string {
	switch {
	case name == "cloudformation.yaml":
		return "CloudFormation template (Image Builder resources and their IAM roles)"
	case strings.HasPrefix(name, "iam-attach-role-policy-"):
		return "aws iam attach-role-policy --cli-input-json"
	case strings.HasPrefix(name, "iam-"):
		return "aws iam " + strings.TrimSuffix(strings.TrimPrefix(name, "iam-"), ".json") + " --cli-input-json"
	case strings.HasPrefix(name, "create-component-"):
		return "aws imagebuilder create-component --cli-input-json"
	case strings.HasPrefix(name, "create-"):
		return "aws imagebuilder " + strings.TrimSuffix(name, ".json") + " --cli-input-json"
	case strings.HasSuffix(name, ".yaml"):
		return "image-cache component document (AWSTOE)"
	}
	return ""
}
