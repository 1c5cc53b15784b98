package preflight_test

import (
	"fmt"

	"github.com/winami/winami/preflight"
)

func ExampleECRRepositoryARN() {
	arn, ok := preflight.ECRRepositoryARN("111122223333.dkr.ecr.us-east-1.amazonaws.com/team/app:1.4.2")
	fmt.Println(arn, ok)
	// Output: arn:aws:ecr:us-east-1:111122223333:repository/team/app true
}

func ExampleInstancePolicy() {
	managed, inline := preflight.InstancePolicy(preflight.Scope{})
	fmt.Println(managed)
	fmt.Println(inline.Statement[1].Action, inline.Statement[1].Resource)
	// Output:
	// [arn:aws:iam::aws:policy/EC2InstanceProfileForImageBuilder arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore]
	// [ecr:BatchGetImage ecr:GetDownloadUrlForLayer ecr:BatchCheckLayerAvailability] [arn:aws:ecr:*:*:repository/*]
}
