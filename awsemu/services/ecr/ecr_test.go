package ecr_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

var ctx = context.Background()

func manifest(sizes ...int64) string {
	var layers []string
	for i, n := range sizes {
		layers = append(layers, fmt.Sprintf(`{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":"sha256:%064x"}`, n, i+1))
	}
	return `{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":100,"digest":"sha256:` +
		strings.Repeat("c", 64) + `"},"layers":[` + strings.Join(layers, ",") + `]}`
}

func TestGetAuthorizationToken(t *testing.T) {
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	out, err := ecr.NewFromConfig(awstest.SDKConfig(srv.URL(), "eu-west-1")).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.AuthorizationData) != 1 {
		t.Fatalf("%d authorization data", len(out.AuthorizationData))
	}
	a := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(*a.AuthorizationToken)
	if err != nil || !strings.HasPrefix(string(raw), "AWS:") || len(raw) < 20 {
		t.Errorf("token %q (%v), want base64 of AWS:<token>", raw, err)
	}
	if !a.ExpiresAt.Equal(clock.Now().Add(12 * time.Hour)) {
		t.Errorf("expires %v, want 12 hours after %v", a.ExpiresAt, clock.Now())
	}
	if *a.ProxyEndpoint != "https://"+awsemu.DefaultAccount+".dkr.ecr.eu-west-1.amazonaws.com" {
		t.Errorf("proxy endpoint %s", *a.ProxyEndpoint)
	}
}

func TestRepositoriesAndImages(t *testing.T) {
	srv := emulatortest.Start(t)
	c := ecr.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	repo := aws.String("team/myapp")
	cr, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: repo})
	if err != nil {
		t.Fatal(err)
	}
	if *cr.Repository.RepositoryUri != awsemu.DefaultAccount+".dkr.ecr.us-east-1.amazonaws.com/team/myapp" {
		t.Errorf("uri %s", *cr.Repository.RepositoryUri)
	}
	_, err = c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: repo})
	var exists *types.RepositoryAlreadyExistsException
	if !errors.As(err, &exists) {
		t.Errorf("second create: %v", err)
	}

	m1, m2 := manifest(1000, 2000), manifest(5000)
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(m1), ImageTag: aws.String("1.4.1")}); err != nil {
		t.Fatal(err)
	}
	put, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(m2), ImageTag: aws.String("1.4.2")})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(m2))
	if want := "sha256:" + hex.EncodeToString(sum[:]); *put.Image.ImageId.ImageDigest != want {
		t.Errorf("digest %s, want %s", *put.Image.ImageId.ImageDigest, want)
	}
	if _, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(m2), ImageTag: aws.String("latest")}); err != nil {
		t.Fatal(err)
	}
	_, err = c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: repo, ImageManifest: aws.String(m2), ImageTag: aws.String("latest")})
	var dup *types.ImageAlreadyExistsException
	if !errors.As(err, &dup) {
		t.Errorf("same tag and manifest again: %v", err)
	}

	d, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: repo, ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("1.4.2")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(d.ImageDetails) != 1 || *d.ImageDetails[0].ImageSizeInBytes != 5000 || strings.Join(d.ImageDetails[0].ImageTags, ",") != "1.4.2,latest" {
		t.Errorf("describe 1.4.2: %+v", d.ImageDetails)
	}
	var all []string
	p := ecr.NewDescribeImagesPaginator(c, &ecr.DescribeImagesInput{RepositoryName: repo, MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, img := range out.ImageDetails {
			all = append(all, fmt.Sprintf("%d", *img.ImageSizeInBytes))
		}
	}
	if strings.Join(all, ",") != "3000,5000" {
		t.Errorf("paged sizes %v", all)
	}
	_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: repo, ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("9.9")}}})
	var inf *types.ImageNotFoundException
	if !errors.As(err, &inf) {
		t.Errorf("missing tag: %v", err)
	}
	_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("nope")})
	var rnf *types.RepositoryNotFoundException
	if !errors.As(err, &rnf) || !strings.Contains(*rnf.Message, "'nope'") {
		t.Errorf("missing repository: %v", err)
	}
	// Another region is another registry.
	_, err = ecr.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2")).DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: repo})
	if !errors.As(err, &rnf) {
		t.Errorf("repository seen from us-west-2: %v", err)
	}
	del, err := c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: repo, ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("1.4.1")}, {ImageTag: aws.String("0.0")}}})
	if err != nil || len(del.ImageIds) != 1 || len(del.Failures) != 1 {
		t.Errorf("batch delete: %v %+v", err, del)
	}
}

func TestThrottling(t *testing.T) {
	srv := emulatortest.Start(t)
	srv.Faults.SetThrottle(1)
	_, err := ecr.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err == nil || !strings.Contains(err.Error(), "ThrottlingException") {
		t.Errorf("throttled: %v", err)
	}
}
