// Package e2e holds winami's end-to-end tests against a real Kubernetes API server
// (kube-apiserver v1.37.2 and etcd, started on 127.0.0.1 by e2e/setup.sh) and awsemu
// over HTTP. The tests carry the build tag e2e, so `go test ./...` does not run them:
//
//	e2e/setup.sh test            # build, start, go test -tags e2e ./e2e/..., stop
//
// or, keeping the control plane up between runs:
//
//	e2e/setup.sh up && source /tmp/winami-e2e/env
//	go test -tags e2e -count=1 ./e2e/...
//	e2e/setup.sh down
//
// With the tag and without a reachable API server (WINAMI_E2E_KUBECONFIG unset or
// pointing nowhere) the tests fail, naming what is missing. The kube-apiserver and etcd
// binaries come from the separate modules e2e/apiserver and e2e/etcd, which keep
// k8s.io/kubernetes out of winami's go.mod.
//
// NodeAgent (and the program e2e/nodeagent) stands in for the kubelets of a cluster's
// Windows instances: it polls the instances awsemu runs for a cluster and registers,
// readies and removes their Nodes (with a stand-in DaemonSet pod each) in the test API
// server, with the Windows build and kubelet of their AMI, and can be told to fail
// readiness on new nodes, so rollout's gate and rollback meet a real API server.
// rollout_test.go drives the "Done when" with it: a spec built twice, an Auto
// Scaling group and a managed node group moved by `winami rollout`, canary first, and
// rolled back when the canary's node never turns Ready.
package e2e
