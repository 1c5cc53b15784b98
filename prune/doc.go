// Package prune removes the old AMIs of a spec's pipeline safely.
//
// Candidates are only the AMIs the account owns that the spec's pipeline produced: tagged
// winami:name=<metadata.name>, winami:managed-by=winami and Ec2ImageBuilderArn, in every
// distribution region, disabled AMIs included (DescribeImages IncludeDisabled). A candidate
// is kept when it is one of the newest N, younger than --older-than, used by an instance in
// any state but terminated, named by any version of any launch template (directly or
// through resolve:ssm:), by an Auto Scaling group's mixed instances policy or by a launch
// configuration, named by a Spot Fleet request, EC2 Fleet or Spot Instance request that is
// not over, the parent image of an Image Builder recipe of the account, published in the
// spec's SSM parameter, run by a node of the cluster, named by one of Options.Guards
// (Karpenter's EC2NodeClasses), or shared through its launch permissions with other
// accounts, organizations or OUs (unless Options.IncludeShared). Every list call is
// paginated.
//
// Plan changes nothing; it reads the regions, and in each region its sources, at once.
// Execute handles the regions, and the AMIs of each region, at once (Pruner.Concurrency of
// each): for each AMI that goes it disables Fast Launch and waits until its pre-provisioned
// snapshots are gone, tags its snapshots winami:prune-pending and deregisters it; once a
// region's AMIs are done it deletes the snapshots no AMI uses any more. A failure on one AMI
// is recorded and the others continue; running prune again deletes what an earlier run
// left behind.
package prune
