package imagebuilder

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
)

func finding(sev, cve string) types.ImageScanFinding {
	f := types.ImageScanFinding{Severity: aws.String(sev), Title: aws.String(cve + " - pkg")}
	if cve != "" {
		f.PackageVulnerabilityDetails = &types.PackageVulnerabilityDetails{VulnerabilityId: aws.String(cve)}
	}
	return f
}

// TestCountFindings: every severity Inspector gives is counted on its own, the total
// counts all, and only findings at or above the level block.
func TestCountFindings(t *testing.T) {
	fs := []types.ImageScanFinding{
		finding("CRITICAL", "CVE-1"), finding("CRITICAL", "CVE-2"), finding("HIGH", "CVE-3"),
		finding("MEDIUM", "CVE-4"), finding("LOW", "CVE-5"), finding("LOW", "CVE-6"), finding("LOW", "CVE-7"),
		finding("INFORMATIONAL", ""), finding("UNTRIAGED", "CVE-9"), finding("SOMETHING-NEW", "CVE-10"),
	}
	c, blocking := countFindings(fs, FailOnCritical)
	want := FindingCounts{Critical: 2, High: 1, Medium: 1, Low: 3, Informational: 1, Untriaged: 1, Total: 10}
	if c != want {
		t.Errorf("counts %+v, want %+v", c, want)
	}
	if len(blocking) != 2 || blocking[0].VulnerabilityID != "CVE-1" || blocking[1].VulnerabilityID != "CVE-2" {
		t.Errorf("critical blocks %+v, want CVE-1 and CVE-2", blocking)
	}
	if _, blocking = countFindings(fs, FailOnHigh); len(blocking) != 3 {
		t.Errorf("high blocks %+v, want the 2 critical and the high", blocking)
	}
	if _, blocking = countFindings(fs, ""); len(blocking) != 0 {
		t.Errorf("no level blocks %+v", blocking)
	}
}

// TestGate: the verdict for each level and scan end.
func TestGate(t *testing.T) {
	highOnly := []types.ImageScanFinding{finding("HIGH", "CVE-3"), finding("LOW", "CVE-5")}
	for _, tt := range []struct {
		name     string
		state    string
		findings []types.ImageScanFinding
		failOn   string
		blocked  bool
		counted  bool
	}{
		{"high finding, fail on critical", "COMPLETED", highOnly, FailOnCritical, false, true},
		{"high finding, fail on high", "COMPLETED", highOnly, FailOnHigh, true, true},
		{"high finding, no level", "COMPLETED", highOnly, "", false, true},
		{"no findings, fail on high", "COMPLETED", nil, FailOnHigh, false, true},
		{"scan failed, fail on critical", "FAILED", nil, FailOnCritical, true, false},
		{"scan abandoned, fail on high", "ABANDONED", nil, FailOnHigh, true, false},
		{"scan timed out, no level", "TIMED_OUT", nil, "", false, false},
		{"no scan state, fail on critical", "", nil, FailOnCritical, true, false},
	} {
		s := &ScanResult{State: tt.state}
		gate(s, tt.findings, tt.failOn)
		if s.Blocked != tt.blocked || (s.Findings != nil) != tt.counted || s.FailOn != tt.failOn {
			t.Errorf("%s: %+v, want blocked %v, counted %v", tt.name, s, tt.blocked, tt.counted)
		}
	}
}

// TestScanGateError: the message names the findings, the command that lists them, that the
// AMIs were kept and that nothing was published.
func TestScanGateError(t *testing.T) {
	s := &ScanResult{State: "COMPLETED"}
	var fs []types.ImageScanFinding
	for i := 0; i < 12; i++ {
		fs = append(fs, finding("CRITICAL", "CVE-2026-"+string(rune('A'+i))))
	}
	gate(s, fs, FailOnCritical)
	image := "arn:aws:imagebuilder:us-east-1:123456789012:image/t/1.0.0/1"
	e := &ScanGateError{Image: image, Region: "us-east-1", Scan: s, Parameter: "/winami/t/image_id",
		AMIs: []AMI{{Region: "us-east-1", ImageID: "ami-1", Account: "123456789012"}, {Region: "us-east-1", ImageID: "ami-2", Account: "210987654321"}}}
	msg := e.Error()
	for _, want := range []string{
		"12 finding(s)", "CRITICAL CVE-2026-A", "and 2 more", "reach --fail-on critical",
		"/winami/t/image_id was not published", "kept", "ami-1 in us-east-1", "ami-2 in us-east-1 (account 210987654321)",
		`aws imagebuilder list-image-scan-findings --region us-east-1 --filters '[{"name":"imageBuildVersionArn","values":["` + image + `"]}]'`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("gate error %q lacks %q", msg, want)
		}
	}
	failed := &ScanGateError{Image: image, Region: "us-east-1", Scan: &ScanResult{State: "FAILED", Reason: "Inspector is not enabled"}}
	failed.Scan.FailOn = FailOnHigh
	if msg := failed.Error(); !strings.Contains(msg, "scan ended FAILED (Inspector is not enabled), so --fail-on high cannot be checked") || !strings.Contains(msg, "nothing was published") {
		t.Errorf("failed-scan gate error: %q", msg)
	}
}

// TestScanned: the image's own configuration decides, then the desired pipeline's.
func TestScanned(t *testing.T) {
	on := &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(true)}
	off := &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(false)}
	d := &Desired{Pipeline: &ib.CreateImagePipelineInput{ImageScanningConfiguration: on}}
	if !scanned(d, nil) || scanned(d, &types.Image{ImageScanningConfiguration: off}) {
		t.Error("scanned: the pipeline's setting, overridden by the image's")
	}
	if !scanned(&Desired{Pipeline: &ib.CreateImagePipelineInput{}, PublishAfterScan: true}, nil) {
		t.Error("scanned: PublishAfterScan without a pipeline setting")
	}
}

// TestS3LogsLocation: the image's own logging settings win over the desired ones, and
// the key is prefix/name/x.y.z/n from the image's ARN.
func TestS3LogsLocation(t *testing.T) {
	d := &Desired{Region: "us-east-1", Recipe: &ib.CreateImageRecipeInput{Name: aws.String("t")},
		Infrastructure: &ib.CreateInfrastructureConfigurationInput{Logging: &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String("desired")}}}}
	img := &types.Image{Arn: aws.String("arn:aws:imagebuilder:us-east-1:123456789012:image/t-win2022/1.0.2/7"),
		InfrastructureConfiguration: &types.InfrastructureConfiguration{Logging: &types.Logging{S3Logs: &types.S3Logs{
			S3BucketName: aws.String("winami-build-logs-123456789012"), S3KeyPrefix: aws.String("/builds/")}}}}
	s3, text := LogsLocation(d, img)
	if s3 != "s3://winami-build-logs-123456789012/builds/t-win2022/1.0.2/7/" {
		t.Errorf("s3 location %q", s3)
	}
	if !strings.Contains(text, s3) || !strings.Contains(text, "/aws/imagebuilder/t-win2022 in us-east-1, stream 1.0.2/7") {
		t.Errorf("logs text %q", text)
	}
	img.InfrastructureConfiguration = nil
	if s3, _ := LogsLocation(d, img); s3 != "s3://desired/t-win2022/1.0.2/7/" {
		t.Errorf("s3 location from the desired settings %q", s3)
	}
	d.Infrastructure.Logging = nil
	if s3, text := LogsLocation(d, img); s3 != "" || strings.Contains(text, "s3://") {
		t.Errorf("no S3 logging: %q %q", s3, text)
	}
}

// TestPrincipalsInTargetAccounts: in a target account the cross-account role is Image
// Builder unless the session is winami's.
func TestPrincipalsInTargetAccounts(t *testing.T) {
	pb := &publisher{d: &Desired{}, target: true}
	if !pb.imageBuilderRole("arn:aws:sts::210987654321:assumed-role/EC2ImageBuilderDistributionCrossAccountRole/imagebuilder-distribution") {
		t.Error("Image Builder's session of the cross-account role not recognized")
	}
	if pb.imageBuilderRole("arn:aws:sts::210987654321:assumed-role/EC2ImageBuilderDistributionCrossAccountRole/" + PublishSession) {
		t.Error("winami's session taken for Image Builder")
	}
	if pb.imageBuilderRole("arn:aws:sts::210987654321:assumed-role/AWSServiceRoleForImageBuilder/x") {
		t.Error("another role taken for Image Builder in a target account")
	}
	if got := TargetRoleARN("us-gov-west-1", "210987654321"); got != "arn:aws-us-gov:iam::210987654321:role/EC2ImageBuilderDistributionCrossAccountRole" {
		t.Errorf("TargetRoleARN: %s", got)
	}
}
