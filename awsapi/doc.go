// Package awsapi lists, one narrow interface per AWS service, the methods winami calls,
// and builds the aws-sdk-go-v2 clients that satisfy them from the standard AWS settings
// (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE>), with a
// retryer tuned for throttling.
package awsapi
