// Package awsjson speaks the awsJson1_1 wire protocol (SSM, ECR): every request is a POST
// of a JSON document to "/" naming its operation in the X-Amz-Target header
// ("AmazonSSM.GetParameter"); responses are JSON documents of content type
// application/x-amz-json-1.1; errors are HTTP 4xx/5xx with a JSON body whose "__type" is
// the error code and "message" the message, which the SDKs turn into typed errors.
//
// Timestamps travel as epoch seconds (with fractions), as the protocol defines.
package awsjson
