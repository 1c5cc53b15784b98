package awsapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
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
	t.Setenv("AWS_REGION", "us-east-1")
	// A CA bundle makes the loader configure the SDK's own client: the wrapper must keep that.
	t.Setenv("AWS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
	c, err := Load(context.Background(), Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Config().HTTPClient.(noWriterTo); !ok {
		t.Errorf("HTTPClient is %T, want noWriterTo", c.Config().HTTPClient)
	}
}
