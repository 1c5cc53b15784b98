package ec2_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdk "github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestDescribeInstanceTypes(t *testing.T) {
	w := start(t)
	out, err := w.c.DescribeInstanceTypes(ctx, &sdk.DescribeInstanceTypesInput{
		InstanceTypes: []types.InstanceType{types.InstanceTypeT3Xlarge, types.InstanceTypeM6i2xlarge},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[types.InstanceType]types.InstanceTypeInfo{}
	for _, it := range out.InstanceTypes {
		got[it.InstanceType] = it
	}
	if len(got) != 2 {
		t.Fatalf("%d types, want t3.xlarge and m6i.2xlarge: %+v", len(out.InstanceTypes), out.InstanceTypes)
	}
	t3 := got[types.InstanceTypeT3Xlarge]
	if t3.VCpuInfo == nil || aws.ToInt32(t3.VCpuInfo.DefaultVCpus) != 4 || aws.ToInt32(t3.VCpuInfo.DefaultCores) != 2 ||
		t3.MemoryInfo == nil || aws.ToInt64(t3.MemoryInfo.SizeInMiB) != 16384 || !aws.ToBool(t3.CurrentGeneration) {
		t.Errorf("t3.xlarge: %+v %+v", t3.VCpuInfo, t3.MemoryInfo)
	}
	if m := got[types.InstanceTypeM6i2xlarge]; m.VCpuInfo == nil || aws.ToInt32(m.VCpuInfo.DefaultVCpus) != 8 {
		t.Errorf("m6i.2xlarge: %+v", m.VCpuInfo)
	}

	_, err = w.c.DescribeInstanceTypes(ctx, &sdk.DescribeInstanceTypesInput{InstanceTypes: []types.InstanceType{"t3.xlarge", "x9.nonsense"}})
	wantCode(t, err, "InvalidInstanceType")

	// Filter on vCPUs, and page through every type.
	f, err := w.c.DescribeInstanceTypes(ctx, &sdk.DescribeInstanceTypesInput{
		Filters: []types.Filter{{Name: aws.String("vcpu-info.default-vcpus"), Values: []string{"16"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.InstanceTypes) == 0 {
		t.Fatal("no type with 16 vCPUs")
	}
	for _, it := range f.InstanceTypes {
		if aws.ToInt32(it.VCpuInfo.DefaultVCpus) != 16 {
			t.Errorf("filter vcpu 16 answered %s with %d", it.InstanceType, aws.ToInt32(it.VCpuInfo.DefaultVCpus))
		}
	}
	seen, pages := map[types.InstanceType]bool{}, 0
	p := sdk.NewDescribeInstanceTypesPaginator(w.c, &sdk.DescribeInstanceTypesInput{MaxResults: aws.Int32(5)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.InstanceTypes) > 5 {
			t.Fatalf("page of %d with MaxResults 5", len(page.InstanceTypes))
		}
		for _, it := range page.InstanceTypes {
			if seen[it.InstanceType] {
				t.Fatalf("%s answered twice", it.InstanceType)
			}
			seen[it.InstanceType] = true
		}
	}
	if pages < 2 || !seen[types.InstanceTypeT3Xlarge] || !seen[types.InstanceTypeC5Large] {
		t.Errorf("%d pages, %d types", pages, len(seen))
	}
}
