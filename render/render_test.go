package render

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/component"
	"github.com/winami/winami/spec"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func examples(t *testing.T) []string {
	t.Helper()
	paths, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(paths) < 3 {
		t.Fatalf("examples: %v, %v", paths, err)
	}
	more, _ := filepath.Glob("testdata/specs/*.yaml")
	return append(paths, more...)
}

func renderFile(t *testing.T, path string, o Options) (*Resources, []File) {
	t.Helper()
	img, err := spec.Load(path)
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	r, err := Render(img, o)
	if err != nil {
		t.Fatalf("rendering %s: %v", path, err)
	}
	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	return r, files
}

func loadSrc(t *testing.T, src string) *spec.WindowsImage {
	t.Helper()
	img, err := spec.LoadBytes([]byte(src), "winami.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestGolden compares every file rendered from every example with testdata/<example>/.
func TestGolden(t *testing.T) {
	for _, path := range examples(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".yaml")
		_, files := renderFile(t, path, Options{})
		dir := filepath.Join("testdata", name)
		if *update {
			if err := os.RemoveAll(dir); err != nil {
				t.Fatal(err)
			}
			if _, err := Write(dir, files); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, _ := filepath.Glob(filepath.Join(dir, "*"))
		if len(want) != len(files) {
			t.Errorf("%s: rendered %d files, golden has %d (go test ./render -update rewrites it)", name, len(files), len(want))
		}
		for _, f := range files {
			golden, err := os.ReadFile(filepath.Join(dir, f.Name))
			if err != nil {
				t.Errorf("%s: %v (go test ./render -update rewrites the golden files)", name, err)
				continue
			}
			if !bytes.Equal(golden, f.Data) {
				t.Errorf("%s/%s differs from the golden file (go test ./render -update rewrites it):\n%s", name, f.Name, f.Data)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	for _, path := range examples(t) {
		_, a := renderFile(t, path, Options{})
		_, b := renderFile(t, path, Options{})
		if len(a) != len(b) {
			t.Fatalf("%s: %d then %d files", path, len(a), len(b))
		}
		for i := range a {
			if a[i].Name != b[i].Name || !bytes.Equal(a[i].Data, b[i].Data) {
				t.Errorf("%s: %s differs between two renders", path, a[i].Name)
			}
		}
	}
}

// TestAWSCLIAcceptsRequests runs `aws imagebuilder create-… --cli-input-json file://…` (and
// `aws iam …` for the iam-*.json files) on every JSON file against an endpoint nobody
// listens on: botocore validates the parameters against the service model first, so a
// connection error proves they passed.
func TestAWSCLIAcceptsRequests(t *testing.T) {
	const endpoint = "http://127.0.0.1:1"
	for _, path := range examples(t) {
		_, files := renderFile(t, path, Options{})
		dir := t.TempDir()
		if _, err := Write(dir, files); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range files {
			if !strings.HasSuffix(f.Name, ".json") {
				continue
			}
			service, op := "imagebuilder", strings.TrimSuffix(f.Name, ".json")
			if strings.HasPrefix(op, "create-component-") {
				op = "create-component"
			}
			if strings.HasPrefix(op, "iam-") {
				service, op = "iam", strings.TrimPrefix(op, "iam-")
				if strings.HasPrefix(op, "attach-role-policy-") {
					op = "attach-role-policy"
				}
			}
			n++
			file := filepath.Join(dir, f.Name)
			t.Run(filepath.Base(path)+"/"+f.Name, func(t *testing.T) {
				t.Parallel() // each run is a Python start-up: use both cores
				_, stderr, code := awstest.AWSCLI(t, endpoint, "us-east-1", service, op, "--cli-input-json", "file://"+file)
				msg := string(stderr)
				if code == 0 || strings.Contains(msg, "Parameter validation failed") || strings.Contains(msg, "Unknown parameter") || !strings.Contains(msg, "Could not connect to the endpoint URL") {
					t.Errorf("exit %d, want a connection error after parameter validation:\n%s", code, msg)
				}
			})
		}
		if n < 4 {
			t.Errorf("%s: only %d JSON files", path, n)
		}
	}
}

// TestCLIJSONRejectsWhatCLIRejects makes sure the CLI check above can fail.
func TestAWSCLIRejectsBadRequest(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(p, []byte(`{"name":"x","semanticVersion":"1.0.0","platform":"Windows","dataa":"x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, stderr, code := awstest.AWSCLI(t, "http://127.0.0.1:1", "us-east-1", "imagebuilder", "create-component", "--cli-input-json", "file://"+p)
	if code == 0 || !strings.Contains(string(stderr), "Unknown parameter") {
		t.Errorf("the AWS CLI accepted an unknown member: exit %d %s", code, stderr)
	}
}

func TestCloudFormationLint(t *testing.T) {
	lint, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Fatal("cfn-lint is not installed: this test lints every rendered CloudFormation template with it (pip install cfn-lint; it ships with this project's machines)")
	}
	for _, path := range examples(t) {
		_, files := renderFile(t, path, Options{})
		dir := t.TempDir()
		if _, err := Write(dir, files); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(lint, filepath.Join(dir, "cloudformation.yaml")).CombinedOutput()
		if err != nil {
			t.Errorf("%s: cfn-lint: %v\n%s", path, err, out)
		}
	}
}

const base = `apiVersion: winami.io/v1alpha1
kind: WindowsImage
metadata: {name: tst, region: us-west-2}
spec:
  kubernetesVersion: "1.31"
  windows: {version: "2022", edition: Full}
`

func TestParentRoutes(t *testing.T) {
	r, err := Render(loadSrc(t, base), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := *r.ImageRecipe.ParentImage; got != "ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-EKS_Optimized-1.31/image_id" {
		t.Errorf("eks-optimized parent = %s", got)
	}
	if len(r.ManagedComponents) != 1 || !strings.Contains(r.ManagedComponents[0], "component/update-windows/x.x.x") {
		t.Errorf("eks-optimized components = %v", r.ManagedComponents)
	}
	r, _ = Render(loadSrc(t, base+"  parent: {source: windows-base}\n"), Options{})
	if got := *r.ImageRecipe.ParentImage; got != "ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Full-Base" {
		t.Errorf("windows-base parent = %s", got)
	}
	if len(r.ManagedComponents) != 2 || r.ManagedComponents[1] != "arn:aws:imagebuilder:us-west-2:aws:component/eks-optimized-ami-windows/1.31.x" {
		t.Errorf("windows-base components = %v", r.ManagedComponents)
	}
	r, _ = Render(loadSrc(t, base+"  parent: {imageId: ami-0123456789abcdef0}\n"), Options{})
	if got := *r.ImageRecipe.ParentImage; got != "ami-0123456789abcdef0" || len(r.Warnings) != 0 {
		t.Errorf("pinned parent = %s, warnings %v", got, r.Warnings)
	}
	pinned := loadSrc(t, base+"  parent: {releaseDate: 2026-10-15}\n")
	r, _ = Render(pinned, Options{})
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "2026-10-15") {
		t.Errorf("an unresolved pin gave no warning: %v", r.Warnings)
	}
	r, _ = Render(pinned, Options{ParentImage: "ami-0fedcba9876543210"})
	if *r.ImageRecipe.ParentImage != "ami-0fedcba9876543210" || len(r.Warnings) != 0 {
		t.Errorf("resolved pin not used: %s %v", *r.ImageRecipe.ParentImage, r.Warnings)
	}
}

func TestARNsAndAccount(t *testing.T) {
	src := strings.Replace(base, "name: tst,", "name: Prod-Win,", 1) + "  cache: {images: [mcr.microsoft.com/windows/servercore:ltsc2022]}\n"
	r, err := Render(loadSrc(t, src), Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Components[0].ARN; got != "arn:aws:imagebuilder:us-west-2:123456789012:component/prod-win-image-cache/"+*r.Components[0].Input.SemanticVersion {
		t.Errorf("component ARN = %s", got)
	}
	if got := *r.ImageRecipe.Components[1].ComponentArn; got != r.Components[0].ARN {
		t.Errorf("recipe names %s", got)
	}
	p := r.ImagePipeline
	if *p.ImageRecipeArn != "arn:aws:imagebuilder:us-west-2:123456789012:image-recipe/prod-win/"+*r.ImageRecipe.SemanticVersion ||
		*p.InfrastructureConfigurationArn != "arn:aws:imagebuilder:us-west-2:123456789012:infrastructure-configuration/prod-win" ||
		*p.DistributionConfigurationArn != "arn:aws:imagebuilder:us-west-2:123456789012:distribution-configuration/prod-win" {
		t.Errorf("pipeline ARNs: %s %s %s", *p.ImageRecipeArn, *p.InfrastructureConfigurationArn, *p.DistributionConfigurationArn)
	}
	r, _ = Render(loadSrc(t, src), Options{})
	if !strings.Contains(*r.ImagePipeline.ImageRecipeArn, ":"+AccountPlaceholder+":") {
		t.Errorf("offline ARN lacks the placeholder: %s", *r.ImagePipeline.ImageRecipeArn)
	}
}

func TestRootVolume(t *testing.T) {
	three := base + "  cache: {images: [a.io/x:1, a.io/y:1, a.io/z:1]}\n"
	r, _ := Render(loadSrc(t, three), Options{})
	// 50 GiB EKS-optimized parent + ceil(3 × 8 GiB × 1.5) + 20 GiB free.
	if got := *r.ImageRecipe.BlockDeviceMappings[0].Ebs.VolumeSize; got != int32(AutoRootVolume(r.Spec, 3)) || got != 106 {
		t.Errorf("auto root volume = %d, want 106", got)
	}
	r, _ = Render(loadSrc(t, three), Options{RootVolumeGiB: 140})
	if got := *r.ImageRecipe.BlockDeviceMappings[0].Ebs.VolumeSize; got != 140 {
		t.Errorf("measured root volume = %d, want 140", got)
	}
	r, _ = Render(loadSrc(t, three+"  build: {rootVolumeSize: 200}\n"), Options{RootVolumeGiB: 140})
	if got := *r.ImageRecipe.BlockDeviceMappings[0].Ebs.VolumeSize; got != 200 {
		t.Errorf("fixed root volume = %d, want 200", got)
	}
	img := loadSrc(t, base)
	if got := AutoRootVolume(img, 0); got != 70 {
		t.Errorf("AutoRootVolume(eks-optimized, 0) = %d, want 70", got)
	}
	img.Spec.Parent.Source = spec.SourceWindowsBase
	if got := AutoRootVolume(img, 1); got != 30+12+20 {
		t.Errorf("AutoRootVolume(windows-base, 1) = %d, want 62", got)
	}
}

// A recipe holds at most 20 components (render.MaxRecipeComponents): more images than fit
// are refused as a spec error on spec.cache.images, before anything is created.
func TestTooManyImagesForOneRecipe(t *testing.T) {
	_, err := Render(loadSrc(t, manyImagesSpec(400)), Options{})
	var errs spec.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Path != "spec.cache.images" || errs[0].Line == 0 ||
		!strings.Contains(errs[0].Message, "at most 20 components") {
		t.Fatalf("Render of 400 images: %v", err)
	}
}

// manyImagesSpec is the base spec caching n distinct images with long ECR names.
func manyImagesSpec(n int) string {
	var b strings.Builder
	b.WriteString(base + "  cache:\n    images:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "      - 111000111000.dkr.ecr.us-west-2.amazonaws.com/team-%03d/a-service-with-a-long-name:1.%d.0-ltsc2022\n", i, i)
	}
	return b.String()
}

func TestManyImagesSplitIntoComponents(t *testing.T) {
	r, err := Render(loadSrc(t, manyImagesSpec(120)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Components) < 2 {
		t.Fatalf("%d components for 120 images", len(r.Components))
	}
	if got := len(r.ImageRecipe.Components); got != 1+len(r.Components) {
		t.Errorf("recipe has %d components, want %d", got, 1+len(r.Components))
	}
	for i, c := range r.Components {
		if len(*c.Input.Data) > component.MaxDataSize {
			t.Errorf("component %d data is %d characters", i, len(*c.Input.Data))
		}
		if *r.ImageRecipe.Components[1+i].ComponentArn != c.ARN {
			t.Errorf("recipe component %d = %s, want %s", i, *r.ImageRecipe.Components[1+i].ComponentArn, c.ARN)
		}
	}
	cfn, _ := r.CloudFormation().YAML()
	if !strings.Contains(string(cfn), "AmazonEC2ContainerRegistryReadOnly") || !strings.Contains(string(cfn), "ImageCacheComponent2:") {
		t.Error("template lacks the ECR policy or the second component")
	}
}

func TestFastLaunchAndPublish(t *testing.T) {
	src := base + `  distribution:
    regions: [us-west-2]
    fastLaunch: {enabled: true, targetSnapshots: 25, maxParallelLaunches: 8, launchTemplate: {id: lt-0123456789abcdef0, version: "3"}}
    publishParameter: /team/win/ami
    launchPermissions: {organizationArns: ["arn:aws:organizations::111122223333:organization/o-abcdefghij"]}
`
	r, err := Render(loadSrc(t, src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := r.DistributionConfiguration.Distributions[0]
	fl := d.FastLaunchConfigurations[0]
	if !fl.Enabled || *fl.MaxParallelLaunches != 8 || *fl.SnapshotConfiguration.TargetResourceCount != 25 ||
		aws.ToString(fl.LaunchTemplate.LaunchTemplateId) != "lt-0123456789abcdef0" || fl.LaunchTemplate.LaunchTemplateName != nil ||
		*fl.LaunchTemplate.LaunchTemplateVersion != "3" {
		t.Errorf("fast launch = %+v", fl)
	}
	if p := d.SsmParameterConfigurations[0]; *p.ParameterName != "/team/win/ami" || p.DataType != "aws:ec2:image" {
		t.Errorf("ssm parameter = %+v", p)
	}
	if got := d.AmiDistributionConfiguration.LaunchPermission.OrganizationArns; len(got) != 1 {
		t.Errorf("organization ARNs = %v", got)
	}
	// Fast launch off: no configuration at all.
	r, _ = Render(loadSrc(t, base+"  distribution: {fastLaunch: {enabled: false}}\n"), Options{})
	if n := len(r.DistributionConfiguration.Distributions[0].FastLaunchConfigurations); n != 0 {
		t.Errorf("disabled fast launch rendered %d configurations", n)
	}
	cfn, _ := r.CloudFormation().YAML()
	if strings.Contains(string(cfn), "AmazonEC2ContainerRegistryReadOnly") {
		t.Error("ECR policy without ECR images")
	}
}

func TestRenderRefusesInvalidSpec(t *testing.T) {
	img := loadSrc(t, base)
	img.Spec.KubernetesVersion = "v1.31"
	if _, err := Render(img, Options{}); err == nil || !strings.Contains(err.Error(), "spec.kubernetesVersion") {
		t.Errorf("Render of an invalid spec = %v", err)
	}
}

func TestCLIInputJSON(t *testing.T) {
	type inner struct{ LaunchTemplateId *string }
	type in struct {
		SemanticVersion *string
		Enabled         bool
		Count           *int32
		Skip            *string
		Tags            map[string]string
		List            []inner
		hidden          string
	}
	b, err := CLIInputJSON(&in{SemanticVersion: aws.String("1.0.0"), Count: aws.Int32(0), Tags: map[string]string{"b": "2", "a": "1"}, List: []inner{{aws.String("lt-1")}}, hidden: "x"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "count": 0,
  "list": [
    {
      "launchTemplateId": "lt-1"
    }
  ],
  "semanticVersion": "1.0.0",
  "tags": {
    "a": "1",
    "b": "2"
  }
}
`
	if string(b) != want {
		t.Errorf("got\n%s\nwant\n%s", b, want)
	}
}

func TestCacheDisabled(t *testing.T) {
	r, err := Render(loadSrc(t, base+"  cache: {enabled: false, images: [mcr.microsoft.com/windows/servercore:ltsc2022]}\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Components) != 0 || len(r.ImageRecipe.Components) != 1 || r.RootVolumeGiB != AutoRootVolume(r.Spec, 0) {
		t.Errorf("a disabled cache rendered %d components, recipe %d, root %d GiB", len(r.Components), len(r.ImageRecipe.Components), r.RootVolumeGiB)
	}
}

// TestExecutionRole: a parameter outside /imagebuilder/ gets the default execution role,
// rendered as IAM requests, a CloudFormation role and the pipeline's executionRole; under
// /imagebuilder/ (the service-linked role may write there) nothing of it is rendered.
func TestExecutionRole(t *testing.T) {
	src := base + "  distribution:\n    regions: [us-west-2, us-east-1]\n    publishParameter: /team/win/ami\n"
	r, err := Render(loadSrc(t, src), Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(r.ImagePipeline.ExecutionRole); got != "tst-imagebuilder-execution" || r.ExecutionRole == nil {
		t.Fatalf("pipeline executionRole %q, role %+v", got, r.ExecutionRole)
	}
	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]string{}
	var names []string
	for _, f := range files {
		byName[f.Name] = string(f.Data)
		names = append(names, f.Name)
	}
	for _, want := range []string{"iam-create-role.json", "iam-attach-role-policy-EC2ImageBuilderExecutionPolicy.json", "iam-put-role-policy.json"} {
		if _, ok := byName[want]; !ok {
			t.Errorf("no %s in %v", want, names)
		}
	}
	if _, ok := byName["iam-attach-role-policy-EC2FastLaunchFullAccess.json"]; ok {
		t.Error("EC2FastLaunchFullAccess without Fast Launch")
	}
	put := byName["iam-put-role-policy.json"]
	for _, want := range []string{`"RoleName": "tst-imagebuilder-execution"`, `"PolicyName": "winami-publish-parameter"`,
		`arn:aws:ssm:us-west-2:123456789012:parameter/team/win/ami`, `arn:aws:ssm:us-east-1:123456789012:parameter/team/win/ami`, `ec2:DescribeImages`} {
		if !strings.Contains(put, want) {
			t.Errorf("iam-put-role-policy.json lacks %s:\n%s", want, put)
		}
	}
	if !strings.Contains(byName["create-image-pipeline.json"], `"executionRole": "tst-imagebuilder-execution"`) {
		t.Errorf("the pipeline request names no execution role:\n%s", byName["create-image-pipeline.json"])
	}
	cfn := byName["cloudformation.yaml"]
	for _, want := range []string{"ExecutionRole:\n    Properties:", "Service: imagebuilder.amazonaws.com", "RoleName: tst-imagebuilder-execution",
		"arn:${AWS::Partition}:iam::aws:policy/EC2ImageBuilderExecutionPolicy", "arn:${AWS::Partition}:ssm:us-west-2:${AWS::AccountId}:parameter/team/win/ami",
		"      ExecutionRole:\n        Fn::GetAtt:\n        - ExecutionRole\n        - Arn"} {
		if !strings.Contains(cfn, want) {
			t.Errorf("cloudformation.yaml lacks %q", want)
		}
	}

	// Under /imagebuilder/, or when the image is scanned (the distribution writes no
	// parameter: winami build publishes it as the user), no execution role is rendered.
	for what, s := range map[string]string{
		"under /imagebuilder/": strings.Replace(src, "/team/win/ami", "/imagebuilder/team/win", 1),
		"scanned":              strings.Replace(src, "  distribution:\n", "  build:\n    imageScanning: {enabled: true}\n  distribution:\n", 1),
	} {
		r, err = Render(loadSrc(t, s), Options{})
		if err != nil {
			t.Fatal(err)
		}
		files, _ = r.Files()
		for _, f := range files {
			if strings.HasPrefix(f.Name, "iam-") || strings.Contains(string(f.Data), "xecutionRole") {
				t.Errorf("%s: %s mentions an execution role", what, f.Name)
			}
		}
	}
}

// TestScannedExplicitExecutionRole: a scanned image whose spec names an execution role
// keeps it (created with EC2ImageBuilderExecutionPolicy, which is what Image Builder needs
// to run the pipeline), but the role gets no ssm:PutParameter: its distribution writes no
// parameter, so there is no iam-put-role-policy.json and the template's role has no
// inline policy.
func TestScannedExplicitExecutionRole(t *testing.T) {
	src := base + "  build:\n    executionRole: team-ib-exec\n    imageScanning: {enabled: true}\n  distribution:\n    regions: [us-west-2, us-east-1]\n    publishParameter: /team/win/ami\n"
	r, err := Render(loadSrc(t, src), Options{AccountID: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(r.ImagePipeline.ExecutionRole); got != "team-ib-exec" || r.ExecutionRole == nil || r.ExecutionRole.PutRolePolicy != nil {
		t.Fatalf("pipeline executionRole %q, role %+v", got, r.ExecutionRole)
	}
	files, err := r.Files()
	if err != nil {
		t.Fatal(err)
	}
	var iamFiles []string
	cfn := ""
	for _, f := range files {
		if strings.HasPrefix(f.Name, "iam-") {
			iamFiles = append(iamFiles, f.Name)
		}
		if f.Name == "cloudformation.yaml" {
			cfn = string(f.Data)
		}
		if strings.Contains(string(f.Data), "ssm:PutParameter") || strings.Contains(string(f.Data), "winami-publish-parameter") {
			t.Errorf("%s grants ssm:PutParameter", f.Name)
		}
	}
	if strings.Join(iamFiles, " ") != "iam-create-role.json iam-attach-role-policy-EC2ImageBuilderExecutionPolicy.json" {
		t.Errorf("iam files %v", iamFiles)
	}
	if !strings.Contains(cfn, "RoleName: team-ib-exec") || strings.Contains(cfn, "      Policies:") {
		t.Errorf("cloudformation.yaml's execution role:\n%s", cfn)
	}
}

// semverOK tells whether v is major.minor.patch with each node in 0..2^30-1, as Image
// Builder accepts ("Semantic versioning in Image Builder").
func semverOK(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		var n int64
		if _, err := fmt.Sscanf(p, "%d", &n); err != nil || fmt.Sprint(n) != p || n < 0 || n > 1<<30-1 {
			return false
		}
	}
	return true
}

// TestVersionsFollowContent: components and recipes are immutable, so a stack update
// needs new versions for new content. Two specs that differ only in the cache give
// different component and recipe versions (in the CLI requests and the template); a
// recipe's version follows its component's; a change of parent alone changes the recipe
// only; the same spec gives the same versions; every version is one Image Builder accepts.
func TestVersionsFollowContent(t *testing.T) {
	v1 := base + "  cache: {images: [mcr.microsoft.com/windows/servercore:ltsc2022]}\n"
	v2 := base + "  cache: {images: [mcr.microsoft.com/windows/servercore:ltsc2022-amd64]}\n"
	render := func(src string) (*Resources, string) {
		t.Helper()
		r, err := Render(loadSrc(t, src), Options{})
		if err != nil {
			t.Fatal(err)
		}
		cfn, err := r.CloudFormation().YAML()
		if err != nil {
			t.Fatal(err)
		}
		return r, string(cfn)
	}
	a, cfnA := render(v1)
	b, cfnB := render(v2)
	again, cfnAgain := render(v1)
	ca, cb := *a.Components[0].Input.SemanticVersion, *b.Components[0].Input.SemanticVersion
	ra, rb := *a.ImageRecipe.SemanticVersion, *b.ImageRecipe.SemanticVersion
	for _, v := range []string{ca, cb, ra, rb} {
		if !semverOK(v) {
			t.Errorf("version %q is not major.minor.patch with nodes 0..1073741823", v)
		}
	}
	if ca == cb || ra == rb {
		t.Errorf("a different cache kept the versions: component %s → %s, recipe %s → %s", ca, cb, ra, rb)
	}
	if !strings.HasSuffix(*a.ImageRecipe.Components[1].ComponentArn, "/"+ca) || !strings.HasSuffix(*b.ImageRecipe.Components[1].ComponentArn, "/"+cb) {
		t.Errorf("the recipe does not name its component's version: %s, %s", *a.ImageRecipe.Components[1].ComponentArn, *b.ImageRecipe.Components[1].ComponentArn)
	}
	for _, x := range []struct{ cfn, component, recipe string }{{cfnA, ca, ra}, {cfnB, cb, rb}} {
		if !strings.Contains(x.cfn, "Version: "+x.component+"\n") || !strings.Contains(x.cfn, "Version: "+x.recipe+"\n") {
			t.Errorf("the template does not carry the versions %s and %s", x.component, x.recipe)
		}
	}
	if *again.Components[0].Input.SemanticVersion != ca || *again.ImageRecipe.SemanticVersion != ra || cfnAgain != cfnA {
		t.Error("the same spec rendered twice gave other versions or another template")
	}
	// The parent alone: the same component, a new recipe.
	c, _ := render(strings.Replace(v1, `edition: Full}`, `edition: Full}`+"\n  parent: {imageId: ami-0123456789abcdef0}", 1))
	if *c.Components[0].Input.SemanticVersion != ca || *c.ImageRecipe.SemanticVersion == ra {
		t.Errorf("a new parent: component %s (was %s), recipe %s (was %s)", *c.Components[0].Input.SemanticVersion, ca, *c.ImageRecipe.SemanticVersion, ra)
	}
	// Options override the content versions (winami apply counts from 1.0.0).
	d, err := Render(loadSrc(t, v1), Options{ComponentVersion: DefaultVersion, RecipeVersion: DefaultVersion})
	if err != nil || *d.Components[0].Input.SemanticVersion != "1.0.0" || *d.ImageRecipe.SemanticVersion != "1.0.0" {
		t.Errorf("Options versions not used: %v", err)
	}
	if got := ContentVersion(strings.Repeat("f", 32)); got != "1.1073741823.1073741823" || !semverOK(got) {
		t.Errorf("ContentVersion(fff…) = %s", got)
	}
	if got := ContentVersion(strings.Repeat("0", 32)); got != "1.0.0" {
		t.Errorf("ContentVersion(000…) = %s", got)
	}
}

// TestGoldenPlatforms: with the platform manifests apply reads (Options.Platforms), the
// component pulls each image by its windows/amd64 manifest digest, with a step timeout
// from its size, and rendering warns of nothing; offline it says which images are pulled
// as given.
func TestGoldenPlatforms(t *testing.T) {
	const path = "../examples/win2022-core-cached-fastlaunch.yaml"
	offline, _ := renderFile(t, path, Options{})
	var warned bool
	for _, w := range offline.Warnings {
		warned = warned || strings.Contains(w, "2 cached image(s) are pulled by tag or digest as given") && strings.Contains(w, "Windows Server 2022")
	}
	if !warned {
		t.Errorf("offline render does not say the images are pulled as given: %q", offline.Warnings)
	}
	platforms := map[string]Platform{
		"mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022": {Digest: "sha256:" + strings.Repeat("1", 64), CompressedBytes: 2_400_000_000},
		"111000111000.dkr.ecr.us-east-1.amazonaws.com/myapp:1.4.2":                 {Digest: "sha256:" + strings.Repeat("2", 64), CompressedBytes: 180_000_000},
	}
	r, files := renderFile(t, path, Options{Platforms: platforms})
	for _, w := range r.Warnings {
		if strings.Contains(w, "pulled by tag or digest as given") {
			t.Errorf("warning with every platform known: %s", w)
		}
	}
	dir := filepath.Join("testdata", "win2022-core-cached-fastlaunch-platforms")
	n := 0
	for _, f := range files {
		if !strings.HasSuffix(f.Name, "-image-cache.yaml") {
			continue
		}
		n++
		for ref, p := range platforms {
			if !strings.Contains(string(f.Data), "@"+p.Digest+"' ") {
				t.Errorf("%s does not pull %s by %s", f.Name, ref, p.Digest)
			}
		}
		golden(t, filepath.Join(dir, f.Name), f.Data)
	}
	if n != 1 {
		t.Fatalf("%d component documents, want 1", n)
	}
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./render -update writes it)", err)
	}
	if !bytes.Equal(want, got) {
		t.Errorf("%s differs from the golden file (go test ./render -update rewrites it):\n%s", path, got)
	}
}

// TestImageTestsEnabled: the component's test phase runs only when the pipeline runs
// image tests.
func TestImageTestsEnabled(t *testing.T) {
	r, _ := renderFile(t, "../examples/win2022-core-cached-fastlaunch.yaml", Options{})
	if tc := r.ImagePipeline.ImageTestsConfiguration; tc == nil || tc.ImageTestsEnabled == nil || !*tc.ImageTestsEnabled {
		t.Fatalf("image tests disabled: %+v", tc)
	}
	if !strings.Contains(*r.Components[0].Input.Data, "- name: test\n") {
		t.Error("the component has no test phase")
	}
}
