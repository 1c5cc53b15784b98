package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/internal/awsfixture"
)

// enterpriseBuildWorld is the sandbox with a second account, prepared as the example's
// header says (enterpriseWorld: the target account's role from iam-policy --for
// target-account, the keys, the log bucket, the instance role's log policy). The example
// is scanned, so its pipeline has no execution role to create.
func enterpriseBuildWorld(t *testing.T) *awsemu.Server {
	t.Helper()
	srv := useEmulator(t, buildClock(), emulator.WithPeerAccounts(emulator.SandboxPeerAccount))
	enterpriseWorld(t, srv)
	return srv
}

// TestEnterpriseExampleBuild: examples/enterprise-win2022.yaml builds in the sandbox; with
// seeded CRITICAL findings, --fail-on critical exits 1 and publishes nothing in either
// account; once the findings are gone the build publishes in both accounts' regions.
func TestEnterpriseExampleBuild(t *testing.T) {
	t.Parallel()
	srv := enterpriseBuildWorld(t)
	if _, errOut, code := run(t, "apply", "-f", enterpriseExample, "--no-registry", "--yes"); code != 0 {
		t.Fatalf("apply: exit %d:\n%s", code, errOut)
	}
	seedCLIFindings(t, srv, "CRITICAL", "MEDIUM")
	out, errOut, code := run(t, "build", "-f", enterpriseExample, "--no-registry", "--poll-interval", "20ms", "--fail-on", "critical", "-o", "json")
	if code != 1 || !strings.Contains(errOut, "1 finding(s) reach --fail-on critical") || !strings.Contains(errOut, "was not published") {
		t.Fatalf("gated enterprise build: exit %d:\n%s", code, errOut)
	}
	var res struct {
		AMIs []struct {
			Account, Region, ImageID string
		} `json:"amis"`
		Published []any `json:"published"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.AMIs) != 4 || len(res.Published) != 0 {
		t.Errorf("gated enterprise build: %+v", res)
	}
	for _, r := range []string{"us-east-1", "us-west-2"} {
		for _, key := range []string{"", awsemu.AccessKeyFor(emulator.SandboxPeerAccount)} {
			cfg := awstest.SDKConfig(srv.URL(), r)
			if key != "" {
				cfg = awstest.SDKConfigAs(srv.URL(), r, key, "secret", "")
			}
			_, err := awsfixture.New(cfg).GetParameter(context.Background(), "/winami/enterprise-win2022/image_id")
			if awsapi.ErrorCode(err) != "ParameterNotFound" {
				t.Errorf("parameter in %s (account key %q) after the gate: %v, want ParameterNotFound", r, key, err)
			}
		}
	}

	seedCLIFindings(t, srv)
	out, errOut, code = run(t, "build", "-f", enterpriseExample, "--no-registry", "--poll-interval", "20ms", "--fail-on", "critical", "-o", "json")
	if code != 0 {
		t.Fatalf("enterprise build: exit %d:\n%s", code, errOut)
	}
	res.AMIs, res.Published = nil, nil
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if len(res.AMIs) != 4 || len(res.Published) != 4 {
		t.Errorf("enterprise build: %+v\n%s", res, errOut)
	}

	// A failed build names the S3 location of its logs, where Image Builder wrote them.
	ctx := context.Background()
	api := awsfixture.New(awstest.SDKConfig(srv.URL(), "us-east-1"))
	pl, err := api.ListImagePipelines(ctx)
	if err != nil || len(pl.ImagePipelineList) != 1 {
		t.Fatalf("listing pipelines: %v", err)
	}
	if _, err := api.TagResource(ctx, pl.ImagePipelineList[0].Arn, map[string]string{"awsemu:fail-at": "TESTING"}); err != nil {
		t.Fatal(err)
	}
	_, errOut, code = run(t, "build", "-f", enterpriseExample, "--no-registry", "--no-apply", "--poll-interval", "20ms")
	prefix := "enterprise-win2022/enterprise-win2022/1.0.0/3/"
	if code != 1 || !strings.Contains(errOut, "logs:   s3://winami-build-logs-123456789012/"+prefix) ||
		!strings.Contains(errOut, "aws s3 cp --recursive s3://winami-build-logs-123456789012/"+prefix) {
		t.Fatalf("failed enterprise build: exit %d:\n%s", code, errOut)
	}
	s3c := s3.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"), func(o *s3.Options) { o.UsePathStyle = true })
	objs, err := s3c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("winami-build-logs-123456789012"), Prefix: aws.String(prefix)})
	if err != nil || len(objs.Contents) == 0 {
		t.Errorf("no log object under the printed location %s: %v", prefix, err)
	}
}
