// Package rollout moves a cluster's Windows nodes to a new AMI: the EKS managed node
// groups, self-managed Auto Scaling groups and Karpenter EC2NodeClasses that launch an AMI
// of a spec (Discover, the Plan), canary first, gated on the cluster's health, rolled back
// when a gate fails (Run).
//
// A managed node group moves with a new launch template version and
// UpdateNodegroupVersion; an Auto Scaling group with a new launch template version and an
// instance refresh (a checkpoint for the canary, ended early once the canary passes its
// gate: the refresh cancelled, a refresh of the rest started with skip matching — except
// for a template that resolves an SSM parameter, which waits the checkpoint out); a
// Karpenter EC2NodeClass that follows the
// published parameter needs no write (Karpenter's drift replaces its nodes), one that pins
// an AMI is patched only when the caller says yes.
//
// Run's gates reuse package audit: after the canary and after each target, audit.Run with
// the new AMI and the spec's Kubernetes version expected, its error findings that name a
// new node (fleet-wide ones such as several AMIs, which a rollout in progress always has,
// aside), then the pods bound to the new nodes Running and Ready; without a kubeconfig,
// EC2 and Auto Scaling health. A failed gate, a failed refresh or update, the timeout or
// an interruption rolls back what the run changed, last target first: the published
// parameter to its previous value, RollbackInstanceRefresh (a group on a version number,
// whose refresh carried the new version as its desired configuration) or
// CancelInstanceRefresh and a refresh back (the launch template's default version, or a
// copy of the previous version for $Latest), and a node group updated to a copy of its
// previous launch template version (EKS does not go back to an earlier one).
//
// Run reads time through RunOptions.Now and waits through RunOptions.Sleep, so its tests
// step awsemu's manual clock instead of waiting.
package rollout
