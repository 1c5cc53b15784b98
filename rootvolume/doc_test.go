package rootvolume_test

import (
	"fmt"

	"github.com/winami/winami/rootvolume"
)

// Two images measured at 3 GiB together, one image whose registry could not be read.
func ExampleCompute() {
	c := rootvolume.Cache{Images: 3, MeasuredImages: 2, MeasuredBytes: 3 << 30, EstimatedImages: 1, EstimateReasons: []string{"registry.example.com/app:1: unauthorized"}}
	s := rootvolume.Compute(c, rootvolume.Options{})
	fmt.Println(s.GiB)
	fmt.Println(s.Formula)
	// Output:
	// 87
	// 50 GiB parent + ceil((3.00 GiB uncompressed of 2 images measured + 8 GiB × 1 image estimated) × 1.50 headroom) + 20 GiB free = 87 GiB (minimum 50)
}
