//go:build conformance

package conformance_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	sq "github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

// TestServiceQuotasWithAWSCLI drives the Service Quotas operations awsemu implements, and
// EC2 DescribeInstanceTypes, with the AWS CLI (botocore parses every answer with the
// official models).
func TestServiceQuotasWithAWSCLI(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t)
	ep, region := srv.URL(), "eu-west-1"
	type quota struct {
		Quota struct {
			ServiceCode, QuotaCode, QuotaName, QuotaArn, Unit string
			Value                                             float64
			Adjustable                                        bool
			UsageMetric                                       struct{ MetricDimensions map[string]string }
		}
	}
	var q quota
	awstest.CLIJSON(t, ep, region, &q, "service-quotas", "get-service-quota", "--service-code", "ec2", "--quota-code", "L-1216C47A")
	if q.Quota.Value != 256 || q.Quota.QuotaArn != "arn:aws:servicequotas:eu-west-1:"+awsemu.DefaultAccount+":ec2/L-1216C47A" ||
		!strings.HasPrefix(q.Quota.QuotaName, "Running On-Demand Standard") || q.Quota.UsageMetric.MetricDimensions["Resource"] != "vCPU" {
		t.Errorf("get-service-quota = %+v", q)
	}
	body := `{"region":"eu-west-1","serviceCode":"ec2","quotaCode":"L-1216C47A","value":32}`
	resp, err := http.Post(ep+awsemu.ControlPrefix+"servicequotas", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	awstest.CLIJSON(t, ep, region, &q, "service-quotas", "get-service-quota", "--service-code", "ec2", "--quota-code", "L-1216C47A")
	if q.Quota.Value != 32 {
		t.Errorf("after applying 32: %+v", q)
	}
	var d quota
	awstest.CLIJSON(t, ep, region, &d, "service-quotas", "get-aws-default-service-quota", "--service-code", "ec2", "--quota-code", "L-1216C47A")
	if d.Quota.Value != 5 || d.Quota.QuotaArn != "arn:aws:servicequotas:eu-west-1::ec2/L-1216C47A" || !d.Quota.Adjustable {
		t.Errorf("get-aws-default-service-quota = %+v", d)
	}
	for _, args := range [][]string{
		{"get-service-quota", "--service-code", "ec2", "--quota-code", "L-00000000"},
		{"get-aws-default-service-quota", "--service-code", "nosuchservice", "--quota-code", "L-1216C47A"},
	} {
		_, stderr, code := awstest.AWSCLI(t, ep, region, append([]string{"service-quotas"}, args...)...)
		if code == 0 || !strings.Contains(string(stderr), "NoSuchResourceException") {
			t.Errorf("aws service-quotas %s: exit %d, %s", strings.Join(args, " "), code, stderr)
		}
	}
	var types struct {
		InstanceTypes []struct {
			InstanceType string
			VCpuInfo     struct{ DefaultVCpus, DefaultCores, DefaultThreadsPerCore int }
			MemoryInfo   struct{ SizeInMiB int }
		}
	}
	awstest.CLIJSON(t, ep, region, &types, "ec2", "describe-instance-types", "--instance-types", "t3.xlarge", "c6i.4xlarge")
	got := map[string]int{}
	for _, it := range types.InstanceTypes {
		got[it.InstanceType] = it.VCpuInfo.DefaultVCpus
	}
	if len(got) != 2 || got["t3.xlarge"] != 4 || got["c6i.4xlarge"] != 16 {
		t.Errorf("describe-instance-types = %+v", types)
	}
	// The CLI pages through every type on its own.
	awstest.CLIJSON(t, ep, region, &types, "ec2", "describe-instance-types", "--page-size", "5")
	if len(types.InstanceTypes) < 30 {
		t.Errorf("describe-instance-types (all, pages of 5) = %d types", len(types.InstanceTypes))
	}
}

func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "error"
	}
	return "ok"
}

// serviceQuotasScenario records, through the SDK, what winami's Fast Launch preflight asks:
// the vCPUs of instance types and the EC2 vCPU quota, plus the errors of unknown codes.
func serviceQuotasScenario(t *testing.T, endpoint string) *record {
	t.Helper()
	ctx := context.Background()
	cfg := awstest.SDKConfig(endpoint, "us-east-1")
	q, e := sq.NewFromConfig(cfg), ec2.NewFromConfig(cfg)
	r := &record{}
	_, err := q.GetServiceQuota(ctx, &sq.GetServiceQuotaInput{ServiceCode: aws.String("nosuchservice"), QuotaCode: aws.String("L-1216C47A")})
	r.add("unknown service: %s", apiCode(err))
	out, err := q.GetServiceQuota(ctx, &sq.GetServiceQuotaInput{ServiceCode: aws.String("ec2"), QuotaCode: aws.String("L-1216C47A")})
	if err != nil {
		r.add("ec2 vcpu quota: %s", apiCode(err))
	} else {
		r.add("ec2 vcpu quota: %v %s", aws.ToFloat64(out.Quota.Value), aws.ToString(out.Quota.QuotaName))
	}
	its, err := e.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []ec2types.InstanceType{"t3.xlarge", "m6i.2xlarge", "m5.large", "r6i.xlarge"}})
	if err != nil {
		r.add("instance types: %s", apiCode(err))
	} else {
		var rows []string
		for _, it := range its.InstanceTypes {
			rows = append(rows, fmt.Sprintf("%s=%d/%d/%d/%d", it.InstanceType, aws.ToInt32(it.VCpuInfo.DefaultVCpus), aws.ToInt32(it.VCpuInfo.DefaultCores),
				aws.ToInt32(it.VCpuInfo.DefaultThreadsPerCore), aws.ToInt64(it.MemoryInfo.SizeInMiB)))
		}
		r.add("instance types: %s", sorted(rows))
	}
	_, err = e.DescribeInstanceTypes(ctx, &ec2.DescribeInstanceTypesInput{InstanceTypes: []ec2types.InstanceType{"t3.xlarge", "x9.nonsense"}})
	r.add("unknown instance type: %s", apiCode(err))
	return r
}

// TestServiceQuotasAgainstMoto runs the scenario against moto_server and awsemu. moto 5.2
// implements GetServiceQuota (for the vpc service only: its NoSuchResourceException for
// ec2/L-1216C47A is a difference, in DIFFERENCES.md) but not GetAWSDefaultServiceQuota,
// which only the AWS CLI test drives.
func TestServiceQuotasAgainstMoto(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t)
	moto := awstest.StartMoto(t)
	compareRecords(t, serviceQuotasScenario(t, srv.URL()), serviceQuotasScenario(t, moto), "ec2 vcpu quota")
}
