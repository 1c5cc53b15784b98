//go:build conformance

package conformance_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// ecrManifest is a Docker v2 manifest with layers of the given sizes.
func ecrManifest(seed int, sizes ...int64) string {
	var layers []string
	for i, n := range sizes {
		layers = append(layers, fmt.Sprintf(`{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","size":%d,"digest":"sha256:%064x"}`, n, seed*100+i))
	}
	return fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","size":1000,"digest":"sha256:%064x"},"layers":[%s]}`,
		seed, strings.Join(layers, ","))
}

// TestECRWithAWSCLI drives every ECR operation awsemu implements with the AWS CLI.
func TestECRWithAWSCLI(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t)
	ep, region := srv.URL(), "us-west-2"
	var tok struct {
		AuthorizationData []struct {
			AuthorizationToken, ProxyEndpoint string
			ExpiresAt                         float64
		}
	}
	awstest.CLIJSON(t, ep, region, &tok, "ecr", "get-authorization-token")
	if len(tok.AuthorizationData) != 1 {
		t.Fatalf("get-authorization-token = %+v", tok)
	}
	a := tok.AuthorizationData[0]
	raw, _ := base64.StdEncoding.DecodeString(a.AuthorizationToken)
	exp := time.Unix(int64(a.ExpiresAt), 0)
	if !strings.HasPrefix(string(raw), "AWS:") || a.ProxyEndpoint != "https://"+awsemu.DefaultAccount+".dkr.ecr.us-west-2.amazonaws.com" ||
		exp.Before(time.Now().Add(11*time.Hour)) || exp.After(time.Now().Add(13*time.Hour)) {
		t.Errorf("authorization data %+v (token %q, expires %v)", a, raw, exp)
	}
	// The password the CLI hands to docker/ctr is a token's part after "AWS:" (each call
	// issues a new token, as ECR does).
	pw, _, code := awstest.AWSCLI(t, ep, region, "ecr", "get-login-password")
	if p := strings.TrimSpace(string(pw)); code != 0 || p == "" || strings.Contains(p, ":") || !strings.HasPrefix(p, strings.SplitN(strings.TrimPrefix(string(raw), "AWS:"), ".", 2)[0]+".") {
		t.Errorf("get-login-password = %q (exit %d), token %q", pw, code, raw)
	}

	var repo struct {
		Repository struct{ RepositoryUri, RepositoryArn string }
	}
	awstest.CLIJSON(t, ep, region, &repo, "ecr", "create-repository", "--repository-name", "team/app")
	if repo.Repository.RepositoryUri != awsemu.DefaultAccount+".dkr.ecr.us-west-2.amazonaws.com/team/app" {
		t.Errorf("create-repository = %+v", repo)
	}
	var repos struct {
		Repositories []struct{ RepositoryName string }
	}
	awstest.CLIJSON(t, ep, region, &repos, "ecr", "describe-repositories")
	if len(repos.Repositories) != 1 {
		t.Errorf("describe-repositories = %+v", repos)
	}
	awstest.CLIJSON(t, ep, region, nil, "ecr", "put-image", "--repository-name", "team/app", "--image-tag", "1.0", "--image-manifest", ecrManifest(1, 100, 200))
	awstest.CLIJSON(t, ep, region, nil, "ecr", "put-image", "--repository-name", "team/app", "--image-tag", "2.0", "--image-manifest", ecrManifest(2, 1000))
	var imgs struct {
		ImageDetails []struct {
			ImageTags        []string
			ImageSizeInBytes int64
			ImageDigest      string
			ImagePushedAt    float64
		}
	}
	awstest.CLIJSON(t, ep, region, &imgs, "ecr", "describe-images", "--repository-name", "team/app", "--page-size", "1")
	if len(imgs.ImageDetails) != 2 || imgs.ImageDetails[0].ImageSizeInBytes != 300 || imgs.ImageDetails[1].ImageTags[0] != "2.0" {
		t.Errorf("describe-images = %+v", imgs)
	}
	awstest.CLIJSON(t, ep, region, &imgs, "ecr", "describe-images", "--repository-name", "team/app", "--image-ids", "imageTag=2.0")
	if len(imgs.ImageDetails) != 1 || imgs.ImageDetails[0].ImageSizeInBytes != 1000 {
		t.Errorf("describe-images 2.0 = %+v", imgs)
	}
	var del struct {
		ImageIds []struct{ ImageTag string }
		Failures []struct{ FailureCode string }
	}
	awstest.CLIJSON(t, ep, region, &del, "ecr", "batch-delete-image", "--repository-name", "team/app", "--image-ids", "imageTag=1.0", "imageTag=9.9")
	if len(del.ImageIds) != 1 || len(del.Failures) != 1 || del.Failures[0].FailureCode != "ImageNotFound" {
		t.Errorf("batch-delete-image = %+v", del)
	}
	for _, tc := range []struct {
		code string
		args []string
	}{
		{"RepositoryNotFoundException", []string{"ecr", "describe-images", "--repository-name", "nope"}},
		{"ImageNotFoundException", []string{"ecr", "describe-images", "--repository-name", "team/app", "--image-ids", "imageTag=9.9"}},
		{"RepositoryAlreadyExistsException", []string{"ecr", "create-repository", "--repository-name", "team/app"}},
		{"ImageAlreadyExistsException", []string{"ecr", "put-image", "--repository-name", "team/app", "--image-tag", "2.0", "--image-manifest", ecrManifest(2, 1000)}},
		{"RepositoryNotEmptyException", []string{"ecr", "delete-repository", "--repository-name", "team/app"}},
		{"InvalidParameterException", []string{"ecr", "create-repository", "--repository-name", "Bad Name"}},
	} {
		if code, msg := awstest.CLIError(t, ep, region, tc.args...); code != tc.code {
			t.Errorf("aws %s: %s (%s), want %s", strings.Join(tc.args, " "), code, msg, tc.code)
		}
	}
	awstest.CLIJSON(t, ep, region, nil, "ecr", "delete-repository", "--repository-name", "team/app", "--force")
}

// ecrScenario runs the same ECR session against one endpoint and records what a client
// observes.
func ecrScenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	c := ecr.NewFromConfig(awstest.SDKConfig(endpoint, "eu-west-1"))
	r := &record{}
	tok, err := c.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		r.add("token: %s", ssmErr(err))
	} else {
		a := tok.AuthorizationData[0]
		raw, _ := base64.StdEncoding.DecodeString(*a.AuthorizationToken)
		r.add("token: prefix=%q proxy=%s", strings.SplitN(string(raw), ":", 2)[0]+":", *a.ProxyEndpoint)
		r.add("token expiry set: %v", a.ExpiresAt != nil)
		r.add("token expiry in the future: %v", a.ExpiresAt != nil && a.ExpiresAt.After(time.Now()))
	}
	cr, err := c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team/app")})
	if err != nil {
		r.add("create: %s", ssmErr(err))
	} else {
		r.add("create: uri=%s arn=%s mutability=%s", *cr.Repository.RepositoryUri, *cr.Repository.RepositoryArn, cr.Repository.ImageTagMutability)
	}
	_, err = c.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("team/app")})
	r.add("create again: %s", ssmErr(err))

	put := func(step, tag, manifest string) {
		out, err := c.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String("team/app"), ImageTag: aws.String(tag), ImageManifest: aws.String(manifest)})
		if err != nil {
			r.add("%s: %s", step, ssmErr(err))
			return
		}
		r.add("%s: tag=%s", step, aws.ToString(out.Image.ImageId.ImageTag))
	}
	put("put 1.0", "1.0", ecrManifest(1, 100, 200))
	put("put 2.0", "2.0", ecrManifest(2, 4000))
	put("put latest", "latest", ecrManifest(2, 4000))
	put("put latest again", "latest", ecrManifest(2, 4000))

	var all, sizes []string
	p := ecr.NewDescribeImagesPaginator(c, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/app"), MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			r.add("describe all: %s", ssmErr(err))
			break
		}
		for _, d := range out.ImageDetails {
			all = append(all, fmt.Sprintf("%v/%v", sorted(d.ImageTags), d.ImagePushedAt != nil))
			sizes = append(sizes, fmt.Sprintf("%v=%d", sorted(d.ImageTags), aws.ToInt64(d.ImageSizeInBytes)))
		}
	}
	r.add("describe all: %s", sorted(all))
	r.add("describe all sizes: %s", sorted(sizes))
	d, err := c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/app"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("latest")}}})
	if err != nil {
		r.add("describe latest: %s", ssmErr(err))
	} else {
		r.add("describe latest: n=%d tags=%s digest=%v", len(d.ImageDetails), sorted(d.ImageDetails[0].ImageTags), strings.HasPrefix(aws.ToString(d.ImageDetails[0].ImageDigest), "sha256:"))
		r.add("describe latest size: %d", aws.ToInt64(d.ImageDetails[0].ImageSizeInBytes))
	}
	_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("team/app"), ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("9.9")}}})
	r.add("describe missing tag: %s", ssmErr(err))
	_, err = c.DescribeImages(ctx, &ecr.DescribeImagesInput{RepositoryName: aws.String("nope")})
	r.add("describe missing repository: %s", ssmErr(err))
	dr, err := c.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
	if err != nil {
		r.add("repositories: %s", ssmErr(err))
	} else {
		var names []string
		for _, rp := range dr.Repositories {
			names = append(names, *rp.RepositoryName)
		}
		r.add("repositories: %s", sorted(names))
	}
	bd, err := c.BatchDeleteImage(ctx, &ecr.BatchDeleteImageInput{RepositoryName: aws.String("team/app"),
		ImageIds: []types.ImageIdentifier{{ImageTag: aws.String("1.0")}, {ImageTag: aws.String("9.9")}}})
	if err != nil {
		r.add("batch delete: %s", ssmErr(err))
	} else {
		var ids, failures []string
		for _, id := range bd.ImageIds {
			ids = append(ids, aws.ToString(id.ImageTag))
		}
		for _, f := range bd.Failures {
			failures = append(failures, fmt.Sprintf("%s:%s:%s", aws.ToString(f.ImageId.ImageTag), f.FailureCode, aws.ToString(f.FailureReason)))
		}
		r.add("batch delete: deleted=%s failures=%s", sorted(ids), sorted(failures))
	}
	_, err = c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("team/app")})
	r.add("delete non-empty: %s", ssmErr(err))
	_, err = c.DeleteRepository(ctx, &ecr.DeleteRepositoryInput{RepositoryName: aws.String("team/app"), Force: true})
	r.add("delete forced: %s", ssmErr(err))
	return r
}

// TestECRAgainstMoto runs one ECR session against moto_server and awsemu and compares
// what the client observes.
func TestECRAgainstMoto(t *testing.T) {
	t.Parallel()
	moto := awstest.StartMoto(t)
	srv := emulatortest.Start(t)
	compareRecords(t, ecrScenario(t, srv.URL()), ecrScenario(t, moto), "token expiry in the future", "describe all sizes", "describe latest size")
}
