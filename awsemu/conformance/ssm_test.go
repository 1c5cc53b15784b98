//go:build conformance

package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/awsemu/world"
)

// TestSSMWithAWSCLI drives every SSM operation awsemu implements with the AWS CLI.
func TestSSMWithAWSCLI(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t)
	ep, region := srv.URL(), "us-east-1"
	k8s := world.LatestKubernetes()
	name := world.EKSOptimizedParameter("2019", world.Core, k8s)
	rel := seed.EKSReleases(k8s)
	latest := seed.ImageID(region, world.EKSOptimizedAMIName("2019", world.Core, k8s, rel[len(rel)-1].Format("2006.01.02")))

	// The seed's own command.
	text, stderr, code := awstest.AWSCLI(t, ep, region, "ssm", "get-parameter", "--name", name, "--query", "Parameter.Value", "--output", "text")
	if code != 0 || strings.TrimSpace(string(text)) != latest {
		t.Fatalf("get-parameter --query Parameter.Value: exit %d %q (%s), want %s", code, text, stderr, latest)
	}

	// …with an AMI that DescribeImages then finds (issue 3's "done when").
	var imgs struct {
		Images []struct{ ImageId, Name, OwnerId, Platform string }
	}
	awstest.CLIJSON(t, ep, region, &imgs, "ec2", "describe-images", "--image-ids", latest)
	if len(imgs.Images) != 1 || imgs.Images[0].Name != world.EKSOptimizedAMIName("2019", world.Core, k8s, rel[len(rel)-1].Format("2006.01.02")) ||
		imgs.Images[0].OwnerId != world.AmazonOwner() || imgs.Images[0].Platform != "windows" {
		t.Errorf("describe-images %s = %+v", latest, imgs.Images)
	}

	var got struct {
		Parameter struct {
			Name, Type, Value, ARN, DataType, Selector string
			Version                                    int
			LastModifiedDate                           float64
		}
	}
	awstest.CLIJSON(t, ep, region, &got, "ssm", "get-parameter", "--name", name+":1", "--with-decryption")
	if got.Parameter.Version != 1 || got.Parameter.Selector != ":1" || got.Parameter.Type != "String" || got.Parameter.DataType != "text" {
		t.Errorf("get-parameter name:1 = %+v", got.Parameter)
	}
	if lm := time.Unix(int64(got.Parameter.LastModifiedDate), 0).UTC(); lm.Format("2006-01-02") != rel[0].Format("2006-01-02") {
		t.Errorf("LastModifiedDate %v, want on %s", lm, rel[0].Format("2006-01-02"))
	}

	var many struct {
		Parameters        []struct{ Name, Value string }
		InvalidParameters []string
	}
	awstest.CLIJSON(t, ep, region, &many, "ssm", "get-parameters", "--names", name, "/not/there")
	if len(many.Parameters) != 1 || many.Parameters[0].Value != latest || len(many.InvalidParameters) != 1 || many.InvalidParameters[0] != "/not/there" {
		t.Errorf("get-parameters = %+v", many)
	}

	// get-parameters-by-path: the CLI follows NextToken itself; --page-size sets MaxResults.
	var byPath struct {
		Parameters []struct{ Name string }
		NextToken  string
	}
	awstest.CLIJSON(t, ep, region, &byPath, "ssm", "get-parameters-by-path", "--path", "/aws/service/ami-windows-latest", "--recursive", "--page-size", "4")
	if want := len(seedNames()); len(byPath.Parameters) != want {
		t.Errorf("get-parameters-by-path --recursive: %d parameters, want %d", len(byPath.Parameters), want)
	}
	awstest.CLIJSON(t, ep, region, &byPath, "ssm", "get-parameters-by-path", "--path", "/aws/service/ami-windows-latest", "--recursive", "--max-results", "4", "--no-paginate")
	if len(byPath.Parameters) != 4 || byPath.NextToken == "" {
		t.Errorf("one page of 4: %d parameters, token %q", len(byPath.Parameters), byPath.NextToken)
	}

	var hist struct {
		Parameters []struct {
			Value   string
			Version int
			Labels  []string
			Tier    string
		}
	}
	awstest.CLIJSON(t, ep, region, &hist, "ssm", "get-parameter-history", "--name", name)
	if len(hist.Parameters) != len(rel) || hist.Parameters[len(rel)-1].Value != latest || hist.Parameters[0].Version != 1 {
		t.Errorf("get-parameter-history = %+v", hist.Parameters)
	}

	var put struct {
		Version int
		Tier    string
	}
	awstest.CLIJSON(t, ep, region, &put, "ssm", "put-parameter", "--name", "/winami/cli/image_id", "--type", "String", "--value", latest, "--data-type", "aws:ec2:image")
	if put.Version != 1 || put.Tier != "Standard" {
		t.Errorf("put-parameter = %+v", put)
	}
	awstest.CLIJSON(t, ep, region, &got, "ssm", "get-parameter", "--name", "/winami/cli/image_id")
	if got.Parameter.Value != latest || got.Parameter.DataType != "aws:ec2:image" {
		t.Errorf("read back aws:ec2:image parameter: %+v", got.Parameter)
	}
	var desc struct {
		Parameters []struct{ Name, DataType string }
	}
	awstest.CLIJSON(t, ep, region, &desc, "ssm", "describe-parameters")
	if len(desc.Parameters) != 1 || desc.Parameters[0].Name != "/winami/cli/image_id" {
		t.Errorf("describe-parameters = %+v", desc)
	}
	awstest.CLIJSON(t, ep, region, nil, "ssm", "delete-parameter", "--name", "/winami/cli/image_id")
	awstest.CLIJSON(t, ep, region, nil, "ssm", "put-parameter", "--name", "/winami/cli/kept", "--type", "String", "--value", "x")

	for _, tc := range []struct {
		code string
		args []string
	}{
		{"ParameterNotFound", []string{"ssm", "get-parameter", "--name", "/winami/cli/image_id"}},
		{"ParameterNotFound", []string{"ssm", "delete-parameter", "--name", "/winami/cli/image_id"}},
		{"ParameterNotFound", []string{"ssm", "get-parameter-history", "--name", "/winami/cli/image_id"}},
		{"ParameterVersionNotFound", []string{"ssm", "get-parameter", "--name", name + ":77"}},
		{"ValidationException", []string{"ssm", "get-parameters", "--names", "/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8", "/9", "/10", "/11"}},
		{"AccessDeniedException", []string{"ssm", "put-parameter", "--name", "/aws/service/mine", "--type", "String", "--value", "x"}},
		{"ValidationException", []string{"ssm", "put-parameter", "--name", "ssm-mine", "--type", "String", "--value", "x"}},
		{"AccessDeniedException", []string{"ssm", "put-parameter", "--name", name, "--type", "String", "--value", "x", "--overwrite"}},
		{"ParameterAlreadyExists", []string{"ssm", "put-parameter", "--name", "/winami/cli/kept", "--type", "String", "--value", "x"}},
		{"InvalidNextToken", []string{"ssm", "get-parameters-by-path", "--path", "/aws", "--starting-token", "bm90LWEtdG9rZW4"}},
		{"UnknownOperationException", []string{"ssm", "list-documents"}},
	} {
		got, msg := awstest.CLIError(t, ep, region, tc.args...)
		if got != tc.code {
			t.Errorf("aws %s: %s (%s), want %s", strings.Join(tc.args, " "), got, msg, tc.code)
		}
	}
	// Throttling comes out as the code the CLI's retryer knows.
	srv.Faults.SetThrottle(1)
	if got, _ := awstest.CLIError(t, ep, region, "ssm", "get-parameter", "--name", name); got != "ThrottlingException" {
		t.Errorf("throttled: %s, want ThrottlingException", got)
	}
}

// seedNames lists the seeded public parameter names of one region.
func seedNames() []string {
	var names []string
	for _, w := range world.WindowsVersions() {
		for _, ed := range world.Editions() {
			names = append(names, world.BaseParameter(w, ed))
			for _, k := range world.KubernetesVersions() {
				if world.Supported(w, k) {
					names = append(names, world.EKSOptimizedParameter(w, ed, k))
				}
			}
		}
	}
	return names
}

func ssmErr(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return "error " + ae.ErrorCode()
	}
	if err != nil {
		return "error " + err.Error()
	}
	return "ok"
}

// ssmScenario runs the same Parameter Store session against one endpoint and records
// what a client observes.
func ssmScenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	c := ssm.NewFromConfig(awstest.SDKConfig(endpoint, "eu-west-1"))
	r := &record{}
	a := aws.String("/winami/conf/a")
	str := types.ParameterTypeString

	put := func(step string, in *ssm.PutParameterInput) {
		out, err := c.PutParameter(ctx, in)
		if err != nil {
			// Messages too: these are worded as AWS words them, in moto and in awsemu.
			var ae smithy.APIError
			errors.As(err, &ae)
			r.add("%s: %s %q", step, ssmErr(err), ae.ErrorMessage())
			return
		}
		r.add("%s: version=%d tier=%s", step, out.Version, out.Tier)
	}
	put("create", &ssm.PutParameterInput{Name: a, Value: aws.String("one"), Type: str, Description: aws.String("first")})
	put("create again", &ssm.PutParameterInput{Name: a, Value: aws.String("uno"), Type: str})
	put("overwrite", &ssm.PutParameterInput{Name: a, Value: aws.String("two"), Overwrite: aws.Bool(true)})
	put("overwrite again", &ssm.PutParameterInput{Name: a, Value: aws.String("three"), Overwrite: aws.Bool(true)})
	put("create without type", &ssm.PutParameterInput{Name: aws.String("/winami/conf/untyped"), Value: aws.String("x")})
	put("reserved /aws path", &ssm.PutParameterInput{Name: aws.String("/aws/mine/x"), Value: aws.String("x"), Type: str})
	put("reserved aws prefix", &ssm.PutParameterInput{Name: aws.String("awsmine"), Value: aws.String("x"), Type: str})
	put("reserved ssm path", &ssm.PutParameterInput{Name: aws.String("/ssm/mine"), Value: aws.String("x"), Type: str})
	put("bad data type", &ssm.PutParameterInput{Name: aws.String("/winami/conf/dt"), Value: aws.String("x"), Type: str, DataType: aws.String("Text")})
	put("b", &ssm.PutParameterInput{Name: aws.String("/winami/conf/b"), Value: aws.String("bee"), Type: str})
	put("c", &ssm.PutParameterInput{Name: aws.String("/winami/conf/c"), Value: aws.String("x,y"), Type: types.ParameterTypeStringList})
	put("deep d", &ssm.PutParameterInput{Name: aws.String("/winami/conf/deep/d"), Value: aws.String("dee"), Type: str})
	put("deep secret", &ssm.PutParameterInput{Name: aws.String("/winami/conf/deep/s"), Value: aws.String("hush"), Type: types.ParameterTypeSecureString})

	get := func(step, name string, decrypt bool) {
		out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
		if err != nil {
			r.add("%s: %s", step, ssmErr(err))
			return
		}
		p := out.Parameter
		fresh := p.LastModifiedDate != nil && time.Since(*p.LastModifiedDate) < 5*time.Minute
		r.add("%s: name=%s value=%s version=%d type=%s dataType=%s arn=%s fresh=%v", step, *p.Name, *p.Value, p.Version, p.Type,
			aws.ToString(p.DataType), aws.ToString(p.ARN), fresh)
		r.add("%s selector: %q", step, aws.ToString(p.Selector))
	}
	get("get", "/winami/conf/a", false)
	get("get version 1", "/winami/conf/a:1", false)
	get("get version 9", "/winami/conf/a:9", false)
	get("get missing", "/winami/conf/missing", false)
	get("get by ARN", "arn:aws:ssm:eu-west-1:"+awsemu.DefaultAccount+":parameter/winami/conf/a", false)
	get("get secret decrypted", "/winami/conf/deep/s", true)
	get("get string list", "/winami/conf/c", false)

	gp, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/winami/conf/a", "/winami/conf/b", "/nope", "/winami/conf/a:2", "/winami/conf/a:7"}})
	if err != nil {
		r.add("get-parameters: %s", ssmErr(err))
	} else {
		var found, selectors []string
		for _, p := range gp.Parameters {
			found = append(found, fmt.Sprintf("%s=%s@%d", *p.Name, *p.Value, p.Version))
			selectors = append(selectors, fmt.Sprintf("%s%s", *p.Name, aws.ToString(p.Selector)))
		}
		r.add("get-parameters: found=%s invalid=%s", sorted(found), sorted(gp.InvalidParameters))
		r.add("get-parameters selectors: %s", sorted(selectors))
	}
	eleven := []string{"/1", "/2", "/3", "/4", "/5", "/6", "/7", "/8", "/9", "/10", "/11"}
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: eleven})
	r.add("get-parameters 11 names: %s", ssmErr(err))

	byPath := func(step string, recursive bool, filters []types.ParameterStringFilter) {
		var names []string
		pages, overfull := 0, false
		p := ssm.NewGetParametersByPathPaginator(c, &ssm.GetParametersByPathInput{
			Path: aws.String("/winami/conf"), Recursive: aws.Bool(recursive), MaxResults: aws.Int32(2), ParameterFilters: filters,
		})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				r.add("%s: %s", step, ssmErr(err))
				return
			}
			pages++
			overfull = overfull || len(out.Parameters) > 2
			for _, prm := range out.Parameters {
				names = append(names, *prm.Name)
			}
		}
		r.add("%s: names=%s overfull=%v", step, sorted(names), overfull)
	}
	byPath("by path one level", false, nil)
	byPath("by path recursive", true, nil)
	byPath("by path StringList", true, []types.ParameterStringFilter{{Key: aws.String("Type"), Option: aws.String("Equals"), Values: []string{"StringList"}}})
	byPath("by path Name filter", true, []types.ParameterStringFilter{{Key: aws.String("Name"), Values: []string{"/winami/conf/b"}}})
	_, err = c.GetParametersByPath(ctx, &ssm.GetParametersByPathInput{Path: aws.String("/winami"), MaxResults: aws.Int32(11)})
	r.add("by path MaxResults 11: %s", ssmErr(err))

	var versions []string
	hp := ssm.NewGetParameterHistoryPaginator(c, &ssm.GetParameterHistoryInput{Name: a, MaxResults: aws.Int32(2)})
	for hp.HasMorePages() {
		out, err := hp.NextPage(ctx)
		if err != nil {
			r.add("history: %s", ssmErr(err))
			break
		}
		for _, h := range out.Parameters {
			versions = append(versions, fmt.Sprintf("%d=%s(%s)", h.Version, *h.Value, aws.ToString(h.Description)))
		}
	}
	r.add("history: %s", strings.Join(versions, " "))
	_, err = c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: a, MaxResults: aws.Int32(51)})
	r.add("history MaxResults 51: %s", ssmErr(err))
	_, err = c.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/winami/none")})
	r.add("history missing: %s", ssmErr(err))

	dp, err := c.DescribeParameters(ctx, &ssm.DescribeParametersInput{ParameterFilters: []types.ParameterStringFilter{
		{Key: aws.String("Name"), Option: aws.String("BeginsWith"), Values: []string{"/winami/conf/deep"}}}})
	if err != nil {
		r.add("describe: %s", ssmErr(err))
	} else {
		var names []string
		for _, p := range dp.Parameters {
			names = append(names, fmt.Sprintf("%s:%s:v%d", *p.Name, p.Type, p.Version))
		}
		r.add("describe: %s", sorted(names))
	}

	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/winami/conf/b")})
	r.add("delete: %s", ssmErr(err))
	get("get deleted", "/winami/conf/b", false)
	_, err = c.DeleteParameter(ctx, &ssm.DeleteParameterInput{Name: aws.String("/winami/conf/b")})
	r.add("delete again: %s", ssmErr(err))
	return r
}

// TestSSMAgainstMoto runs one Parameter Store session against moto_server and awsemu
// and compares what the client observes.
func TestSSMAgainstMoto(t *testing.T) {
	t.Parallel()
	moto := awstest.StartMoto(t)
	srv := emulatortest.Start(t)
	emu := ssmScenario(t, srv.URL())
	mot := ssmScenario(t, moto)
	compareRecords(t, emu, mot, "get version 1 selector", "get-parameters selectors")
}
