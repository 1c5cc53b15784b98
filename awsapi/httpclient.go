package awsapi

import (
	"io"
	"net/http"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// NewHTTPClient returns the SDK's default HTTP client with request bodies that do not
// expose io.WriterTo to net/http.
//
// It works around a race in smithy-go (v1.28): the SDK closes a request body as soon as
// the response headers arrive, and a closed body's WriteTo answers io.EOF, which
// net/http's writer (still checking for bytes past Content-Length) takes as a write error;
// it then closes the connection under a response body that is still being read ("use of
// closed network connection" while decoding a large response, such as a DescribeImages
// page). Hiding WriteTo makes net/http copy the body with Read, which the race cannot hit.
func NewHTTPClient() *http.Client {
	return &http.Client{Transport: noWriterTo{awshttp.NewBuildableClient().GetTransport()}}
}

// noWriterTo is a RoundTripper that hides the request body's WriteTo method.
type noWriterTo struct{ rt http.RoundTripper }

// RoundTrip sends the request with its body reduced to Read and Close.
func (n noWriterTo) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody {
		if _, ok := req.Body.(io.WriterTo); ok {
			req = req.Clone(req.Context())
			req.Body = struct{ io.ReadCloser }{req.Body}
		}
	}
	return n.rt.RoundTrip(req)
}
