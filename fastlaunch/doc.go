// Package fastlaunch turns EC2 Windows Fast Launch on and off for an AMI, reports its
// state and waits for it to settle, with the checks EC2 does not explain.
//
// Fast Launch keeps pre-provisioned snapshots of a Windows AMI that already passed Sysprep
// specialize, OOBE and the reboot. EC2 accepts it only for AMIs the account owns (never the
// public Amazon EKS AMI), needs MaxParallelLaunches ≥ 6, a launch template or a default VPC
// and, on first use, iam:CreateServiceLinkedRole; it reports failures as a state with a
// terse StateTransitionReason. Its snapshot instances (t3.xlarge unless the launch
// template says otherwise) also need room in the region's On-Demand vCPU quota. Preflight
// checks each of those before EnableFastLaunch and says how to fix what fails.
//
// A Client works in one region. `winami fast-launch`, `winami build` and `winami prune`
// all go through it:
//
//	c := fastlaunch.New(clients, "us-east-1")
//	res, err := c.Enable(ctx, "ami-0123…", fastlaunch.Settings{MaxParallelLaunches: 6})
//	st, err := c.Wait(ctx, "ami-0123…", fastlaunch.UntilEnabled, fastlaunch.WaitOptions{})
package fastlaunch
