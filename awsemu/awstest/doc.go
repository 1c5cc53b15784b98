// Package awstest is the harness the awsemu tests share: it starts moto_server for
// differential tests, runs the AWS CLI against an endpoint with dummy credentials and no
// user configuration, and builds an aws-sdk-go-v2 config aimed at a loopback endpoint.
//
// Missing tools fail the test with a message that says what to install; they never skip.
package awstest
