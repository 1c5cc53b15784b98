package imagebuilder_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/imagebuilder"
	"github.com/winami/winami/spec"
)

// targetAcct is the sandbox's second account, the one the AMI is copied into.
const targetAcct = emulator.SandboxPeerAccount

// newTargetEnv is newEnv with a second account served by the same endpoint, in which the
// role spec.CrossAccountRoleName trusts the build account: with the managed policy Image
// Builder's copies need, and what winami adds to publish the parameter there.
func newTargetEnv(t *testing.T) (*env, aws.Config) {
	t.Helper()
	srv := emulatortest.Start(t, emulator.WithClock(awsemu.RealClock{Scale: 6000, Start: time.Now()}), emulator.WithPeerAccounts(targetAcct))
	e := &env{srv: srv, clients: awsapi.FromConfig(awstest.SDKConfig(srv.URL(), region))}
	tcfg := awstest.SDKConfigAs(srv.URL(), region, awsemu.AccessKeyFor(targetAcct), "secret", "")
	ctx := context.Background()
	c := iam.NewFromConfig(tcfg)
	role := aws.String(spec.CrossAccountRoleName)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + srv.Account + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: role, AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: role,
		PolicyArn: aws.String("arn:aws:iam::aws:policy/Ec2ImageBuilderCrossAccountDistributionAccess")}); err != nil {
		t.Fatal(err)
	}
	var params []string
	for _, r := range []string{region, region2} {
		params = append(params, "arn:aws:ssm:"+r+":"+targetAcct+":parameter"+parameter)
	}
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["ssm:PutParameter","ssm:GetParameter","ssm:GetParameterHistory"],"Resource":["` +
		strings.Join(params, `","`) + `"]}]}`
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String("winami-publish"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
	return e, tcfg
}

// toTarget copies d's AMIs into the target account in every region (without Fast Launch:
// Image Builder does not distribute AMIs with Fast Launch to other accounts) and publishes
// the parameter there too.
func toTarget(d *imagebuilder.Desired) *imagebuilder.Desired {
	for i := range d.Distribution.Distributions {
		dist := &d.Distribution.Distributions[i]
		dist.FastLaunchConfigurations = nil
		dist.AmiDistributionConfiguration.TargetAccountIds = []string{targetAcct}
	}
	d.PublishAccounts = []string{targetAcct}
	return d
}

func targetParameter(t *testing.T, cfg aws.Config, r string) string {
	t.Helper()
	cfg.Region = r
	out, err := ssm.NewFromConfig(cfg).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(parameter)})
	if awsapi.ErrorCode(err) == "ParameterNotFound" {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Parameter.Value)
}

// TestScanGateTargetAccounts: a scanned build whose findings reach FailOn publishes in no
// account; one that passes publishes in the build account's regions and, as the target
// account's cross-account role (session winami-publish), in the target account's.
func TestScanGateTargetAccounts(t *testing.T) {
	ctx := context.Background()
	e, tcfg := newTargetEnv(t)
	d := scanning(toTarget(e.publishing(t, desired(t, aspnet))))
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e.seedFindings(t, p.PipelineARN, "CRITICAL")
	opts := buildOpts()
	opts.FailOn = imagebuilder.FailOnCritical
	res, err := imagebuilder.Build(ctx, e.clients, d, p, opts)
	var ge *imagebuilder.ScanGateError
	if !errors.As(err, &ge) {
		t.Fatalf("build: %v, want a ScanGateError", err)
	}
	if len(res.AMIs) != 4 || res.AMIs[2].Account != targetAcct || res.AMIs[3].Account != targetAcct {
		t.Fatalf("AMIs %+v, want 2 of the build account then 2 of %s", res.AMIs, targetAcct)
	}
	for _, r := range []string{region, region2} {
		if v := targetParameter(t, tcfg, r); v != "" || e.parameterIn(t, r) != "" {
			t.Errorf("a parameter was written in %s after the gate stopped the build (targetAcct: %q)", r, v)
		}
	}
	if !strings.Contains(err.Error(), "(account "+targetAcct+")") {
		t.Errorf("gate error does not name the targetAcct account's kept AMIs: %v", err)
	}

	e.seedFindings(t, p.PipelineARN, "LOW")
	res, err = imagebuilder.Build(ctx, e.clients, d, p, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Published) != 4 {
		t.Fatalf("published %+v, want 2 regions × 2 accounts", res.Published)
	}
	for i, pub := range res.Published {
		a := res.AMIs[i]
		if pub.Account != a.Account || pub.Region != a.Region || pub.ImageID != a.ImageID || pub.By != imagebuilder.ByWinami {
			t.Errorf("publication %+v, want winami's of %+v", pub, a)
		}
		if a.Account == targetAcct {
			if !strings.HasSuffix(pub.ModifiedBy, ":assumed-role/"+spec.CrossAccountRoleName+"/"+imagebuilder.PublishSession) {
				t.Errorf("targetAcct publication written by %s, want the cross-account role's session %s", pub.ModifiedBy, imagebuilder.PublishSession)
			}
			if v := targetParameter(t, tcfg, a.Region); v != a.ImageID {
				t.Errorf("targetAcct parameter in %s is %s, want %s", a.Region, v, a.ImageID)
			}
		}
	}
}

// TestTargetAccountsWithoutScan: without scanning Image Builder writes the target accounts'
// parameters (amiAccountId); the build reads them there as the cross-account role and says
// Image Builder wrote them.
func TestTargetAccountsWithoutScan(t *testing.T) {
	ctx := context.Background()
	e, tcfg := newTargetEnv(t)
	d := toTarget(e.publishing(t, desired(t, aspnet)))
	p, err := imagebuilder.Apply(ctx, e.clients, d, imagebuilder.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := imagebuilder.Build(ctx, e.clients, d, p, buildOpts())
	if err != nil {
		t.Fatal(err)
	}
	if res.Scan != nil || len(res.Published) != 4 {
		t.Fatalf("scan %+v, published %+v", res.Scan, res.Published)
	}
	for i, pub := range res.Published[2:] {
		a := res.AMIs[2+i]
		if pub.Account != targetAcct || pub.By != imagebuilder.ByImageBuilder || pub.ImageID != a.ImageID || targetParameter(t, tcfg, a.Region) != a.ImageID {
			t.Errorf("targetAcct publication %+v, want Image Builder's of %s", pub, a.ImageID)
		}
	}
}
