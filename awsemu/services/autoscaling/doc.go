// Package autoscaling is awsemu's Amazon EC2 Auto Scaling over the awsQuery protocol:
// Auto Scaling groups (launch configuration, launch template, mixed instances policy with
// overrides) and launch configurations, created, described with paging, updated and
// deleted; groups that keep their capacity on the server's clock; instance refreshes.
//
// The service is an awsemu.Ticker: before each request the server ticks it, and every group
// launches instances through EC2 (Server.EC2's awsemu.InstanceStore) up to its desired
// capacity, spread over its zones or subnets, tagged aws:autoscaling:groupName and with its
// PropagateAtLaunch tags, or terminates the surplus by the Default termination policy.
// Instances are Pending for LaunchDelay, then InService; an instance EC2 reports in any
// state but running, or that SetInstanceHealth marks Unhealthy, is terminated (Terminating
// for TerminateDelay) and replaced. A failed launch is a Failed scaling activity
// (DescribeScalingActivities) and is retried after LaunchRetryDelay. A launch template whose
// ImageId is resolve:ssm:<parameter> resolves at each launch (EC2 does it).
//
// Instance refreshes (StartInstanceRefresh, DescribeInstanceRefreshes, CancelInstanceRefresh,
// RollbackInstanceRefresh) replace instances rolling, within the minimum and maximum
// healthy percentages, waiting InstanceWarmup after each new instance is InService and
// CheckpointDelay at each checkpoint, skipping matching instances when asked, baking
// BakeTime, then the group takes the desired configuration. A refresh that makes no
// progress for an hour fails (and rolls back with AutoRollback).
//
// The service implements awsemu.AutoScalingStore (New sets Server.AutoScaling) for EKS
// managed node groups: their groups and hidden refreshes.
//
// Without EC2 on the server, groups launch nothing and launch templates are not checked;
// groups with a launch configuration launch nothing (DIFFERENCES.md).
package autoscaling
