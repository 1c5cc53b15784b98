package awsapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

type captureRT struct{ body io.ReadCloser }

func (c *captureRT) Do(req *http.Request) (*http.Response, error) {
	c.body = req.Body
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

func TestNoWriterToHidesWriteTo(t *testing.T) {
	inner := &captureRT{}
	req, _ := http.NewRequest("POST", "http://127.0.0.1:1/", io.NopCloser(bytes.NewReader([]byte("Action=DescribeImages"))))
	if _, ok := req.Body.(io.WriterTo); !ok {
		t.Fatal("the test body should expose WriteTo, as the SDK's does")
	}
	if _, err := WrapHTTPClient(inner).Do(req); err != nil {
		t.Fatal(err)
	}
	if _, ok := inner.body.(io.WriterTo); ok {
		t.Error("the transport still sees WriteTo")
	}
	if b, _ := io.ReadAll(inner.body); string(b) != "Action=DescribeImages" {
		t.Errorf("body = %q", b)
	}
}

func TestLoadUsesTheWrappedClient(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/xml")
		_, _ = io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>`)
	}))
	defer srv.Close()
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	// With no CA bundle the loader leaves the client nil; with one it configures the SDK's
	// own client. Both must end up wrapped, and both must work.
	for _, bundle := range []string{"", "/etc/ssl/certs/ca-certificates.crt"} {
		t.Setenv("AWS_CA_BUNDLE", bundle)
		if bundle != "" {
			if _, err := os.Stat(bundle); err != nil {
				continue
			}
		}
		c, err := Load(context.Background(), Settings{})
		if err != nil {
			t.Fatalf("bundle %q: %v", bundle, err)
		}
		if _, ok := c.Config().HTTPClient.(noWriterTo); !ok {
			t.Errorf("bundle %q: HTTPClient is %T, want noWriterTo", bundle, c.Config().HTTPClient)
		}
		out, err := c.STS("").GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
		if err != nil || aws.ToString(out.Account) != "123456789012" {
			t.Errorf("bundle %q: GetCallerIdentity through the wrapped client: %v, %v", bundle, out, err)
		}
	}
}
