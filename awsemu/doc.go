// Package awsemu is a loopback AWS endpoint for tests and for `winami sandbox`.
//
// One HTTP server answers every service winami calls. The service and region of a
// request come from the SigV4 credential scope in its Authorization header, as they
// would from the host name on AWS, so real aws-sdk-go-v2 clients, the AWS CLI and
// boto3 reach it through AWS_ENDPOINT_URL unchanged. Each service speaks its own wire
// protocol (awsJson1_1, ec2 query, awsQuery, restJson1) and answers errors in that
// protocol's shape, so the SDK's typed errors come out right.
//
// The server starts from a seeded public world (EKS-optimized Windows AMIs and the SSM
// public parameters that point to them) and supports fault injection: latency,
// throttling, scripted errors, and request counts per operation and region.
//
// Time-driven state (builds, Fast Launch, Auto Scaling groups' capacity and instance
// refreshes, EKS node group updates) follows Server.Clock. Services that implement Ticker
// are ticked before each request, so that state moves when a request arrives, as far as
// the clock has gone (a ManualClock moves only when a test advances it).
//
// One endpoint serves several accounts: the server's own (Server.Account) and peers
// (Server.AddPeer, Server.Peer), each a world of its own services and stores sharing the
// clock and the faults. The access key id of a request says which account answers and who
// calls (Request.Principal): AccessKeyFor(account) reaches that account as its IAM user
// CallerUserName, the keys STS AssumeRole issues reach the role's account as the session
// (arn:aws:sts::<account>:assumed-role/<role>/<session>), and any other key is the server's
// own account's user.
//
// awsemu is a Go module of its own (github.com/winami/winami/awsemu) and imports nothing
// of winami: its public world comes from the data file of package world (names as AWS
// publishes them), emulator.New assembles a server and emulatortest.Start runs one for a
// Go test. Its differential suite against moto (package conformance) builds only with the
// conformance tag.
package awsemu
