package emulator

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/seed"
)

// TestWithSeed: a world made WithSeed serves those AMIs and parameters and no other, in
// its peer accounts too, and each account gets its own copy.
func TestWithSeed(t *testing.T) {
	var img awsemu.Image
	for _, i := range seed.Images() {
		if i.Region == "us-east-1" {
			img = i
			break
		}
	}
	param := awsemu.Parameter{Name: "/only/one", Region: "us-east-1", Type: "String",
		History: []awsemu.ParameterVersion{{Value: "x", DataType: "text"}}}
	srv := New(WithSeed([]awsemu.Image{img}, []awsemu.Parameter{param}), WithPeerAccounts(SandboxPeerAccount))
	for _, key := range []string{"AKIAIOSFODNN7EXAMPLE", awsemu.AccessKeyFor(SandboxPeerAccount)} {
		body := call(t, srv, key, "ec2", "", "Action=DescribeImages&Version=2016-11-15&Owner.1=amazon")
		if n := strings.Count(body, "<imageId>"); n != 1 || !strings.Contains(body, "<imageId>"+img.ID+"</imageId>") {
			t.Errorf("%s: DescribeImages answers %d images, want only %s:\n%.400s", key, n, img.ID, body)
		}
		body = call(t, srv, key, "ssm", "AmazonSSM.GetParametersByPath", `{"Path":"/","Recursive":true}`)
		if strings.Count(body, `"Name"`) != 1 || !strings.Contains(body, `"/only/one"`) {
			t.Errorf("%s: GetParametersByPath / answers %.400s, want /only/one alone", key, body)
		}
	}
}

func call(t *testing.T, srv *awsemu.Server, key, service, target, body string) string {
	t.Helper()
	hr := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	hr.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+key+"/20261206/us-east-1/"+service+"/aws4_request, SignedHeaders=host, Signature=0")
	if target != "" {
		hr.Header.Set("X-Amz-Target", target)
	}
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, hr)
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s: %d %s", service, body, rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}
