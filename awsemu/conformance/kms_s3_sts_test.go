//go:build conformance

package conformance_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// errMsg records an error's code and message ("ok" when there is none).
func errMsg(err error) string {
	var ae interface{ ErrorMessage() string }
	if errors.As(err, &ae) {
		return ssmErr(err) + " " + fmt.Sprintf("%q", ae.ErrorMessage())
	}
	return ssmErr(err)
}

// policyShape is a key policy reduced to what it means (layout and key order aside).
func policyShape(doc string) string {
	var v any
	if err := json.Unmarshal([]byte(doc), &v); err != nil {
		return "unparsable: " + doc
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// kmsScenario runs one KMS session (keys, aliases, policies, grants, states) against endpoint.
func kmsScenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	r := &record{}
	c := kms.NewFromConfig(awstest.SDKConfig(endpoint, "us-west-2"))
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("winami AMIs")})
	if err != nil {
		t.Fatalf("CreateKey: %v", err)
	}
	md := out.KeyMetadata
	r.add("create key: arn prefix=%v state=%s enabled=%v manager=%s spec=%s usage=%s origin=%s desc=%s multi=%v algs=%v",
		strings.HasPrefix(*md.Arn, "arn:aws:kms:us-west-2:"+awsemu.DefaultAccount+":key/"+*md.KeyId), md.KeyState, md.Enabled, md.KeyManager,
		md.KeySpec, md.KeyUsage, md.Origin, aws.ToString(md.Description), aws.ToBool(md.MultiRegion), md.EncryptionAlgorithms)
	pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("default")})
	if err == nil {
		r.add("default policy: %s", policyShape(*pol.Policy))
	} else {
		r.add("default policy: %s", errMsg(err))
	}
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/winami-ami"), TargetKeyId: md.KeyId})
	r.add("create alias: %s", errMsg(err))
	aliasARN := "arn:aws:kms:us-west-2:" + awsemu.DefaultAccount + ":alias/winami-ami"
	for _, id := range []string{*md.Arn, "alias/winami-ami", aliasARN} {
		d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(id)})
		if err == nil {
			r.add("describe %s: same=%v", strings.ReplaceAll(strings.TrimPrefix(id, "arn:aws:kms:us-west-2:"+awsemu.DefaultAccount+":"), *md.KeyId, "KEY"), *d.KeyMetadata.KeyId == *md.KeyId)
		} else {
			r.add("describe %s: %s", id, errMsg(err))
		}
	}
	la, err := c.ListAliases(ctx, &kms.ListAliasesInput{KeyId: md.KeyId})
	if err == nil {
		var a []string
		for _, x := range la.Aliases {
			a = append(a, *x.AliasName+"="+*x.AliasArn+"->"+aws.ToString(x.TargetKeyId))
		}
		r.add("list aliases of key: %v", strings.ReplaceAll(fmt.Sprint(a), *md.KeyId, "KEY"))
	} else {
		r.add("list aliases of key: %s", errMsg(err))
	}
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/winami-ami"), TargetKeyId: md.KeyId})
	r.add("duplicate alias: %s", errMsg(err))
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/aws/ebs"), TargetKeyId: md.KeyId})
	r.add("reserved alias: %s", ssmErr(err))
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/two"), TargetKeyId: aws.String("alias/winami-ami")})
	r.add("alias to alias: %s", errMsg(err))
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("winami"), TargetKeyId: md.KeyId})
	r.add("alias without prefix: %s", errMsg(err))
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/nope")})
	r.add("missing alias: %s", errMsg(err))
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("11111111-2222-4333-8444-555555555555")})
	r.add("missing key: %s", errMsg(err))
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("not-a-key")})
	r.add("invalid key id: %s", errMsg(err))
	_, err = c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("other")})
	r.add("other policy name: %s", errMsg(err))
	doc := `{"Version":"2012-10-17","Statement":[{"Sid":"root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + awsemu.DefaultAccount + `:root"},"Action":"kms:*","Resource":"*"},` +
		`{"Sid":"target","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210987654321:root"},"Action":["kms:DescribeKey","kms:CreateGrant"],"Resource":"*"}]}`
	_, err = c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: md.KeyId, PolicyName: aws.String("default"), Policy: aws.String(doc)})
	r.add("put policy: %s", errMsg(err))
	if pol, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: md.Arn}); err == nil {
		r.add("policy after put: %s", policyShape(*pol.Policy))
	} else {
		r.add("policy after put: %s", errMsg(err))
	}
	g, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: md.KeyId, Name: aws.String("ebs"),
		GranteePrincipal: aws.String("arn:aws:iam::" + awsemu.DefaultAccount + ":role/aws-service-role/imagebuilder.amazonaws.com/AWSServiceRoleForImageBuilder"),
		Operations:       []kmstypes.GrantOperation{kmstypes.GrantOperationEncrypt, kmstypes.GrantOperationDecrypt, kmstypes.GrantOperationCreateGrant}})
	r.add("create grant: %s", ssmErr(err))
	if lg, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: md.KeyId}); err == nil {
		for _, x := range lg.Grants {
			r.add("grant: id=%v key=%v name=%s grantee=%s ops=%v", g != nil && *x.GrantId == *g.GrantId,
				strings.HasSuffix(*x.KeyId, *md.KeyId), aws.ToString(x.Name), *x.GranteePrincipal, x.Operations)
		}
	} else {
		r.add("list grants: %s", errMsg(err))
	}
	_, err = c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: md.KeyId})
	r.add("disable: %s", errMsg(err))
	if d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: md.KeyId}); err == nil {
		r.add("after disable: %s %v", d.KeyMetadata.KeyState, d.KeyMetadata.Enabled)
	}
	_, err = c.EnableKey(ctx, &kms.EnableKeyInput{KeyId: md.KeyId})
	r.add("enable: %s", errMsg(err))
	if d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: md.KeyId}); err == nil {
		r.add("after enable: %s %v", d.KeyMetadata.KeyState, d.KeyMetadata.Enabled)
	}
	if lk, err := c.ListKeys(ctx, &kms.ListKeysInput{}); err == nil {
		found := false
		for _, k := range lk.Keys {
			found = found || *k.KeyArn == *md.Arn
		}
		r.add("list keys: found=%v", found)
	}
	if ebs, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/ebs")}); err == nil {
		r.add("aws/ebs: manager=%s state=%s", ebs.KeyMetadata.KeyManager, ebs.KeyMetadata.KeyState)
	} else {
		r.add("aws/ebs: %s", errMsg(err))
	}
	return r
}

// TestKMSAgainstMoto runs one KMS session against moto_server and awsemu.
func TestKMSAgainstMoto(t *testing.T) {
	t.Parallel()
	moto := awstest.StartMoto(t)
	srv := emulatortest.Start(t)
	compareRecords(t, kmsScenario(t, srv.URL()), kmsScenario(t, moto), kmsKnown...)
}

// s3Scenario runs one S3 session (buckets in two regions, objects, listings, errors).
func s3Scenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	r := &record{}
	east := s3.NewFromConfig(awstest.SDKConfig(endpoint, "us-east-1"))
	west := s3.NewFromConfig(awstest.SDKConfig(endpoint, "us-west-2"))
	_, err := east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-build-logs-123456789012")})
	r.add("create east: %s", errMsg(err))
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-west-logs"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}})
	r.add("create west: %s", errMsg(err))
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-no-constraint")})
	r.add("west without constraint: %s", errMsg(err))
	_, err = east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-explicit-east"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: "us-east-1"}})
	r.add("explicit us-east-1: %s", errMsg(err))
	_, err = east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("Bad_Name")})
	r.add("bad name: %s", ssmErr(err))
	_, err = west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-west-logs"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraintUsWest2}})
	r.add("again west: %s", errMsg(err))
	_, err = east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-build-logs-123456789012")})
	r.add("again east: %s", errMsg(err))
	if loc, err := west.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("winami-west-logs")}); err == nil {
		r.add("location west: %q", loc.LocationConstraint)
	} else {
		r.add("location west: %s", errMsg(err))
	}
	if loc, err := east.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("winami-build-logs-123456789012")}); err == nil {
		r.add("location east: %q", loc.LocationConstraint)
	} else {
		r.add("location east: %s", errMsg(err))
	}
	if hb, err := east.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("winami-build-logs-123456789012")}); err == nil {
		r.add("head: %s", aws.ToString(hb.BucketRegion))
	} else {
		r.add("head: %s", ssmErr(err))
	}
	_, err = east.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("winami-nope-nope")})
	r.add("head missing: %s", ssmErr(err))
	bkt := aws.String("winami-build-logs-123456789012")
	for _, k := range []string{"logs/a/1.txt", "logs/a/2.txt", "logs/b/1.txt", "logs/c.txt", "other/x y+z.txt"} {
		_, err := east.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String(k), Body: bytes.NewReader([]byte("body of " + k))})
		r.add("put %s: %s", k, ssmErr(err))
	}
	if got, err := east.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("other/x y+z.txt")}); err == nil {
		b, _ := io.ReadAll(got.Body)
		r.add("get: %q len=%d etag=%s", b, aws.ToInt64(got.ContentLength), aws.ToString(got.ETag))
	} else {
		r.add("get: %s", errMsg(err))
	}
	_, err = east.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("nope")})
	r.add("get missing key: %s", errMsg(err))
	_, err = east.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("winami-nope-nope"), Key: aws.String("k")})
	r.add("get missing bucket: %s", errMsg(err))
	p := s3.NewListObjectsV2Paginator(east, &s3.ListObjectsV2Input{Bucket: bkt, Prefix: aws.String("logs/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			r.add("page: %s", errMsg(err))
			break
		}
		var items []string
		for _, c := range out.CommonPrefixes {
			items = append(items, "P:"+*c.Prefix)
		}
		for _, c := range out.Contents {
			items = append(items, fmt.Sprintf("K:%s/%d", *c.Key, aws.ToInt64(c.Size)))
		}
		r.add("page: count=%d truncated=%v %v", aws.ToInt32(out.KeyCount), aws.ToBool(out.IsTruncated), items)
	}
	if all, err := east.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt, StartAfter: aws.String("logs/b")}); err == nil {
		var keys []string
		for _, c := range all.Contents {
			keys = append(keys, *c.Key)
		}
		r.add("start after: %v", keys)
	}
	_, err = east.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String("logs/c.txt")})
	r.add("delete: %s", ssmErr(err))
	_, err = east.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String("logs/never")})
	r.add("delete missing: %s", ssmErr(err))
	if all, err := east.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt}); err == nil {
		r.add("after delete: %d", aws.ToInt32(all.KeyCount))
	}
	_, err = east.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("winami-nope-nope")})
	r.add("list missing bucket: %s", errMsg(err))
	if lb, err := east.ListBuckets(ctx, &s3.ListBucketsInput{}); err == nil {
		var names []string
		for _, b := range lb.Buckets {
			if strings.HasPrefix(*b.Name, "winami-") {
				names = append(names, *b.Name)
			}
		}
		r.add("buckets: %v", sorted(names))
	}
	_, err = west.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("winami-west-logs")})
	r.add("delete empty bucket: %s", ssmErr(err))
	_, err = east.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: bkt})
	r.add("delete full bucket: %s", errMsg(err))
	return r
}

// TestS3AgainstMoto runs one S3 session against moto_server and awsemu.
func TestS3AgainstMoto(t *testing.T) {
	t.Parallel()
	moto := awstest.StartMoto(t)
	srv := emulatortest.Start(t)
	compareRecords(t, s3Scenario(t, srv.URL()), s3Scenario(t, moto), s3Known...)
}

// assumeRoleScenario: the target account creates a role trusting the build account, the
// build account assumes it, and the session's identity is the assumed-role ARN in the
// target account. peer signs as the target account (on moto, a session of a bootstrap
// role there: moto reaches accounts only through STS).
func assumeRoleScenario(t *testing.T, endpoint string, peer aws.Config) *record {
	t.Helper()
	ctx := context.Background()
	r := &record{}
	target := emulator.SandboxPeerAccount
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + awsemu.DefaultAccount + `:root"},"Action":"sts:AssumeRole"}]}`
	cr, err := iam.NewFromConfig(peer).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("EC2ImageBuilderDistributionCrossAccountRole"), AssumeRolePolicyDocument: aws.String(trust)})
	if err != nil {
		t.Fatalf("CreateRole in the target account: %v", err)
	}
	r.add("role: %s", *cr.Role.Arn)
	c := sts.NewFromConfig(awstest.SDKConfig(endpoint, "us-east-1"))
	out, err := c.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: cr.Role.Arn, RoleSessionName: aws.String("winami-publish"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatalf("AssumeRole: %v", err)
	}
	r.add("assumed: %s", *out.AssumedRoleUser.Arn)
	r.add("assumed id: %s…:%s", (*out.AssumedRoleUser.AssumedRoleId)[:4], strings.SplitN(*out.AssumedRoleUser.AssumedRoleId, ":", 2)[1])
	r.add("key: %s len=%d", (*out.Credentials.AccessKeyId)[:4], len(*out.Credentials.AccessKeyId))
	sess := awstest.SDKConfigAs(endpoint, "us-east-1", *out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken)
	if id, err := sts.NewFromConfig(sess).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err == nil {
		r.add("session identity: %s %s same-id=%v", *id.Account, *id.Arn, *id.UserId == *out.AssumedRoleUser.AssumedRoleId)
	} else {
		r.add("session identity: %s", errMsg(err))
	}
	if gr, err := iam.NewFromConfig(sess).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("EC2ImageBuilderDistributionCrossAccountRole")}); err == nil {
		r.add("session sees its account's role: %s", *gr.Role.Arn)
	} else {
		r.add("session sees its account's role: %s", errMsg(err))
	}
	_ = target
	return r
}

// TestAssumeRoleAgainstMoto runs the cross-account AssumeRole session against moto_server
// and awsemu.
func TestAssumeRoleAgainstMoto(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	moto := awstest.StartMoto(t)
	boot, err := sts.NewFromConfig(awstest.SDKConfig(moto, "us-east-1")).AssumeRole(ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String("arn:aws:iam::" + emulator.SandboxPeerAccount + ":role/bootstrap"), RoleSessionName: aws.String("setup")})
	if err != nil {
		t.Fatal(err)
	}
	motoPeer := awstest.SDKConfigAs(moto, "us-east-1", *boot.Credentials.AccessKeyId, *boot.Credentials.SecretAccessKey, *boot.Credentials.SessionToken)
	srv := emulatortest.Start(t, emulator.WithPeerAccounts(emulator.SandboxPeerAccount))
	emuPeer := awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(emulator.SandboxPeerAccount), "x", "")
	compareRecords(t, assumeRoleScenario(t, srv.URL(), emuPeer), assumeRoleScenario(t, moto, motoPeer))
}

// Steps where awsemu and moto differ, each written down in DIFFERENCES.md.
var (
	kmsKnown = []string{"create key", "policy after put", "aws/ebs"}
	s3Known  = []string{"bad name"}
)
