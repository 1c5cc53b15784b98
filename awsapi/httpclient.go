package awsapi

import (
	"io"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// NewHTTPClient returns the SDK's default HTTP client with request bodies that do not
// expose io.WriterTo to net/http (see WrapHTTPClient).
func NewHTTPClient() aws.HTTPClient {
	return WrapHTTPClient(awshttp.NewBuildableClient())
}

// WrapHTTPClient wraps an SDK HTTP client so that request bodies reach net/http without
// their io.WriterTo method.
//
// It works around a race in smithy-go (v1.28): the SDK closes a request body as soon as
// the response headers arrive, and a closed body's WriteTo answers io.EOF, which
// net/http's writer (still checking for bytes past Content-Length) takes as a write error;
// it then closes the connection under a response body that is still being read ("use of
// closed network connection" while decoding a large response, such as a DescribeImages
// page). Hiding WriteTo makes net/http copy the body with Read, which the race cannot hit.
// Wrapping (rather than replacing) the client keeps what the loaded config set on it,
// such as AWS_CA_BUNDLE's root certificates.
// A nil client (what the config loader leaves when nothing customises it) stands for the
// SDK's default client.
func WrapHTTPClient(c aws.HTTPClient) aws.HTTPClient {
	if c == nil {
		c = awshttp.NewBuildableClient()
	}
	if _, ok := c.(noWriterTo); ok {
		return c
	}
	return noWriterTo{c}
}

// noWriterTo is an HTTP client that hides the request body's WriteTo method.
type noWriterTo struct{ c aws.HTTPClient }

// Do sends the request with its body reduced to Read and Close.
func (n noWriterTo) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		if _, ok := req.Body.(io.WriterTo); ok {
			req = req.Clone(req.Context())
			req.Body = struct{ io.ReadCloser }{req.Body}
		}
	}
	return n.c.Do(req)
}
