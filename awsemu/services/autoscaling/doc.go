// Package autoscaling is awsemu's Amazon EC2 Auto Scaling, as much of it as winami needs to
// tell which AMIs groups use: Auto Scaling groups (launch configuration, launch template,
// mixed instances policy with overrides) and launch configurations, created, described
// with paging and deleted over the awsQuery protocol.
//
// Groups launch no instances; a group given subnets (VPCZoneIdentifier) without zones
// reports the region's first zone. Launch templates and AMIs named by groups and launch
// configurations are not checked against EC2 (real Auto Scaling checks them): tests
// build references to whatever they need.
package autoscaling
