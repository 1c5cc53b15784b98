// Package ec2 is awsemu's Amazon EC2: images, snapshots, instances, launch templates,
// regions, VPCs, subnets, security groups, key pairs, tags, instance types and their
// offerings per Region and zone, and Windows Fast Launch, spoken over the ec2 query protocol.
//
// DescribeInstanceTypeOfferings answers from a table of which of the known instance types
// each Region and zone offers (offerings.go, with real holes such as us-east-1e);
// Service.InstanceTypeOffered and the other awsemu.EC2Store lookups (Subnet, DefaultSubnet,
// SecurityGroup, KeyPairExists, LaunchTemplate) let Image Builder check a build launch
// against the same state.
//
// Every region starts as an AWS account does: a default VPC (172.31.0.0/16) with one
// default subnet per availability zone (AvailabilityZones) and a "default" security
// group. DeleteVpc (after DeleteSubnet of its subnets) leaves a region without a default
// VPC, CreateDefaultVpc brings it back; CreateVpc, CreateSubnet and CreateSecurityGroup
// build private networks. Deletes answer DependencyViolation while something depends on
// the resource, as EC2 does. Instances launch into a subnet (SubnetId, else the default
// VPC's) with its VPC's groups.
//
// State is kept per region. The seeded public images are passed to New; everything else
// is created through the real EC2 operations (RunInstances, CreateImage, RegisterImage,
// CreateLaunchTemplate, …), so tests build their world over HTTP with real clients.
// Every mutating operation honours DryRun (DryRunOperation, HTTP 412, when the call would
// have succeeded).
//
// Fast Launch follows the real state machine on the server's Clock: EnableFastLaunch
// puts an image in "enabling", which becomes "enabled" after FastLaunchEnableDelay;
// DisableFastLaunch puts it in "disabling", and after FastLaunchDisableDelay it is gone.
// Fault injection: an image tagged FailFastLaunchTag (with CreateTags, over HTTP) ends in
// "enabling-failed" instead, with the tag's value as its StateTransitionReason;
// (*Service).FailFastLaunch does the same for in-process harnesses.
package ec2
