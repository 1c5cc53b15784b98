// Package rollout moves a cluster's Windows nodes to a new AMI: the EKS managed node
// groups, self-managed Auto Scaling groups and Karpenter EC2NodeClasses that launch an AMI
// of a spec (Discover, the Plan), canary first, gated on the cluster's health, rolled back
// when a gate fails (Run).
//
// A managed node group moves with a new launch template version and
// UpdateNodegroupVersion; an Auto Scaling group with a new launch template version and an
// instance refresh (checkpoints for the canary); a Karpenter EC2NodeClass that follows the
// published parameter needs no write (Karpenter's drift replaces its nodes), one that pins
// an AMI is patched only when the caller says yes.
package rollout
