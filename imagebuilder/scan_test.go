package imagebuilder_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	ibemu "github.com/winami/winami/awsemu/services/imagebuilder"
	"github.com/winami/winami/imagebuilder"
)

// scanning makes d's pipeline scan its images (spec.build.imageScanning): the
// distribution then publishes nothing and Build publishes after the scan.
func scanning(d *imagebuilder.Desired) *imagebuilder.Desired {
	d.Pipeline.ImageScanningConfiguration = &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(true)}
	d.PublishAfterScan = true
	return d
}

// seedFindings gives every build of the pipeline started afterwards these findings (the
// emulator's control path; awsemu runs no Inspector).
func (e *env) seedFindings(t *testing.T, pipelineARN string, severities ...string) {
	t.Helper()
	var fs []map[string]any
	for i, sev := range severities {
		cve := fmt.Sprintf("CVE-2026-%04d", i+1)
		fs = append(fs, map[string]any{"severity": sev, "title": cve + " - openssl",
			"packageVulnerabilityDetails": map[string]any{"vulnerabilityId": cve, "source": "NVD"}})
	}
	b, err := json.Marshal(ibemu.ScanFindingsSeed{ImagePipelineArn: pipelineARN, Findings: fs})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(e.srv.URL()+awsemu.ControlPrefix+ibemu.ScanFindingsControl, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("seeding findings: %s", resp.Status)
	}
}

// parameterIn returns the parameter's value in region ("" when it does not exist).
func (e *env) parameterIn(t *testing.T, region string) string {
	t.Helper()
	out, err := e.clients.SSM(region).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(parameter)})
	if awsapi.ErrorCode(err) == "ParameterNotFound" {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Parameter.Value)
}

// TestScanGateBlocks: seeded CRITICAL findings and FailOn critical stop the build with a
// *ScanGateError after the image is AVAILABLE: the counts are reported, the AMIs stay and
// the parameter is written in no region. The same findings without FailOn publish.
func TestScanGateBlocks(t *testing.T) {
	ctx := context.Background()
	e, d, p := appliedScanning(t)
	e.seedFindings(t, p.PipelineARN, "CRITICAL", "HIGH", "CRITICAL", "LOW", "LOW", "LOW", "MEDIUM", "INFORMATIONAL", "UNTRIAGED")
	opts := buildOpts()
	opts.FailOn = imagebuilder.FailOnCritical
	res, err := imagebuilder.Build(ctx, e.clients, d, p, opts)
	var ge *imagebuilder.ScanGateError
	if !errors.As(err, &ge) {
		t.Fatalf("build with critical findings and FailOn critical: %v, want a ScanGateError", err)
	}
	if res == nil || res.Scan == nil || res.Scan.Findings == nil {
		t.Fatalf("gated build's result: %+v", res)
	}
	want := imagebuilder.FindingCounts{Critical: 2, High: 1, Medium: 1, Low: 3, Informational: 1, Untriaged: 1, Total: 9}
	if *res.Scan.Findings != want || !res.Scan.Blocked || res.Scan.State != "COMPLETED" || len(res.Scan.Blocking) != 2 {
		t.Errorf("scan %+v (findings %+v), want %+v blocked by 2", res.Scan, res.Scan.Findings, want)
	}
	if len(res.Published) != 0 {
		t.Errorf("gated build published %+v", res.Published)
	}
	for _, r := range []string{region, region2} {
		if v := e.parameterIn(t, r); v != "" {
			t.Errorf("parameter in %s is %s after the gate stopped the build", r, v)
		}
	}
	if len(res.AMIs) != 2 {
		t.Fatalf("AMIs %+v", res.AMIs)
	}
	for _, a := range res.AMIs {
		out, err := e.clients.EC2(a.Region).DescribeImages(ctx, &ec2.DescribeImagesInput{ImageIds: []string{a.ImageID}})
		if err != nil || len(out.Images) != 1 {
			t.Errorf("AMI %s in %s not kept: %v", a.ImageID, a.Region, err)
		}
	}
	msg := err.Error()
	for _, s := range []string{"2 finding(s)", "CRITICAL CVE-2026-0001", "CRITICAL CVE-2026-0003", "kept", "list-image-scan-findings", res.Image, parameter + " was not published"} {
		if !strings.Contains(msg, s) {
			t.Errorf("gate error %q lacks %q", msg, s)
		}
	}

	// Without a level the same findings are counted and the build publishes (by winami).
	opts.FailOn = ""
	res, err = imagebuilder.Build(ctx, e.clients, d, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Scan == nil || res.Scan.Findings == nil || *res.Scan.Findings != want || res.Scan.Blocked {
		t.Errorf("ungated scan %+v", res.Scan)
	}
	if len(res.Published) != 2 {
		t.Fatalf("published %+v", res.Published)
	}
	for i, pub := range res.Published {
		if pub.By != imagebuilder.ByWinami || pub.ImageID != res.AMIs[i].ImageID || e.parameterIn(t, pub.Region) != res.AMIs[i].ImageID {
			t.Errorf("publication %+v, want winami's of %s", pub, res.AMIs[i].ImageID)
		}
	}
}

// TestScanGateBelowLevel: findings below the level publish; FailOn high counts HIGH.
func TestScanGateBelowLevel(t *testing.T) {
	ctx := context.Background()
	e, d, p := appliedScanning(t)
	e.seedFindings(t, p.PipelineARN, "HIGH", "MEDIUM")
	opts := buildOpts()
	opts.FailOn = imagebuilder.FailOnCritical
	res, err := imagebuilder.Build(ctx, e.clients, d, p, opts)
	if err != nil {
		t.Fatalf("HIGH findings with FailOn critical: %v", err)
	}
	if len(res.Published) != 2 || res.Scan.Findings.High != 1 || res.Scan.FailOn != "critical" || res.Scan.Blocked {
		t.Errorf("result %+v scan %+v", res.Published, res.Scan)
	}
	opts.FailOn = imagebuilder.FailOnHigh
	_, err = imagebuilder.Build(ctx, e.clients, d, p, opts)
	var ge *imagebuilder.ScanGateError
	if !errors.As(err, &ge) || len(ge.Scan.Blocking) != 1 || ge.Scan.Blocking[0].Severity != "HIGH" {
		t.Fatalf("HIGH finding with FailOn high: %v", err)
	}
	// The parameter still names the first build's AMI: the gated one was not published.
	if v := e.parameterIn(t, region); v != res.AMIs[0].ImageID {
		t.Errorf("parameter %s after the gated build, want the first build's %s", v, res.AMIs[0].ImageID)
	}
}

// TestScanFindingsPagedAndThrottled: more findings than a page holds are all counted while
// ListImageScanFindings calls are throttled (the SDK's retryer retries them).
func TestScanFindingsPagedAndThrottled(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 25, nil)
	d := scanning(e.publishing(t, desired(t, aspnet)))
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var sevs []string
	for i := 0; i < 60; i++ {
		sevs = append(sevs, []string{"LOW", "MEDIUM", "HIGH"}[i%3])
	}
	e.seedFindings(t, p.PipelineARN, sevs...)
	e.srv.Faults.SetSeed(3)
	e.srv.Faults.SetThrottle(0.5, awsemu.OpKey{Service: "imagebuilder", Operation: "ListImageScanFindings"})
	// And surely the first two calls: the random share may spare three calls.
	throttled := awsemu.FaultError{Throttle: true, Message: "Rate exceeded"}
	e.srv.Faults.FailNext("imagebuilder", "ListImageScanFindings", throttled, throttled)
	res, err := imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
	if err != nil {
		t.Fatal(err)
	}
	if f := res.Scan.Findings; f == nil || f.Total != 60 || f.Low != 20 || f.Medium != 20 || f.High != 20 {
		t.Errorf("counts %+v, want 60: 20 low, 20 medium, 20 high", res.Scan.Findings)
	}
	// 3 pages of at most 25; more calls reached the endpoint: throttled ones were retried.
	if n := e.srv.Faults.Count("imagebuilder", "ListImageScanFindings", ""); n <= 3 {
		t.Errorf("%d ListImageScanFindings calls: no throttled call was retried", n)
	}
}

// TestScanGateConverges: a build interrupted after its image is AVAILABLE, while it waits
// for the scan, published nothing; run again with IfChanged it starts no build, checks
// the scan and publishes the image's AMIs.
func TestScanGateConverges(t *testing.T) {
	ctx := context.Background()
	e, d, p := appliedScanning(t)
	e.seedFindings(t, p.PipelineARN, "MEDIUM")
	killed, kill := context.WithCancel(ctx)
	defer kill()
	var once sync.Once
	opts := buildOpts()
	opts.FailOn = imagebuilder.FailOnHigh
	opts.Logf = func(format string, args ...any) {
		if strings.Contains(fmt.Sprintf(format, args...), "vulnerability scan") {
			once.Do(kill) // Ctrl-C while the scan is checked
		}
	}
	if _, err := imagebuilder.Build(killed, e.clients, d, p, opts); err == nil {
		t.Fatal("interrupted build succeeded")
	}
	for _, r := range []string{region, region2} {
		if v := e.parameterIn(t, r); v != "" {
			t.Fatalf("the interrupted build published %s in %s", v, r)
		}
	}
	e.srv.Faults.ResetCounts()
	opts.Logf = nil
	opts.IfChanged = true
	res, err := imagebuilder.Build(ctx, e.clients, d, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Skipped || e.srv.Faults.Count("imagebuilder", "StartImagePipelineExecution", "") != 0 {
		t.Errorf("re-run started a build: %+v", res)
	}
	if res.Scan == nil || res.Scan.Findings == nil || res.Scan.Findings.Medium != 1 {
		t.Errorf("re-run's scan %+v", res.Scan)
	}
	if len(res.Published) != 2 {
		t.Fatalf("re-run published %+v", res.Published)
	}
	for i, pub := range res.Published {
		if pub.By != imagebuilder.ByWinami || e.parameterIn(t, pub.Region) != res.AMIs[i].ImageID {
			t.Errorf("re-run's publication %+v, want %s by winami", pub, res.AMIs[i].ImageID)
		}
	}
}

// logBucket is an S3 store with one bucket that records the keys written to it.
type logBucket struct {
	name string
	mu   sync.Mutex
	keys []string
}

func (b *logBucket) BucketRegion(name string) (string, bool) { return region, name == b.name }

func (b *logBucket) PutObject(bucket, key string, _ []byte, _ string) error {
	if bucket != b.name {
		return errors.New("NoSuchBucket")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.keys = append(b.keys, key)
	return nil
}

func (b *logBucket) under(prefix string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, k := range b.keys {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	return out
}

// TestBuildFailedS3Logs: a failed build of an infrastructure configuration with
// logging.s3Logs names the S3 location of this build's logs (bucket, prefix, the image's
// name, version and build number), and that is where Image Builder wrote them.
func TestBuildFailedS3Logs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, 1, nil)
	bucket := &logBucket{name: "winami-build-logs-123456789012"}
	e.srv.S3 = bucket
	// The build instance writes its logs as the instance profile's role.
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::winami-build-logs-123456789012/winami/*"}]}`
	if _, err := e.clients.IAM(region).PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("EC2InstanceProfileForImageBuilder"),
		PolicyName: aws.String("logs"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	d := desired(t, aspnet)
	d.Infrastructure.Logging = &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String(bucket.name), S3KeyPrefix: aws.String("winami")}}
	d.Pipeline.Tags = map[string]string{"awsemu:fail-at": "TESTING", "awsemu:fail-reason": "Test step failed"}
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for build := 1; build <= 2; build++ {
		_, err = imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
		var fe *imagebuilder.FailedError
		if !errors.As(err, &fe) {
			t.Fatalf("build: %v, want a FailedError", err)
		}
		want := fmt.Sprintf("s3://%s/winami/t-win2022/1.0.0/%d/", bucket.name, build)
		if !strings.HasSuffix(fe.Image, fmt.Sprintf("/1.0.0/%d", build)) || fe.S3Logs != want || !strings.Contains(fe.Logs, want) ||
			!strings.Contains(fe.Logs, "/aws/imagebuilder/t-win2022") {
			t.Errorf("failed build %d: %+v, want logs at %s", build, fe, want)
		}
		if keys := bucket.under(strings.TrimPrefix(want, "s3://"+bucket.name+"/")); len(keys) == 0 {
			t.Errorf("no log object under %s; written: %v", want, bucket.keys)
		}
	}
}

// appliedScanning applies, in a fresh world, a pipeline that scans its image and publishes
// the parameter (the spec with aspnet cached): the start of the scan gate's tests.
func appliedScanning(t *testing.T) (*env, *imagebuilder.Desired, *imagebuilder.Plan) {
	t.Helper()
	e := newEnv(t, 1, nil)
	d := scanning(e.publishing(t, desired(t, aspnet)))
	p, err := imagebuilder.Apply(context.Background(), e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return e, d, p
}
