package awsemu

import (
	"fmt"
	"testing"
)

func TestThrottleBucket(t *testing.T) {
	f := NewFaults()
	f.SetThrottleBucket(0.001, 3) // 3 tokens, next one in 1000 s
	var throttled []bool
	for range 5 {
		d := f.before("ssm", "GetParameters", "us-east-1")
		throttled = append(throttled, d != nil && d.err != nil && d.err.Throttle)
	}
	if d := f.before("ssm", "GetParameters", "eu-west-1"); d != nil {
		t.Errorf("another region's bucket is full: %+v", d)
	}
	if want := []bool{false, false, false, true, true}; fmt.Sprint(throttled) != fmt.Sprint(want) {
		t.Errorf("throttled = %v, want %v", throttled, want)
	}
}
