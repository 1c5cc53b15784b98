package awsapi

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// recordHost answers every request with GetBucketLocation's empty result and records its URL.
type recordHost struct{ urls []string }

func (r *recordHost) Do(req *http.Request) (*http.Response, error) {
	r.urls = append(r.urls, req.URL.Host+req.URL.Path)
	body := `<?xml version="1.0" encoding="UTF-8"?><LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/xml"}}, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
}

// With a custom endpoint by host name (AWS_ENDPOINT_URL=http://localhost:4566), S3 requests
// name the bucket in the path, not in a host name (bucket.localhost) that needs DNS; the
// SDK's own default would be virtual-hosted.
func TestS3PathStyleWithACustomEndpoint(t *testing.T) {
	rec := &recordHost{}
	c := FromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		BaseEndpoint: aws.String("http://localhost:4566"), HTTPClient: rec})
	if _, err := c.S3("us-east-1").GetBucketLocation(context.Background(), &s3.GetBucketLocationInput{Bucket: aws.String("winami-logs")}); err != nil {
		t.Fatal(err)
	}
	if len(rec.urls) != 1 || rec.urls[0] != "localhost:4566/winami-logs" {
		t.Errorf("requests %v, want localhost:4566/winami-logs", rec.urls)
	}
	// The SDK alone, for contrast: virtual-hosted.
	rec.urls = nil
	plain := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", ""),
		BaseEndpoint: aws.String("http://localhost:4566"), HTTPClient: rec})
	if _, err := plain.GetBucketLocation(context.Background(), &s3.GetBucketLocationInput{Bucket: aws.String("winami-logs")}); err != nil {
		t.Fatal(err)
	}
	if len(rec.urls) != 1 || !strings.HasPrefix(rec.urls[0], "winami-logs.localhost") {
		t.Errorf("the SDK alone sent %v: no longer virtual-hosted, so Clients.S3 may not need UsePathStyle", rec.urls)
	}
}
