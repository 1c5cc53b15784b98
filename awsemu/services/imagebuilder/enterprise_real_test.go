package imagebuilder_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkec2 "github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	ib "github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/services/imagebuilder"
)

// TestEnterpriseBuildWithRealKMSAndS3 runs the enterprise build against the emulator's own
// KMS and S3 (emuworld's services): keys and aliases made with the KMS API (default key
// policy plus a statement for the target account), the log bucket with the S3 API, the
// target's role with IAM — the setup the README walkthrough does with the AWS CLI. Then the
// target role loses its KMS permissions and the next build fails at DISTRIBUTING.
func TestEnterpriseBuildWithRealKMSAndS3(t *testing.T) {
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	srv := emulator.New(emulator.WithClock(clock), emulator.WithPeerAccounts(target))
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	tcfg := awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(target), "secret", "")
	in := func(c aws.Config, region string) aws.Config { c = c.Copy(); c.Region = region; return c }

	// Keys: the default policy plus the target account's use (cross-account-dist: "Update
	// the key policy for all of those keys to allow destination accounts to use your key").
	keyARN := map[string]string{}
	for _, region := range []string{"us-east-1", "us-west-2"} {
		policy := `{"Version":"2012-10-17","Statement":[` +
			`{"Sid":"Enable IAM User Permissions","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"},` +
			`{"Sid":"Target account","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + target + `:root"},` +
			`"Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey","kms:CreateGrant"],"Resource":"*"}]}`
		kc := kms.NewFromConfig(in(cfg, region))
		k, err := kc.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(policy)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kc.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/winami-ami"), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
			t.Fatal(err)
		}
		keyARN[region] = aws.ToString(k.KeyMetadata.Arn)
	}
	if _, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).CreateBucket(ctx,
		&s3.CreateBucketInput{Bucket: aws.String("winami-build-logs-123456789012")}); err != nil {
		t.Fatal(err)
	}
	ic := iam.NewFromConfig(cfg)
	if _, err := ic.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("EC2InstanceProfileForImageBuilder"), PolicyName: aws.String("logs"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::winami-build-logs-123456789012/winami/*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	// The target's role: trust, managed policy, KMS (the guide's inline policy), parameter.
	tc := iam.NewFromConfig(tcfg)
	role := aws.String(imagebuilder.CrossAccountRole)
	if _, err := tc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: role,
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tc.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: role, PolicyArn: aws.String("arn:aws:iam::aws:policy/Ec2ImageBuilderCrossAccountDistributionAccess")}); err != nil {
		t.Fatal(err)
	}
	for name, doc := range map[string]string{
		"kms":     `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:DescribeKey","kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"],"Resource":"*"}]}`,
		"publish": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ssm:PutParameter","Resource":"arn:aws:ssm:*:` + target + `:parameter/winami/ent/image_id"}]}`,
	} {
		if _, err := tc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: role, PolicyName: aws.String(name), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}

	w := &rworld{srv: srv, clock: clock, ib: ib.NewFromConfig(cfg), iam: ic, cfg: cfg}
	imgs, err := w.ec2("us-east-1").DescribeImages(ctx, &sdkec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"Windows_Server-2022-English-Core-EKS_Optimized-*"}}}})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("no seeded parent image: %v", err)
	}
	w.parent = aws.ToString(imgs.Images[0].ImageId)
	w.component = createComponent(t, w.ib, "cache", "1.0.0", "real-comp")
	e := &eworld{rworld: w, targetCfg: tcfg}
	p := e.pipeline(t, ebuild{ebs: encrypted(keyEast),
		logging: &types.Logging{S3Logs: &types.S3Logs{S3BucketName: aws.String("winami-build-logs-123456789012"), S3KeyPrefix: aws.String("winami")}},
		dists:   []types.Distribution{edist("us-east-1", keyEast, target), edist("us-west-2", keyWest, target)}})
	status, reason, _, img := e.run(t, p)
	if status != types.ImageStatusAvailable {
		t.Fatalf("build %s: %s", status, reason)
	}
	for _, a := range img.OutputResources.Amis {
		c := e.cfg
		if aws.ToString(a.AccountId) == target {
			c = tcfg
		}
		sn := e.snapshot(t, c, aws.ToString(a.Region), aws.ToString(a.Image))
		if !aws.ToBool(sn.Encrypted) || aws.ToString(sn.KmsKeyId) != keyARN[aws.ToString(a.Region)] {
			t.Fatalf("%s's AMI in %s: snapshot key %s, want %s", aws.ToString(a.AccountId), aws.ToString(a.Region), aws.ToString(sn.KmsKeyId), keyARN[aws.ToString(a.Region)])
		}
	}
	if len(img.OutputResources.Amis) != 4 {
		t.Fatalf("AMIs %+v", img.OutputResources.Amis)
	}
	objs, err := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }).ListObjectsV2(ctx,
		&s3.ListObjectsV2Input{Bucket: aws.String("winami-build-logs-123456789012"), Prefix: aws.String("winami/ent-1/1.0.0/1/build/")})
	if err != nil || len(objs.Contents) != len(imagebuilder.LogFiles) {
		t.Fatalf("log objects: %v %+v", err, objs)
	}

	// Without the KMS inline policy the target's role may not use the source key: the
	// next build fails copying into the target account, before its AMI is made.
	if _, err := tc.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: role, PolicyName: aws.String("kms")}); err != nil {
		t.Fatal(err)
	}
	status, reason, seen, img := e.run(t, p)
	if status != types.ImageStatusFailed || last(seen) != "DISTRIBUTING" ||
		!strings.Contains(reason, "to the destination account (ID: "+target+") in Region us-east-1.") || !strings.Contains(reason, keyARN["us-east-1"]) {
		t.Fatalf("build without the target's KMS rights: %s after %v: %s", status, seen, reason)
	}
	for _, a := range img.OutputResources.Amis {
		if aws.ToString(a.AccountId) == target {
			t.Fatalf("an AMI was copied into the target account: %+v", a)
		}
	}
}
