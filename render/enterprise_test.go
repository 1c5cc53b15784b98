package render

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/winami/winami/spec"
)

// enterpriseSrc copies the AMI to a second account with the parameter published by the
// distribution (no scanning), encrypted with customer keys.
const enterpriseSrc = base + `  build:
    encryption: {kmsKeyId: "arn:aws:kms:us-west-2:111122223333:alias/ami"}
    logging: {s3BucketName: build-logs-111122223333}
  distribution:
    regions: [us-west-2, us-east-1]
    targetAccountIds: ["444455556666", "210987654321"]
    kmsKeyIds:
      us-east-1: arn:aws:kms:us-east-1:111122223333:alias/ami
    publishParameter: /imagebuilder/tst/image_id
`

// TestEnterpriseRequests: the recipe's root volume is encrypted with the build region's
// key; every region's distribution carries its copy key and the target accounts, and the
// parameter is written in the build account and in each target account; the logs have
// no prefix when the spec gives none; the pipeline does not scan.
func TestEnterpriseRequests(t *testing.T) {
	r, err := Render(loadSrc(t, enterpriseSrc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ebs := r.ImageRecipe.BlockDeviceMappings[0].Ebs
	if !aws.ToBool(ebs.Encrypted) || aws.ToString(ebs.KmsKeyId) != "arn:aws:kms:us-west-2:111122223333:alias/ami" {
		t.Errorf("root volume = encrypted %v key %v", aws.ToBool(ebs.Encrypted), aws.ToString(ebs.KmsKeyId))
	}
	keys := map[string]string{"us-west-2": "", "us-east-1": "arn:aws:kms:us-east-1:111122223333:alias/ami"}
	for _, d := range r.DistributionConfiguration.Distributions {
		a := d.AmiDistributionConfiguration
		if got := aws.ToString(a.KmsKeyId); got != keys[*d.Region] {
			t.Errorf("%s: kmsKeyId %q, want %q", *d.Region, got, keys[*d.Region])
		}
		if strings.Join(a.TargetAccountIds, ",") != "210987654321,444455556666" {
			t.Errorf("%s: targetAccountIds %v", *d.Region, a.TargetAccountIds)
		}
		var got []string
		for _, p := range d.SsmParameterConfigurations {
			got = append(got, aws.ToString(p.AmiAccountId)+"="+aws.ToString(p.ParameterName)+":"+string(p.DataType))
		}
		if want := "=/imagebuilder/tst/image_id:aws:ec2:image 210987654321=/imagebuilder/tst/image_id:aws:ec2:image 444455556666=/imagebuilder/tst/image_id:aws:ec2:image"; strings.Join(got, " ") != want {
			t.Errorf("%s: ssmParameterConfigurations %v, want %s", *d.Region, got, want)
		}
	}
	l := r.InfrastructureConfiguration.Logging
	if l == nil || aws.ToString(l.S3Logs.S3BucketName) != "build-logs-111122223333" || l.S3Logs.S3KeyPrefix != nil {
		t.Errorf("logging = %+v", l)
	}
	if r.InfrastructureConfiguration.SnsTopicArn != nil || r.ImagePipeline.ImageScanningConfiguration != nil {
		t.Error("a topic or scanning the spec does not ask for")
	}

	// Scanning: the pipeline scans and the distribution publishes nothing.
	scanned, err := Render(loadSrc(t, strings.Replace(enterpriseSrc, "    logging:", "    imageScanning: {enabled: true}\n    logging:", 1)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if sc := scanned.ImagePipeline.ImageScanningConfiguration; sc == nil || !aws.ToBool(sc.ImageScanningEnabled) {
		t.Errorf("imageScanningConfiguration = %+v", sc)
	}
	if w := strings.Join(scanned.Warnings, "\n"); !strings.Contains(w, "publishes no parameter") || !strings.Contains(w, "/imagebuilder/tst/image_id") {
		t.Errorf("no warning that only winami build publishes: %q", scanned.Warnings)
	}
	if w := strings.Join(r.Warnings, "\n"); strings.Contains(w, "publishes no parameter") {
		t.Errorf("the warning without scanning: %q", r.Warnings)
	}
	for _, d := range scanned.DistributionConfiguration.Distributions {
		if len(d.SsmParameterConfigurations) != 0 {
			t.Errorf("%s: %d ssmParameterConfigurations with scanning", *d.Region, len(d.SsmParameterConfigurations))
		}
	}
	cfn, err := scanned.CloudFormation().YAML()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Encrypted: true", "KmsKeyId: arn:aws:kms:us-west-2:111122223333:alias/ami", "TargetAccountIds:", "ImageScanningEnabled: true", "S3BucketName: build-logs-111122223333"} {
		if !strings.Contains(string(cfn), want) {
			t.Errorf("the template lacks %q", want)
		}
	}
	cfnPlain, _ := r.CloudFormation().YAML()
	if !strings.Contains(string(cfnPlain), "AmiAccountId: \"210987654321\"") {
		t.Errorf("the template lacks the target account's parameter:\n%s", cfnPlain)
	}
}

// TestRecipeVersionFollowsEncryption: encrypting the root volume, or changing its key,
// is new recipe content, so a new version (components are unchanged).
func TestRecipeVersionFollowsEncryption(t *testing.T) {
	versions := map[string]bool{}
	for _, build := range []string{
		"",
		"  build: {encryption: {encrypted: true}}\n",
		"  build: {encryption: {kmsKeyId: \"arn:aws:kms:us-west-2:111122223333:alias/a\"}}\n",
		"  build: {encryption: {kmsKeyId: \"arn:aws:kms:us-west-2:111122223333:alias/b\"}}\n",
	} {
		r, err := Render(loadSrc(t, base+build), Options{})
		if err != nil {
			t.Fatal(err)
		}
		v := *r.ImageRecipe.SemanticVersion
		if versions[v] {
			t.Errorf("%q: recipe version %s also given to other content", build, v)
		}
		versions[v] = true
		if r.ImageRecipeARN[strings.LastIndex(r.ImageRecipeARN, "/")+1:] != v {
			t.Errorf("recipe ARN %s does not carry version %s", r.ImageRecipeARN, v)
		}
	}
}

// TestCreateSNSTopic: --create-sns-topic adds the topic to the template and the
// infrastructure configuration refers to it; cfn-lint accepts the template; the JSON
// requests are unchanged; a spec that names a topic is refused.
func TestCreateSNSTopic(t *testing.T) {
	img := loadSrc(t, base)
	r, err := Render(img, Options{CreateSNSTopic: true})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Render(img, Options{})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := r.CloudFormation()
	topic, ok := tmpl.Resources["NotificationTopic"]
	if !ok || topic.Type != "AWS::SNS::Topic" {
		t.Fatalf("no AWS::SNS::Topic NotificationTopic: %+v", topic)
	}
	infra := tmpl.Resources["InfrastructureConfiguration"].Properties.(CFNInfrastructure)
	if ref, ok := infra.SnsTopicArn.(Ref); !ok || ref.Ref != "NotificationTopic" {
		t.Errorf("SnsTopicArn = %#v, want {Ref: NotificationTopic}", infra.SnsTopicArn)
	}
	if out, ok := tmpl.Outputs["NotificationTopicArn"]; !ok || out.Value != (Ref{"NotificationTopic"}) {
		t.Errorf("outputs = %+v", tmpl.Outputs)
	}
	if _, ok := plain.CloudFormation().Resources["NotificationTopic"]; ok {
		t.Error("a topic without the option")
	}
	a, _ := CLIInputJSON(r.InfrastructureConfiguration)
	b, _ := CLIInputJSON(plain.InfrastructureConfiguration)
	if string(a) != string(b) {
		t.Errorf("the option changed the infrastructure request:\n%s", a)
	}
	if lint, err := exec.LookPath("cfn-lint"); err == nil {
		files, err := r.Files()
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if _, err := Write(dir, files); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(lint, filepath.Join(dir, "cloudformation.yaml")).CombinedOutput(); err != nil {
			t.Errorf("cfn-lint: %v\n%s", err, out)
		}
	} else {
		t.Error("cfn-lint is not installed (see TestCloudFormationLint)")
	}

	named := loadSrc(t, base+"  build: {notifications: {snsTopicArn: \"arn:aws:sns:us-west-2:111122223333:builds\"}}\n")
	_, err = Render(named, Options{CreateSNSTopic: true})
	var errs spec.Errors
	if !errors.As(err, &errs) || errs[0].Path != "spec.build.notifications.snsTopicArn" || errs[0].Line != 7 {
		t.Errorf("a named topic with CreateSNSTopic: %v", err)
	}
	r, err = Render(named, Options{})
	if err != nil || aws.ToString(r.InfrastructureConfiguration.SnsTopicArn) != "arn:aws:sns:us-west-2:111122223333:builds" {
		t.Errorf("snsTopicArn not rendered: %v", err)
	}
	if got := r.CloudFormation().Resources["InfrastructureConfiguration"].Properties.(CFNInfrastructure).SnsTopicArn; got != "arn:aws:sns:us-west-2:111122223333:builds" {
		t.Errorf("template SnsTopicArn = %#v", got)
	}
}
