// Package seed is the public world every awsemu endpoint starts from, built from the data
// file of package world (world.json, names as AWS publishes them, never winami's own
// code): for each seeded region, the SSM public parameters of every
// EKS-optimized Windows AMI (Windows Server 2019/2022/2025 × Core/Full × each supported
// Kubernetes version) and of the Windows Server base AMIs, each with a few monthly
// versions, and the Amazon-owned AMIs those versions point to.
//
// Everything is deterministic: AMI and snapshot ids are derived from a hash of the region
// and AMI name, so tests and `winami sandbox` see the same ids on every run.
package seed
