// Package prune removes the old AMIs of a spec's pipeline safely.
//
// Candidates are only the AMIs the account owns that the spec's pipeline produced: tagged
// winami:name=<metadata.name>, winami:managed-by=winami and Ec2ImageBuilderArn, in every
// distribution region. A candidate is kept when it is one of the newest N, younger than
// --older-than, used by an instance in any state but terminated, named by any version of
// any launch template (directly or through resolve:ssm:), by an Auto Scaling group's mixed
// instances policy or by a launch configuration, published in the spec's SSM parameter, or
// run by a node of the cluster. Every list call is paginated.
//
// Plan changes nothing. Execute, for each AMI that goes (oldest first), disables Fast Launch
// and waits until its pre-provisioned snapshots are gone, deregisters the AMI and deletes
// its snapshots that no other AMI uses. A failure on one AMI is recorded and the others
// continue; snapshots are tagged winami:prune-pending before their AMI is deregistered, so
// running prune again deletes what an earlier run left behind.
package prune
