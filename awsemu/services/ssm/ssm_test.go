package ssm_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/awsemu/world"
)

var ctx = context.Background()

func client(srv *awsemu.Server, region string) *ssm.Client {
	return ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), region))
}

func apiCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v is not an API error", err)
	}
	return ae.ErrorCode()
}

// latestEKS returns the seeded id and release of the newest AMI a public parameter names.
func latestEKS(region, win string, ed string, k8s string) (string, time.Time) {
	rel := seed.EKSReleases(k8s)
	d := rel[len(rel)-1]
	return seed.ImageID(region, world.EKSOptimizedAMIName(win, ed, k8s, d.Format("2006.01.02"))), d
}

func TestGetPublicParameter(t *testing.T) {
	srv := emulatortest.Start(t)
	for _, region := range []string{"us-east-1", "eu-central-1"} {
		name := world.EKSOptimizedParameter("2022", world.Core, "1.33")
		out, err := client(srv, region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
		if err != nil {
			t.Fatalf("GetParameter %s in %s: %v", name, region, err)
		}
		want, released := latestEKS(region, "2022", world.Core, "1.33")
		p := out.Parameter
		if *p.Value != want {
			t.Errorf("%s: value %s, want %s", region, *p.Value, want)
		}
		if p.Type != types.ParameterTypeString || *p.DataType != "text" {
			t.Errorf("%s: type %s data type %s", region, p.Type, *p.DataType)
		}
		if p.Version != int64(len(seed.EKSReleases("1.33"))) {
			t.Errorf("%s: version %d, want %d", region, p.Version, len(seed.EKSReleases("1.33")))
		}
		if wantARN := "arn:aws:ssm:" + region + "::parameter" + name; *p.ARN != wantARN {
			t.Errorf("%s: ARN %s, want %s", region, *p.ARN, wantARN)
		}
		if p.LastModifiedDate == nil || p.LastModifiedDate.Format("2006-01-02") != released.Format("2006-01-02") {
			t.Errorf("%s: last modified %v, want on %s", region, p.LastModifiedDate, released.Format("2006-01-02"))
		}
	}
}

func TestGetParameterErrors(t *testing.T) {
	srv := emulatortest.Start(t)
	c := client(srv, "us-east-1")
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/no/such/parameter")})
	var nf *types.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Fatalf("missing parameter: error %v, want *types.ParameterNotFound", err)
	}

	// 2025 has no AMIs before its first Kubernetes version, so no parameter either.
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/aws/service/ami-windows-latest/Windows_Server-2025-English-Core-EKS_Optimized-1.31/image_id")})
	if !errors.As(err, &nf) {
		t.Fatalf("2025 with 1.31: error %v, want ParameterNotFound", err)
	}

	name := world.EKSOptimizedParameter("2019", world.Full, "1.31")
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name + ":99")})
	var vnf *types.ParameterVersionNotFound
	if !errors.As(err, &vnf) {
		t.Fatalf("version 99: error %v, want *types.ParameterVersionNotFound", err)
	}
}

func TestSelectors(t *testing.T) {
	srv := emulatortest.Start(t)
	c := client(srv, "us-west-2")
	name := world.EKSOptimizedParameter("2019", world.Full, "1.31")
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name + ":1")})
	if err != nil {
		t.Fatal(err)
	}
	first := seed.EKSReleases("1.31")[0]
	want := seed.ImageID("us-west-2", world.EKSOptimizedAMIName("2019", world.Full, "1.31", first.Format("2006.01.02")))
	if *out.Parameter.Value != want || out.Parameter.Version != 1 || aws.ToString(out.Parameter.Selector) != ":1" || *out.Parameter.Name != name {
		t.Errorf("name:1 = %s v%d selector %q name %s, want %s v1 :1 %s", *out.Parameter.Value, out.Parameter.Version,
			aws.ToString(out.Parameter.Selector), *out.Parameter.Name, want, name)
	}
}

func TestByARN(t *testing.T) {
	srv := emulatortest.Start(t)
	c := client(srv, "eu-west-1")
	name := world.EKSOptimizedParameter("2022", world.Core, "1.33")
	byName, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	byARN, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: byName.Parameter.ARN})
	if err != nil || *byARN.Parameter.Value != *byName.Parameter.Value || *byARN.Parameter.Name != name {
		t.Fatalf("by ARN %s: %v %+v", *byName.Parameter.ARN, err, byARN)
	}
	v1, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(*byName.Parameter.ARN + ":1")})
	if err != nil || v1.Parameter.Version != 1 {
		t.Fatalf("by ARN with selector: %v", err)
	}
	h, err := c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: byName.Parameter.ARN})
	if err != nil || len(h.Parameters) != len(seed.EKSReleases("1.33")) {
		t.Fatalf("history by ARN: %v", err)
	}
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("plain"), Value: aws.String("v"), Type: types.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	own := "arn:aws:ssm:eu-west-1:" + awsemu.DefaultAccount + ":parameter/plain"
	if out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(own)}); err != nil || *out.Parameter.Name != "plain" {
		t.Errorf("own parameter by ARN: %v", err)
	}
	for _, bad := range []string{
		"arn:aws:ssm:us-east-1::parameter" + name,                          // another region
		"arn:aws:ssm:eu-west-1:999999999999:parameter/plain",               // another account
		"arn:aws:ssm:eu-west-1:" + awsemu.DefaultAccount + ":parameter/no", // missing
	} {
		if _, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(bad)}); apiCode(t, err) != "ParameterNotFound" {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

func TestRegionsAreSeparate(t *testing.T) {
	srv := emulatortest.Start(t)
	east, west := client(srv, "us-east-1"), client(srv, "us-west-2")
	if _, err := east.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/team/east-only"), Value: aws.String("x"), Type: types.ParameterTypeString}); err != nil {
		t.Fatal(err)
	}
	if _, err := east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/team/east-only")}); err != nil {
		t.Fatalf("reading back in us-east-1: %v", err)
	}
	_, err := west.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/team/east-only")})
	if apiCode(t, err) != "ParameterNotFound" {
		t.Fatalf("us-west-2 sees us-east-1's parameter: %v", err)
	}
	// Seeded values differ per region too (different AMI ids per region, as on AWS).
	name := world.EKSOptimizedParameter("2022", world.Full, "1.34")
	a, err := east.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := west.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if *a.Parameter.Value == *b.Parameter.Value {
		t.Errorf("same AMI id %s in two regions", *a.Parameter.Value)
	}
}

func TestGetParameters(t *testing.T) {
	srv := emulatortest.Start(t)
	c := client(srv, "eu-west-1")
	var names []string
	for _, k := range []string{"1.31", "1.32", "1.33", "1.34", "1.35"} {
		names = append(names, world.EKSOptimizedParameter("2022", world.Core, k))
	}
	names = append(names, "/missing/one", names[0]+":1", names[0]+":42")
	out, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: names})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parameters) != 6 {
		t.Fatalf("%d parameters, want 6", len(out.Parameters))
	}
	if got := strings.Join(out.InvalidParameters, ","); got != "/missing/one,"+names[0]+":42" {
		t.Errorf("InvalidParameters = %s", got)
	}
	for i, p := range out.Parameters[:5] {
		k := []string{"1.31", "1.32", "1.33", "1.34", "1.35"}[i]
		want, _ := latestEKS("eu-west-1", "2022", world.Core, k)
		if *p.Name != names[i] || *p.Value != want {
			t.Errorf("parameter %d: %s=%s, want %s=%s", i, *p.Name, *p.Value, names[i], want)
		}
	}
	if p := out.Parameters[5]; p.Version != 1 || aws.ToString(p.Selector) != ":1" {
		t.Errorf("selector entry: version %d selector %q", p.Version, aws.ToString(p.Selector))
	}

	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf("/p/%d", i)
	}
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: eleven})
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Fatalf("11 names: %v, want ValidationException", err)
	}
	wantMsg := "1 validation error detected: Value '[" + strings.Join(eleven, ", ") + "]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10"
	if ae.ErrorMessage() != wantMsg {
		t.Errorf("message %q, want %q", ae.ErrorMessage(), wantMsg)
	}
}

func TestGetParametersByPath(t *testing.T) {
	srv := emulatortest.Start(t)
	c := client(srv, "ap-southeast-1")

	// Recursive: every EKS-optimized and base parameter of the region.
	var want []string
	for _, w := range world.WindowsVersions() {
		for _, ed := range world.Editions() {
			want = append(want, world.BaseParameter(w, ed))
			for _, k := range world.KubernetesVersions() {
				if world.Supported(w, k) {
					want = append(want, world.EKSOptimizedParameter(w, ed, k))
				}
			}
		}
	}
	sort.Strings(want)
	var got []string
	pages := 0
	p := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{
		Path: aws.String("/aws/service/ami-windows-latest"), Recursive: aws.Bool(true), MaxResults: aws.Int32(7),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parameters) > 7 {
			t.Fatalf("page of %d > MaxResults 7", len(out.Parameters))
		}
		pages++
		for _, prm := range out.Parameters {
			got = append(got, *prm.Name)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("recursive listing:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if wantPages := (len(want) + 6) / 7; pages != wantPages {
		t.Errorf("%d pages, want %d", pages, wantPages)
	}

	// One level: only the base parameters sit directly under the root.
	out, err := c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/aws/service/ami-windows-latest/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Parameters) != 6 || out.NextToken != nil {
		t.Fatalf("one level: %d parameters (token %v), want the 6 base parameters", len(out.Parameters), out.NextToken)
	}
	for _, prm := range out.Parameters {
		if !strings.HasSuffix(*prm.Name, "-Base") {
			t.Errorf("one level returned %s", *prm.Name)
		}
	}

	// Validation.
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/aws"), MaxResults: aws.Int32(11)})
	if apiCode(t, err) != "ValidationException" {
		t.Errorf("MaxResults 11: %v", err)
	}
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/aws"), NextToken: aws.String("garbage")})
	var bad *types.InvalidNextToken
	if !errors.As(err, &bad) {
		t.Errorf("bad token: %v, want InvalidNextToken", err)
	}
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/aws"), ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Name"), Values: []string{"x"}}}})
	var badKey *types.InvalidFilterKey
	if !errors.As(err, &badKey) {
		t.Errorf("Name filter by path: %v, want InvalidFilterKey", err)
	}
	out, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/aws"), Recursive: aws.Bool(true),
		ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Type"), Option: aws.String("Equals"), Values: []string{"SecureString"}}}})
	if err != nil || len(out.Parameters) != 0 {
		t.Errorf("Type=SecureString: %v, %d parameters, want none", err, len(out.Parameters))
	}
}

func TestGetParameterHistory(t *testing.T) {
	srv := emulatortest.Start(t)
	c := client(srv, "us-east-2")
	name := world.EKSOptimizedParameter("2025", world.Core, "1.35")
	rel := seed.EKSReleases("1.35")
	var got []types.ParameterHistory
	p := ssm.NewGetParameterHistoryPaginator(c, &ssm.GetParameterHistoryInput{Name: aws.String(name), MaxResults: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(out.Parameters) > 2 {
			t.Fatalf("page of %d", len(out.Parameters))
		}
		got = append(got, out.Parameters...)
	}
	if len(got) != len(rel) {
		t.Fatalf("%d versions, want %d", len(got), len(rel))
	}
	for i, h := range got {
		want := seed.ImageID("us-east-2", world.EKSOptimizedAMIName("2025", world.Core, "1.35", rel[i].Format("2006.01.02")))
		if h.Version != int64(i+1) || *h.Value != want || h.LastModifiedDate.Format("2006-01-02") != rel[i].Format("2006-01-02") {
			t.Errorf("version %d: v%d %s %v, want v%d %s on %s", i, h.Version, *h.Value, h.LastModifiedDate, i+1, want, rel[i].Format("2006-01-02"))
		}
	}
	_, err := c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String(name), MaxResults: aws.Int32(51)})
	if apiCode(t, err) != "ValidationException" {
		t.Errorf("MaxResults 51: %v", err)
	}
	_, err = c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/nope")})
	var nf *types.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Errorf("missing: %v", err)
	}
}

func TestPutParameter(t *testing.T) {
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	c := client(srv, "us-east-1")
	name := aws.String("/winami/prod/image_id")

	_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v1")})
	if apiCode(t, err) != "ValidationException" {
		t.Errorf("create without type: %v", err)
	}
	out, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v1"), Type: types.ParameterTypeString, Description: aws.String("first")})
	if err != nil || out.Version != 1 || out.Tier != types.ParameterTierStandard {
		t.Fatalf("create: %v %+v", err, out)
	}
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v2"), Type: types.ParameterTypeString})
	var exists *types.ParameterAlreadyExists
	if !errors.As(err, &exists) {
		t.Fatalf("second put without overwrite: %v", err)
	}
	clock.Advance(time.Hour)
	out, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String("v2"), Overwrite: aws.Bool(true)})
	if err != nil || out.Version != 2 {
		t.Fatalf("overwrite: %v %+v", err, out)
	}
	got, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if *got.Parameter.Value != "v2" || got.Parameter.Version != 2 || !got.Parameter.LastModifiedDate.Equal(clock.Now()) {
		t.Errorf("after overwrite: %s v%d at %v (clock %v)", *got.Parameter.Value, got.Parameter.Version, got.Parameter.LastModifiedDate, clock.Now())
	}
	if want := "arn:aws:ssm:us-east-1:" + awsemu.DefaultAccount + ":parameter/winami/prod/image_id"; *got.Parameter.ARN != want {
		t.Errorf("ARN %s, want %s", *got.Parameter.ARN, want)
	}
	h, err := c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: name})
	if err != nil || len(h.Parameters) != 2 || *h.Parameters[0].Value != "v1" || aws.ToString(h.Parameters[1].Description) != "first" {
		t.Errorf("history: %v %+v", err, h)
	}

	for _, tc := range []struct{ name, code string }{
		{"/aws/service/ami-windows-latest/mine", "AccessDeniedException"},
		{"awsmine", "ValidationException"},
		{"/ssm/mine", "ValidationException"},
		{"SSM-thing", "ValidationException"},
		{"no/leading/slash", "ValidationException"},
	} {
		_, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(tc.name), Value: aws.String("x"), Type: types.ParameterTypeString})
		if code := apiCode(t, err); code != tc.code {
			t.Errorf("put %s: %s, want %s", tc.name, code, tc.code)
		}
	}
	_, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/x"), Value: aws.String("x"), Type: types.ParameterTypeString, DataType: aws.String("AWS:EC2:IMAGE")})
	if apiCode(t, err) != "ValidationException" {
		t.Errorf("upper-case data type: %v", err)
	}
}

func TestImageDataType(t *testing.T) {
	srv := emulatortest.Start(t)
	c := client(srv, "us-east-1")
	name := aws.String("/winami/golden")
	ami, _ := latestEKS("us-east-1", "2022", world.Core, "1.34")
	out, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String(ami), Type: types.ParameterTypeString, DataType: aws.String("aws:ec2:image")})
	if err != nil || out.Version != 1 {
		t.Fatalf("put existing AMI: %v", err)
	}
	got, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: name})
	if err != nil || *got.Parameter.Value != ami || *got.Parameter.DataType != "aws:ec2:image" {
		t.Fatalf("read back: %v %+v", err, got)
	}

	// An AMI of another region, and a malformed id: AWS accepts the call and drops the
	// write after its asynchronous validation.
	other, _ := latestEKS("eu-west-1", "2022", world.Core, "1.34")
	for _, bad := range []string{other, "ami-0123456789abcdef0", "not-an-ami"} {
		out, err = c.PutParameter(ctx, &ssm.PutParameterInput{Name: name, Value: aws.String(bad), Overwrite: aws.Bool(true), DataType: aws.String("aws:ec2:image")})
		if err != nil || out.Version != 2 {
			t.Fatalf("put %s: %v %+v, want success with version 2", bad, err, out)
		}
		got, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: name})
		if err != nil || *got.Parameter.Value != ami || got.Parameter.Version != 1 {
			t.Errorf("after putting %s: %v value %s v%d, want the previous %s v1", bad, err, aws.ToString(got.Parameter.Value), got.Parameter.Version, ami)
		}
	}
	// A new parameter whose AMI does not exist is never created.
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/winami/never"), Value: aws.String("ami-0123456789abcdef0"), Type: types.ParameterTypeString, DataType: aws.String("aws:ec2:image")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/winami/never")}); apiCode(t, err) != "ParameterNotFound" {
		t.Errorf("invalid AMI parameter was created: %v", err)
	}
}

func TestStorePutParameter(t *testing.T) {
	srv := emulatortest.Start(t)
	ami, _ := latestEKS("us-west-2", "2019", world.Core, "1.32")
	const role = "arn:aws:sts::123456789012:assumed-role/pipeline-role/EC2ImageBuilder"
	if err := srv.SSM.PutParameter("us-west-2", "/pipeline/out", ami, "aws:ec2:image", role); err != nil {
		t.Fatal(err)
	}
	if err := srv.SSM.PutParameter("us-west-2", "/pipeline/out", "ami-00000000000000000", "aws:ec2:image", role); err == nil {
		t.Error("store accepted an AMI that does not exist")
	}
	c := client(srv, "us-west-2")
	got, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/pipeline/out")})
	if err != nil || *got.Parameter.Value != ami || got.Parameter.Version != 1 {
		t.Fatalf("read back: %v %+v", err, got)
	}
	// The history names who wrote each version: the service's role session, then the caller.
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/pipeline/out"), Value: aws.String(ami), Overwrite: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	h, err := c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/pipeline/out")})
	if err != nil || len(h.Parameters) != 2 {
		t.Fatalf("history: %v %+v", err, h)
	}
	if u := aws.ToString(h.Parameters[0].LastModifiedUser); u != role {
		t.Errorf("version 1 LastModifiedUser %q, want the service's role session %q", u, role)
	}
	if u := aws.ToString(h.Parameters[1].LastModifiedUser); u != srv.CallerARN() {
		t.Errorf("version 2 LastModifiedUser %q, want the caller %q", u, srv.CallerARN())
	}
}

func TestDeleteAndDescribe(t *testing.T) {
	srv := emulatortest.Start(t)
	c := client(srv, "us-east-1")
	for i := 0; i < 3; i++ {
		if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String(fmt.Sprintf("/d/p%d", i)), Value: aws.String("x"), Type: types.ParameterTypeString}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{})
	if err != nil || len(d.Parameters) != 3 {
		t.Fatalf("describe: %v, %d parameters, want 3 (public ones are not listed)", err, len(d.Parameters))
	}
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/d/p1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/d/p1")}); apiCode(t, err) != "ParameterNotFound" {
		t.Errorf("get after delete: %v", err)
	}
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/d/p1")}); apiCode(t, err) != "ParameterNotFound" {
		t.Errorf("second delete: %v", err)
	}
	d, err = c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{{Key: aws.String("Name"), Option: aws.String("BeginsWith"), Values: []string{"/d/p2"}}}})
	if err != nil || len(d.Parameters) != 1 || *d.Parameters[0].Name != "/d/p2" {
		t.Errorf("describe by name: %v %+v", err, d)
	}
	pub := world.EKSOptimizedParameter("2022", world.Core, "1.33")
	if _, err := c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String(pub)}); apiCode(t, err) != "AccessDeniedException" {
		t.Errorf("delete public parameter: %v", err)
	}
}
