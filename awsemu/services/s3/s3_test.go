package s3_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	s3emu "github.com/winami/winami/awsemu/services/s3"
)

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return err.Error()
	}
	return ""
}

// TestBucketsAndObjects drives the S3 operations with the Go SDK (path-style: the endpoint
// is an IP address) in two regions and two accounts.
func TestBucketsAndObjects(t *testing.T) {
	srv := emulatortest.Start(t, emulator.WithPeerAccounts(emulator.SandboxPeerAccount))
	ctx := context.Background()
	east := s3.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	west := s3.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2"))
	if _, err := east.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("winami-build-logs-123456789012")}); err != nil {
		t.Fatal(err)
	}
	if _, err := west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("west-logs"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintUsWest2}}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		c      *s3.Client
		bucket string
		lc     types.BucketLocationConstraint
		want   string
	}{
		{west, "no-constraint", "", "IllegalLocationConstraintException"},
		{east, "explicit-east", "us-east-1", "InvalidLocationConstraint"},
		{east, "mismatch", types.BucketLocationConstraintUsWest2, "IllegalLocationConstraintException"},
		{east, "Bad_Name", "", "InvalidBucketName"},
		{east, "192.168.5.4", "", "InvalidBucketName"},
		{west, "west-logs", types.BucketLocationConstraintUsWest2, "BucketAlreadyOwnedByYou"},
	} {
		in := &s3.CreateBucketInput{Bucket: aws.String(tc.bucket)}
		if tc.lc != "" {
			in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: tc.lc}
		}
		if _, err := tc.c.CreateBucket(ctx, in); code(err) != tc.want {
			t.Errorf("CreateBucket %s %q: %v, want %s", tc.bucket, tc.lc, err, tc.want)
		}
	}
	loc, err := west.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("west-logs")})
	if err != nil || loc.LocationConstraint != types.BucketLocationConstraintUsWest2 {
		t.Errorf("GetBucketLocation = %+v %v", loc, err)
	}
	if loc, err := east.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("winami-build-logs-123456789012")}); err != nil || loc.LocationConstraint != "" {
		t.Errorf("GetBucketLocation us-east-1 = %+v %v", loc, err)
	}
	hb, err := east.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("winami-build-logs-123456789012")})
	if err != nil || *hb.BucketRegion != "us-east-1" {
		t.Errorf("HeadBucket = %+v %v", hb, err)
	}
	if _, err := east.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("nope-nope")}); code(err) != "NotFound" {
		t.Errorf("HeadBucket missing: %v", err)
	}
	bkt := aws.String("winami-build-logs-123456789012")
	keys := []string{"logs/a/1.txt", "logs/a/2.txt", "logs/b/1.txt", "logs/c.txt", "other/x y.txt"}
	for _, k := range keys {
		if _, err := east.PutObject(ctx, &s3.PutObjectInput{Bucket: bkt, Key: aws.String(k), Body: bytes.NewReader([]byte("body of " + k))}); err != nil {
			t.Fatalf("PutObject %s: %v", k, err)
		}
	}
	got, err := east.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("other/x y.txt")})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(got.Body)
	if string(b) != "body of other/x y.txt" || *got.ContentLength != int64(len(b)) {
		t.Errorf("GetObject = %q", b)
	}
	if _, err := east.GetObject(ctx, &s3.GetObjectInput{Bucket: bkt, Key: aws.String("nope")}); code(err) != "NoSuchKey" {
		t.Errorf("GetObject missing: %v", err)
	}
	// Delimiter and paging: logs/ holds two prefixes and one key.
	var pages []string
	p := s3.NewListObjectsV2Paginator(east, &s3.ListObjectsV2Input{Bucket: bkt, Prefix: aws.String("logs/"), Delimiter: aws.String("/"), MaxKeys: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var items []string
		for _, c := range out.CommonPrefixes {
			items = append(items, "P:"+*c.Prefix)
		}
		for _, c := range out.Contents {
			items = append(items, "K:"+*c.Key)
		}
		pages = append(pages, fmt.Sprint(*out.KeyCount, items))
	}
	if want := "2 [P:logs/a/ P:logs/b/] | 1 [K:logs/c.txt]"; strings.Join(pages, " | ") != want {
		t.Errorf("pages %v, want %s", pages, want)
	}
	if _, err := east.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: bkt, Key: aws.String("logs/c.txt")}); err != nil {
		t.Fatal(err)
	}
	all, err := east.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt})
	if err != nil || *all.KeyCount != 4 {
		t.Errorf("after delete: %+v %v", all, err)
	}
	// Another account: the name is taken, the bucket is not its own.
	pc := s3.NewFromConfig(awstest.SDKConfigAs(srv.URL(), "us-east-1", awsemu.AccessKeyFor(emulator.SandboxPeerAccount), "x", ""))
	if _, err := pc.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: bkt}); code(err) != "BucketAlreadyExists" {
		t.Errorf("peer CreateBucket of a taken name: %v", err)
	}
	if _, err := pc.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: bkt}); code(err) != "AccessDenied" {
		t.Errorf("peer ListObjectsV2 of another account's bucket: %v", err)
	}
	lb, err := pc.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(lb.Buckets) != 0 {
		t.Errorf("peer ListBuckets = %+v %v", lb, err)
	}
	// S3Store: Image Builder's log writes.
	if region, ok := srv.S3.BucketRegion("west-logs"); !ok || region != "us-west-2" {
		t.Errorf("BucketRegion = %s %v", region, ok)
	}
	if err := srv.S3.PutObject("west-logs", "i-1/log.txt", []byte("log"), ""); err != nil {
		t.Fatal(err)
	}
	if err := srv.S3.PutObject("missing-bucket", "k", nil, ""); err == nil || !strings.Contains(err.Error(), "NoSuchBucket") {
		t.Errorf("PutObject to a missing bucket: %v", err)
	}
	instanceRole := "arn:aws:iam::" + awsemu.DefaultAccount + ":role/EC2InstanceProfileForImageBuilder"
	if err := srv.S3.PutObject("west-logs", "i-1/denied.txt", []byte("log"), instanceRole); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Errorf("PutObject as a role whose policies do not allow s3:PutObject on the bucket: %v", err)
	}
	objs := srv.S3.(*s3emu.Service).Objects("west-logs", "i-1/")
	if len(objs) != 1 || string(objs[0].Body) != "log" {
		t.Errorf("Objects = %+v", objs)
	}
}

// TestWrongRegion: a bucket addressed in another region answers 301 with its region, as S3's
// regional endpoints do.
func TestWrongRegion(t *testing.T) {
	srv := emulatortest.Start(t)
	ctx := context.Background()
	west := s3.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2"))
	east := s3.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	if _, err := west.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("west-only"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintUsWest2}}); err != nil {
		t.Fatal(err)
	}
	if _, err := east.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("west-only")}); err == nil || !strings.Contains(err.Error(), "301") {
		t.Errorf("HeadBucket from us-east-1: %v", err)
	}
	if _, err := east.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("west-only")}); code(err) != "PermanentRedirect" {
		t.Errorf("ListObjectsV2 from us-east-1: %v", err)
	}
	if _, err := east.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("west-only"), Key: aws.String("k"), Body: strings.NewReader("x")}); code(err) != "PermanentRedirect" {
		t.Errorf("PutObject from us-east-1: %v", err)
	}
	if loc, err := east.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("west-only")}); err != nil || loc.LocationConstraint != "us-west-2" {
		t.Errorf("GetBucketLocation from us-east-1: %+v %v", loc, err)
	}
}
