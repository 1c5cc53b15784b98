// Package kube builds Kubernetes clients the way kubectl does: from --kubeconfig (or
// KUBECONFIG, or ~/.kube/config, or the in-cluster service account) and --context, with
// client-side rate limits sized for read-heavy listing.
//
// It is shared by the commands that read a cluster (images discover, audit).
package kube
