// Package conformance proves awsemu against independent clients and an independent
// implementation. It holds tests only:
//
//   - every operation awsemu implements is driven with the AWS CLI, whose botocore parses
//     each response with the official service model, so a malformed shape fails;
//   - where moto 5.2 implements an operation too, one scenario runs against moto_server
//     and against awsemu, and the observable results (values, error codes, pagination,
//     ordering where the API defines it) are compared.
//
// The tests build only with the conformance tag (about 6 minutes on 2 cores, most of it
// in the AWS CLI and moto), so a plain go test of the emulator module stays fast:
//
//	cd awsemu && go test -tags conformance ./conformance
//
// CI runs them in a step of their own (.ci/run). They need the aws CLI and moto_server;
// when either is missing they fail and say what to install, never skip. Differences kept on purpose are listed in DIFFERENCES.md.
//
// Each service owner adds its own file (ssm_test.go, ec2_test.go, imagebuilder_test.go…);
// harness_test.go holds what they share.
package conformance
