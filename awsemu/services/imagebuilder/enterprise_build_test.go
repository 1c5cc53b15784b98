package imagebuilder_test

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/services/imagebuilder"
)

// The tests in this file run encrypted, cross-account, logged builds against the whole
// emulator (EC2, SSM, IAM and STS real; a second account 210987654321), with KMS and S3
// stores of their own (their services are the emuworld helper's; these fakes keep the
// rules of Image Builder testable on their own).

// fakeKMS holds keys by "<region>/<id, key ARN, alias name or alias ARN>".
type fakeKMS struct {
	mu   sync.Mutex
	keys map[string]awsemu.KMSKey
	// deny refuses every action of a principal with that reason.
	deny map[string]string
	// seen records "<principal> <action> <key ARN> via=<kms:ViaService>".
	seen []string
}

func newFakeKMS(account string, regions ...string) *fakeKMS {
	f := &fakeKMS{keys: map[string]awsemu.KMSKey{}, deny: map[string]string{}}
	for i, r := range regions {
		id := fmt.Sprintf("1234abcd-12ab-34cd-56ef-%012d", i+1)
		k := awsemu.KMSKey{ARN: "arn:aws:kms:" + r + ":" + account + ":key/" + id, ID: id, Account: account, Region: r, State: "Enabled"}
		for _, name := range []string{k.ARN, id, "alias/winami-ami", "arn:aws:kms:" + r + ":" + account + ":alias/winami-ami"} {
			f.keys[r+"/"+name] = k
		}
	}
	return f
}

func (f *fakeKMS) Key(region, id string) (awsemu.KMSKey, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[region+"/"+id]
	return k, ok
}

func (f *fakeKMS) Authorize(k awsemu.KMSKey, principal, action string) (bool, string) {
	return f.AuthorizeContext(k, principal, action, nil)
}

func (f *fakeKMS) AuthorizeContext(k awsemu.KMSKey, principal, action string, ctx map[string][]string) (bool, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seen = append(f.seen, fmt.Sprintf("%s %s %s via=%v", principal, action, k.ARN, ctx["kms:ViaService"]))
	if r, ok := f.deny[principal]; ok {
		return false, r
	}
	return true, ""
}

func (f *fakeKMS) setState(region, id, state string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for name, k := range f.keys {
		if strings.HasPrefix(name, region+"/") && k.ID == id {
			k.State = state
			f.keys[name] = k
		}
	}
}

// fakeS3 holds buckets (name → region) and the objects written, with who wrote them.
type fakeS3 struct {
	mu      sync.Mutex
	buckets map[string]string
	objects map[string]string // bucket/key → principal
}

func (f *fakeS3) BucketRegion(b string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.buckets[b]
	return r, ok
}

func (f *fakeS3) PutObject(bucket, key string, body []byte, principal string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.buckets[bucket]; !ok {
		return fmt.Errorf("NoSuchBucket: The specified bucket does not exist")
	}
	if len(body) == 0 {
		return fmt.Errorf("empty body for %s", key)
	}
	f.objects[bucket+"/"+key] = principal
	return nil
}

func (f *fakeS3) keys(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

type eworld struct {
	*rworld
	kms, targetKMS *fakeKMS
	s3             *fakeS3
	targetCfg      aws.Config
}

func newEWorld(t *testing.T) *eworld {
	t.Helper()
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulator.New(emulator.WithClock(clock), emulator.WithPeerAccounts(target, "333344445555"))
	e := &eworld{kms: newFakeKMS(awsemu.DefaultAccount, "us-east-1", "us-west-2"), targetKMS: newFakeKMS(target, "us-east-1", "us-west-2"),
		s3: &fakeS3{buckets: map[string]string{"winami-build-logs-123456789012": "us-east-1"}, objects: map[string]string{}}}
	srv.KMS, srv.S3 = e.kms, e.s3
	peer, _ := srv.Peer(target)
	peer.KMS = e.targetKMS
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	w := &rworld{srv: srv, clock: clock, ib: ib.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg), cfg: cfg}
	imgs, err := w.ec2("us-east-1").DescribeImages(ctx, &sdkec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"Windows_Server-2022-English-Core-EKS_Optimized-*"}}}})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("no seeded parent image: %v", err)
	}
	w.parent = aws.ToString(imgs.Images[0].ImageId)
	w.component = createComponent(t, w.ib, "cache", "1.0.0", "ew-comp")
	e.rworld = w
	e.targetCfg = awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(target), "secret", "")
	return e
}

// targetRole creates EC2ImageBuilderDistributionCrossAccountRole in account acct trusting
// trusted (an account id), with the managed policy and, when params, ssm:PutParameter on them.
func (e *eworld) targetRole(t *testing.T, acct, trusted string, params ...string) {
	t.Helper()
	cfg := awstest.SDKConfigAs(e.srv.URL(), "us-east-1", awsemu.AccessKeyFor(acct), "secret", "")
	c := iam.NewFromConfig(cfg)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + trusted + `:root"},"Action":"sts:AssumeRole"}]}`
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(imagebuilder.CrossAccountRole), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(imagebuilder.CrossAccountRole),
		PolicyArn: aws.String("arn:aws:iam::aws:policy/Ec2ImageBuilderCrossAccountDistributionAccess")}); err != nil {
		t.Fatal(err)
	}
	if len(params) > 0 {
		doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:PutParameter","Resource":["` + strings.Join(params, `","`) + `"]}]}`
		if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(imagebuilder.CrossAccountRole), PolicyName: aws.String("publish"),
			PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
}

// allowLogs lets the build instance's role write under bucket/prefix.
func (e *eworld) allowLogs(t *testing.T, resource string) {
	t.Helper()
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"` + resource + `"}]}`
	if _, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("EC2InstanceProfileForImageBuilder"),
		PolicyName: aws.String("logs"), PolicyDocument: aws.String(doc)}); err != nil {
		t.Fatal(err)
	}
}

// ebuild is one pipeline's settings.
type ebuild struct {
	ebs     *types.EbsInstanceBlockDeviceSpecification
	logging *types.Logging
	dists   []types.Distribution
}

func (e *eworld) pipeline(t *testing.T, b ebuild) string {
	t.Helper()
	e.n++
	name := fmt.Sprintf("ent-%d", e.n)
	in := &ib.CreateImageRecipeInput{Name: aws.String(name), SemanticVersion: aws.String("1.0.0"),
		ParentImage: aws.String(e.parent), Components: []types.ComponentConfiguration{{ComponentArn: aws.String(e.component)}},
		ClientToken: aws.String(name + "-r")}
	if b.ebs != nil {
		in.BlockDeviceMappings = []types.InstanceBlockDeviceMapping{{DeviceName: aws.String("/dev/sda1"), Ebs: b.ebs}}
	}
	r, err := e.ib.CreateImageRecipe(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	i, err := e.ib.CreateInfrastructureConfiguration(ctx, &ib.CreateInfrastructureConfigurationInput{Name: aws.String(name),
		InstanceProfileName: aws.String("EC2InstanceProfileForImageBuilder"), InstanceTypes: []string{"m6i.2xlarge"},
		Logging: b.logging, ClientToken: aws.String(name + "-i")})
	if err != nil {
		t.Fatal(err)
	}
	p := &ib.CreateImagePipelineInput{Name: aws.String(name), ImageRecipeArn: r.ImageRecipeArn,
		InfrastructureConfigurationArn: i.InfrastructureConfigurationArn, ClientToken: aws.String(name + "-p"),
		ImageTestsConfiguration: &types.ImageTestsConfiguration{ImageTestsEnabled: aws.Bool(false)}}
	if len(b.dists) > 0 {
		d, err := e.ib.CreateDistributionConfiguration(ctx, &ib.CreateDistributionConfigurationInput{Name: aws.String(name),
			Distributions: b.dists, ClientToken: aws.String(name + "-d")})
		if err != nil {
			t.Fatal(err)
		}
		p.DistributionConfigurationArn = d.DistributionConfigurationArn
	}
	out, err := e.ib.CreateImagePipeline(ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ImagePipelineArn)
}

func encrypted(key string) *types.EbsInstanceBlockDeviceSpecification {
	s := &types.EbsInstanceBlockDeviceSpecification{Encrypted: aws.Bool(true), VolumeSize: aws.Int32(120)}
	if key != "" {
		s.KmsKeyId = aws.String(key)
	}
	return s
}

// edist is a Region's distribution to the target account with a parameter for each account.
func edist(region, key string, targets ...string) types.Distribution {
	d := types.Distribution{Region: aws.String(region), AmiDistributionConfiguration: &types.AmiDistributionConfiguration{
		Name: aws.String("ent-{{imagebuilder:buildDate}}"), AmiTags: map[string]string{"team": "win"}}}
	if key != "" {
		d.AmiDistributionConfiguration.KmsKeyId = aws.String(key)
	}
	d.SsmParameterConfigurations = []types.SsmParameterConfiguration{{ParameterName: aws.String("/imagebuilder/ent/image_id")}}
	if len(targets) > 0 {
		d.AmiDistributionConfiguration.TargetAccountIds = targets
		for _, a := range targets {
			d.SsmParameterConfigurations = append(d.SsmParameterConfigurations,
				types.SsmParameterConfiguration{ParameterName: aws.String("/winami/ent/image_id"), AmiAccountId: aws.String(a)})
		}
	}
	return d
}

func (e *eworld) snapshot(t *testing.T, cfg aws.Config, region, id string) ec2types.Snapshot {
	t.Helper()
	cfg = cfg.Copy()
	cfg.Region = region
	c := sdkec2.NewFromConfig(cfg)
	img, err := c.DescribeImages(ctx, &sdkec2.DescribeImagesInput{ImageIds: []string{id}})
	if err != nil || len(img.Images) != 1 {
		t.Fatalf("DescribeImages %s in %s: %v %+v", id, region, err, img)
	}
	bd := img.Images[0].BlockDeviceMappings[0]
	sn, err := c.DescribeSnapshots(ctx, &sdkec2.DescribeSnapshotsInput{SnapshotIds: []string{aws.ToString(bd.Ebs.SnapshotId)}})
	if err != nil || len(sn.Snapshots) != 1 {
		t.Fatalf("DescribeSnapshots: %v %+v", err, sn)
	}
	if aws.ToBool(bd.Ebs.Encrypted) != aws.ToBool(sn.Snapshots[0].Encrypted) {
		t.Fatalf("image and snapshot disagree on encryption: %+v %+v", bd.Ebs, sn.Snapshots[0])
	}
	return sn.Snapshots[0]
}

// TestEncryptedCrossAccountLoggedBuild: the enterprise build — recipe key for the build
// Region's AMI, the distribution's keys for the copies (other Region, target account),
// copies into the target account through its role, the target's parameters written there
// as that role, and the logs in S3 as the instance profile's role.
func TestEncryptedCrossAccountLoggedBuild(t *testing.T) {
	e := newEWorld(t)
	e.targetRole(t, target, awsemu.DefaultAccount,
		"arn:aws:ssm:us-east-1:"+target+":parameter/winami/ent/image_id", "arn:aws:ssm:us-west-2:"+target+":parameter/winami/ent/image_id")
	e.allowLogs(t, "arn:aws:s3:::winami-build-logs-123456789012/winami/*")
	p := e.pipeline(t, ebuild{ebs: encrypted(keyEast),
		logging: &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String("winami-build-logs-123456789012"), S3KeyPrefix: aws.String("winami")}},
		dists:   []types.Distribution{edist("us-east-1", keyEast, target), edist("us-west-2", keyWest, target)}})
	status, reason, _, img := e.run(t, p)
	if status != types.ImageStatusAvailable {
		t.Fatalf("build %s: %s", status, reason)
	}
	eastKey, _ := e.kms.Key("us-east-1", keyEast)
	westKey, _ := e.kms.Key("us-west-2", keyWest)
	byAcct := map[string]string{}
	for _, a := range img.OutputResources.Amis {
		byAcct[aws.ToString(a.AccountId)+"/"+aws.ToString(a.Region)] = aws.ToString(a.Image)
	}
	if len(byAcct) != 4 {
		t.Fatalf("output AMIs %v", byAcct)
	}
	// Own account: us-east-1 with the recipe's key, us-west-2 with the distribution's.
	for region, key := range map[string]string{"us-east-1": eastKey.ARN, "us-west-2": westKey.ARN} {
		sn := e.snapshot(t, e.cfg, region, byAcct[awsemu.DefaultAccount+"/"+region])
		if !aws.ToBool(sn.Encrypted) || aws.ToString(sn.KmsKeyId) != key {
			t.Fatalf("own snapshot in %s: encrypted %v key %s, want %s", region, aws.ToBool(sn.Encrypted), aws.ToString(sn.KmsKeyId), key)
		}
	}
	// Target account: owned by it, tagged, encrypted with the distribution's key.
	for region, key := range map[string]string{"us-east-1": eastKey.ARN, "us-west-2": westKey.ARN} {
		id := byAcct[target+"/"+region]
		cfg := e.targetCfg.Copy()
		cfg.Region = region
		out, err := sdkec2.NewFromConfig(cfg).DescribeImages(ctx, &sdkec2.DescribeImagesInput{Owners: []string{"self"}})
		if err != nil || len(out.Images) != 1 || aws.ToString(out.Images[0].ImageId) != id || aws.ToString(out.Images[0].OwnerId) != target {
			t.Fatalf("target images in %s: %v %+v", region, err, out)
		}
		tags := map[string]string{}
		for _, tg := range out.Images[0].Tags {
			tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if tags["team"] != "win" || tags["CreatedBy"] != "EC2 Image Builder" || tags["Ec2ImageBuilderArn"] != aws.ToString(img.Arn) {
			t.Fatalf("target AMI tags %v", tags)
		}
		sn := e.snapshot(t, e.targetCfg, region, id)
		if !aws.ToBool(sn.Encrypted) || aws.ToString(sn.KmsKeyId) != key {
			t.Fatalf("target snapshot in %s: %+v", region, sn)
		}
		// The target's parameter, in the target account, written as its role.
		scfg := e.targetCfg.Copy()
		scfg.Region = region
		sc := ssm.NewFromConfig(scfg)
		h, err := sc.GetParameterHistory(ctx, &ssm.GetParameterHistoryInput{Name: aws.String("/winami/ent/image_id")})
		if err != nil || len(h.Parameters) != 1 || aws.ToString(h.Parameters[0].Value) != id ||
			aws.ToString(h.Parameters[0].LastModifiedUser) != "arn:aws:sts::"+target+":assumed-role/"+imagebuilder.CrossAccountRole+"/"+imagebuilder.ImageBuilderSession {
			t.Fatalf("target parameter in %s: %v %+v", region, err, h)
		}
		// The own-account parameter is not in the target account, nor the target's in the own.
		if _, err := sc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/imagebuilder/ent/image_id")}); err == nil {
			t.Fatalf("the own-account parameter was written in the target account in %s", region)
		}
		if v := e.parameterValue(region, "/winami/ent/image_id"); v != "" {
			t.Fatalf("the target's parameter was written in the build account in %s: %s", region, v)
		}
		if v := e.parameterValue(region, "/imagebuilder/ent/image_id"); v != byAcct[awsemu.DefaultAccount+"/"+region] {
			t.Fatalf("own parameter in %s: %s", region, v)
		}
	}
	// KMS was asked through EC2 for the service-linked role (recipe key) and the target's role.
	slr := awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount)
	role := "arn:aws:iam::" + target + ":role/" + imagebuilder.CrossAccountRole
	var slrSeen, roleSeen bool
	for _, s := range e.kms.seen {
		slrSeen = slrSeen || strings.HasPrefix(s, slr+" kms:CreateGrant "+eastKey.ARN+" via=[ec2.us-east-1.amazonaws.com]")
		roleSeen = roleSeen || strings.HasPrefix(s, role+" kms:Decrypt "+westKey.ARN)
	}
	if !slrSeen || !roleSeen {
		t.Fatalf("KMS authorizations seen: %v", e.kms.seen)
	}
	// Logs: build phase only (tests disabled), every AWSTOE file, written as the instance role's session.
	keys := e.s3.keys("winami-build-logs-123456789012/winami/ent-1/1.0.0/1/")
	if len(keys) != len(imagebuilder.LogFiles) || !strings.HasSuffix(keys[0], "/build/application.log") {
		t.Fatalf("log objects %v", keys)
	}
	if who := e.s3.objects[keys[0]]; !strings.HasPrefix(who, "arn:aws:sts::123456789012:assumed-role/EC2InstanceProfileForImageBuilder/i-") {
		t.Fatalf("logs written as %s", who)
	}
	if got := imagebuilder.LogPrefix("winami/", "ent-1", "1.0.0", 1); got != "winami/ent-1/1.0.0/1/" {
		t.Fatalf("LogPrefix %q", got)
	}
}

// TestEnterpriseBuildFailures: each missing prerequisite fails the build where AWS does,
// naming what is missing, and nothing after it is made.
func TestEnterpriseBuildFailures(t *testing.T) {
	e := newEWorld(t)
	slr := awsemu.ImageBuilderServiceRoleARN(awsemu.DefaultAccount)
	logs := &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String("winami-build-logs-123456789012"), S3KeyPrefix: aws.String("winami")}}
	e.targetRole(t, target, awsemu.DefaultAccount) // no ssm:PutParameter
	e.targetRole(t, "333344445555", "111122223333", "arn:aws:ssm:us-east-1:333344445555:parameter/winami/ent/image_id")
	cases := []struct {
		name   string
		b      ebuild
		setup  func()
		before string
		want   []string
		// copied: the target account's AMI was made before the failure (its parameter failed).
		copied bool
	}{
		{name: "recipe key missing", b: ebuild{ebs: encrypted("arn:aws:kms:us-east-1:123456789012:alias/nope")}, before: "CREATING",
			want: []string{"Client.InvalidKMSKey.InvalidState", "alias/nope does not exist in us-east-1", "blockDeviceMappings[0].ebs.kmsKeyId"}},
		{name: "recipe key disabled", b: ebuild{ebs: encrypted(keyEast)}, before: "CREATING",
			setup: func() { e.kms.setState("us-east-1", "1234abcd-12ab-34cd-56ef-000000000001", "Disabled") },
			want:  []string{"Client.InvalidKMSKey.InvalidState", "is Disabled"}},
		{name: "recipe key refused to the service-linked role", b: ebuild{ebs: encrypted(keyEast)}, before: "CREATING",
			setup: func() {
				e.kms.setState("us-east-1", "1234abcd-12ab-34cd-56ef-000000000001", "Enabled")
				e.kms.deny[slr] = "the key policy does not allow it"
			},
			want: []string{"Client.InvalidKMSKey.InvalidState", slr + " may not use the KMS key", "the key policy does not allow it"}},
		{name: "kmsKeyId without encrypted", b: ebuild{ebs: &types.EbsInstanceBlockDeviceSpecification{KmsKeyId: aws.String(keyEast)}},
			setup: func() { delete(e.kms.deny, slr) }, before: "CREATING",
			want: []string{"InvalidParameterDependency: The parameter KmsKeyId requires the parameter Encrypted to be set"}},
		{name: "copy key missing", b: ebuild{dists: []types.Distribution{edist("us-east-1", ""), edist("us-west-2", "arn:aws:kms:us-west-2:123456789012:alias/gone")}},
			before: "DISTRIBUTING", want: []string{"Not all distribution jobs are completed. 1) EC2 Client Error: '", "alias/gone does not exist in us-west-2",
				"when distributing the image from the source account (ID: 123456789012) to the destination account (ID: 123456789012) in Region us-west-2."}},
		{name: "target role without ssm:PutParameter", b: ebuild{ebs: encrypted(keyEast), dists: []types.Distribution{edist("us-east-1", keyEast, target)}},
			before: "DISTRIBUTING", copied: true, want: []string{"Not all distribution jobs are completed. 1) ", "to the destination account (ID: " + target + ") in Region us-east-1.", "writing SSM parameter /winami/ent/image_id: AccessDenied", "ssm:PutParameter"}},
		{name: "target role trusts another account", b: ebuild{dists: []types.Distribution{edist("us-east-1", "", "333344445555")}},
			before: "DISTRIBUTING", want: []string{"could not assume arn:aws:iam::333344445555:role/" + imagebuilder.CrossAccountRole, "trust policy does not allow"}},
		{name: "AWS managed key to another account", b: ebuild{ebs: encrypted(""), dists: []types.Distribution{edist("us-east-1", keyEast, target)}},
			before: "DISTRIBUTING", want: []string{"encrypted with the AWS managed key aws/ebs", "cannot be shared with or copied to another account"}},
		{name: "logs refused to the instance role", b: ebuild{logging: logs}, before: "BUILDING",
			want: []string{"Failed to upload the build logs to s3://winami-build-logs-123456789012/winami/", "AccessDenied: Access Denied status code: 403",
				"needs s3:PutObject on arn:aws:s3:::winami-build-logs-123456789012/winami/*"}},
		{name: "log bucket missing", b: ebuild{logging: &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String("no-such-bucket")}}},
			setup: func() { e.allowLogs(t, "*") }, before: "BUILDING", want: []string{"s3://no-such-bucket/", "NoSuchBucket"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.setup != nil {
				tc.setup()
			}
			p := e.pipeline(t, tc.b)
			status, reason, seen, img := e.run(t, p)
			if status != types.ImageStatusFailed || last(seen) != tc.before {
				t.Fatalf("status %s after %v (%s), want FAILED after %s", status, seen, reason, tc.before)
			}
			for _, w := range tc.want {
				if !strings.Contains(reason, w) {
					t.Fatalf("reason %q does not say %q", reason, w)
				}
			}
			copied := false
			for _, a := range img.OutputResources.Amis {
				copied = copied || aws.ToString(a.AccountId) != awsemu.DefaultAccount
			}
			if copied != tc.copied {
				t.Fatalf("target-account AMI made: %v, want %v (%+v)", copied, tc.copied, img.OutputResources.Amis)
			}
		})
	}
	// Nothing reached the target accounts' parameters.
	sc := ssm.NewFromConfig(e.targetCfg)
	if _, err := sc.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/winami/ent/image_id")}); err == nil {
		t.Fatal("a failed build wrote the target's parameter")
	}
}

// TestScanFindingsSeedInAnotherAccount: the control path (served by the endpoint's own
// account) seeds a pipeline of another account it serves; that account's build lists them.
func TestScanFindingsSeedInAnotherAccount(t *testing.T) {
	e := newEWorld(t)
	tw := &rworld{srv: e.srv, clock: e.clock, ib: ib.NewFromConfig(e.targetCfg), iam: iam.NewFromConfig(e.targetCfg), cfg: e.targetCfg, parent: e.parent}
	tw.component = createComponent(t, tw.ib, "cache", "1.0.0", "peer-comp")
	te := &eworld{rworld: tw}
	p := te.pipeline(t, ebuild{})
	if _, err := tw.ib.UpdateImagePipeline(ctx, &ib.UpdateImagePipelineInput{ImagePipelineArn: aws.String(p), ClientToken: aws.String("scan-on"),
		ImageRecipeArn:                 aws.String(strings.Replace(strings.Replace(p, "image-pipeline", "image-recipe", 1), "ent-1", "ent-1/1.0.0", 1)),
		InfrastructureConfigurationArn: aws.String(strings.Replace(p, "image-pipeline", "infrastructure-configuration", 1)),
		ImageTestsConfiguration:        &types.ImageTestsConfiguration{ImageTestsEnabled: aws.Bool(false)},
		ImageScanningConfiguration:     &types.ImageScanningConfiguration{ImageScanningEnabled: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(p, ":"+target+":") {
		t.Fatalf("pipeline %s is not the target account's", p)
	}
	if code := seedFindings(t, e.srv.URL(), imagebuilder.ScanFindingsSeed{ImagePipelineArn: p, Findings: []map[string]any{finding("HIGH", "CVE-2026-0009")}}); code != 200 {
		t.Fatalf("seeding the other account's pipeline: %d", code)
	}
	status, reason, _, img := te.run(t, p)
	if status != types.ImageStatusAvailable {
		t.Fatalf("build %s: %s", status, reason)
	}
	out, err := tw.ib.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{})
	if err != nil || len(out.Findings) != 1 || aws.ToString(out.Findings[0].AwsAccountId) != target || aws.ToString(out.Findings[0].ImageBuildVersionArn) != aws.ToString(img.Arn) {
		t.Fatalf("the other account's findings: %v %+v", err, out)
	}
	if own, err := e.ib.ListImageScanFindings(ctx, &ib.ListImageScanFindingsInput{}); err != nil || len(own.Findings) != 0 {
		t.Fatalf("the build account sees findings: %v %+v", err, own)
	}
}
