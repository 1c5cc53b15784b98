// Package kube builds Kubernetes clients the way kubectl does: from --kubeconfig (or
// KUBECONFIG, or ~/.kube/config, or the in-cluster service account) and --context, with
// client-side rate limits sized for read-heavy listing.
//
// It is shared by the commands that read a cluster (images discover, audit, prune,
// rollout); Contexts lists a kubeconfig's contexts, read-only, for shell completion.
package kube
