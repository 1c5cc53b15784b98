// Package world is the public AWS world the emulator starts from, read from world.json:
// the partitions and the Windows AMI owner accounts, the seeded regions, the EKS
// Kubernetes versions with their support status, the SSM public parameter names and AMI
// names of the EKS-optimized and base Windows Server AMIs, and the Amazon-managed Image
// Builder components, written as AWS publishes them, each group with its source URL.
//
// The file is data checked into the emulator, never derived from winami's own code:
// winami's catalog package is tested against it, so a name winami gets wrong fails a test
// instead of being seeded into the world winami is tested in.
package world
