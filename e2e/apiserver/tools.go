//go:build tools

// Package apiserver pins the Kubernetes control-plane binaries that the e2e
// tests run: kube-apiserver is built from k8s.io/kubernetes at the version
// required in go.mod, outside winami's own module.
package apiserver

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
)
