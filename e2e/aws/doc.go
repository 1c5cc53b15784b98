// Package awse2e is winami's acceptance suite: the whole flow a team runs, end to end,
// through the winami binary as a user runs it, with the same assertions in two worlds.
//
// The flow (TestAcceptance): resolve the EKS-optimized Windows Server 2022 AMI → render
// the documents → plan and apply the Image Builder resources and the roles (twice: the
// second apply changes nothing) → doctor → build an image with one cached container image → check the
// AMIs, their tags and the published SSM parameter in every distribution region → resolve
// the parameter with winami → Fast Launch (the build's, then disable and enable with the
// CLI) → build --if-changed (nothing to do) → build again → prune the first AMIs. winami
// runs as a child process (built once by TestMain); exit codes and JSON outputs are
// checked, and the suite checks what AWS holds afterwards with the AWS SDK for Go v2,
// which it uses for nothing else but its own assertions and clean-up.
//
// # The sandbox (default)
//
//	go test ./e2e/aws/
//
// awsemu starts in-process on 127.0.0.1 with a clock sped up 6000×, and a loopback
// go-containerregistry registry serves the cached image. The flow runs twice, in parallel,
// each in a fresh sandbox: as the sandbox's administrator, and as a least-privilege
// operator (AdministratorAccess detached from the caller, the IAM user awsemu, and the
// output of `winami iam-policy --for operator -f winami.yaml` attached instead), which
// proves that the operator policy suffices. It is part of `go test ./...` and takes
// seconds.
//
// # A real account
//
//	WINAMI_E2E_AWS=1 AWS_PROFILE=… AWS_REGION=us-east-1 go test -timeout 6h -v -run TestAcceptance ./e2e/aws/
//
// The same flow, as the caller of AWS_PROFILE. Every resource is named with a random
// prefix (winami-e2e-<8 hex>) and carries the tag winami-e2e:run=<prefix> besides winami's
// own tags; everything whose name starts with the prefix is deleted when the test ends,
// failed or not (t.Cleanup, newest first, with retries: running builds cancelled, Fast
// Launch disabled, AMIs deregistered, snapshots deleted, SSM parameters, Image Builder
// images and resources, the build's CloudWatch Logs group, the roles and instance
// profile). A run that was killed before its clean-up
// is swept with WINAMI_E2E_AWS_SWEEP=<prefix> and -run TestSweep. The README's
// "Acceptance suite" section lists the optional variables (WINAMI_E2E_AWS_REGIONS,
// WINAMI_E2E_AWS_IMAGE, …), what the run creates, costs and how long it takes.
//
// The suite refuses to run (and says why) when the environment is ambiguous:
// WINAMI_E2E_AWS=1 with an AWS_ENDPOINT_URL[_<SERVICE>] on loopback (a sandbox), or an
// endpoint elsewhere without WINAMI_E2E_AWS=1, or a -timeout too short for real builds.
package awse2e
