package prune_test

import (
	"fmt"

	"github.com/winami/winami/prune"
)

func ExampleParseAge() {
	for _, s := range []string{"30d", "2w", "36h"} {
		d, err := prune.ParseAge(s)
		fmt.Println(s, d, err)
	}
	// Output:
	// 30d 720h0m0s <nil>
	// 2w 336h0m0s <nil>
	// 36h 36h0m0s <nil>
}

func ExampleParseProviderID() {
	region, id, ok := prune.ParseProviderID("aws:///us-west-2b/i-0123456789abcdef0")
	fmt.Println(region, id, ok)
	// Output: us-west-2 i-0123456789abcdef0 true
}
