package servicequotas_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sq "github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/services/servicequotas"
)

var ctx = context.Background()

// setQuota sets (value ≥ 0) or removes (value < 0) a region's applied value over HTTP.
func setQuota(t *testing.T, srv *awsemu.Server, region string, value float64) {
	t.Helper()
	v := "null"
	if value >= 0 {
		v = fmt.Sprint(value)
	}
	body := fmt.Sprintf(`{"region":%q,"serviceCode":"ec2","quotaCode":"L-1216C47A","value":%s}`, region, v)
	resp, err := http.Post(srv.URL()+awsemu.ControlPrefix+"servicequotas", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("setting the quota: HTTP %d", resp.StatusCode)
	}
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestVCPUQuotaPerRegion(t *testing.T) {
	srv := emulatortest.Start(t)
	east := sq.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	west := sq.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2"))
	in := &sq.GetServiceQuotaInput{ServiceCode: aws.String("ec2"), QuotaCode: aws.String(servicequotas.StandardVCPUQuotaCode)}

	out, err := east.GetServiceQuota(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	q := out.Quota
	if aws.ToFloat64(q.Value) != servicequotas.SeedAppliedVCPUs || aws.ToString(q.QuotaCode) != "L-1216C47A" ||
		!strings.HasPrefix(aws.ToString(q.QuotaName), "Running On-Demand Standard") ||
		aws.ToString(q.QuotaArn) != "arn:aws:servicequotas:us-east-1:"+awsemu.DefaultAccount+":ec2/L-1216C47A" ||
		q.UsageMetric == nil || q.UsageMetric.MetricDimensions["Resource"] != "vCPU" || string(q.QuotaAppliedAtLevel) != "ACCOUNT" {
		t.Errorf("seeded quota: %+v", q)
	}

	setQuota(t, srv, "us-east-1", 32)
	if out, err = east.GetServiceQuota(ctx, in); err != nil || aws.ToFloat64(out.Quota.Value) != 32 {
		t.Fatalf("after setting 32 in us-east-1: %v, %v", out, err)
	}
	if out, err = west.GetServiceQuota(ctx, in); err != nil || aws.ToFloat64(out.Quota.Value) != servicequotas.SeedAppliedVCPUs {
		t.Fatalf("us-west-2 changed with us-east-1: %v, %v", out, err)
	}

	// No applied value: GetServiceQuota has nothing, the AWS default remains.
	setQuota(t, srv, "us-east-1", -1)
	if _, err = east.GetServiceQuota(ctx, in); code(err) != "NoSuchResourceException" {
		t.Fatalf("without an applied value: %v, want NoSuchResourceException", err)
	}
	def, err := east.GetAWSDefaultServiceQuota(ctx, &sq.GetAWSDefaultServiceQuotaInput{ServiceCode: in.ServiceCode, QuotaCode: in.QuotaCode})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToFloat64(def.Quota.Value) != servicequotas.DefaultStandardVCPUs || aws.ToString(def.Quota.QuotaArn) != "arn:aws:servicequotas:us-east-1::ec2/L-1216C47A" {
		t.Errorf("default quota: value %v arn %s", aws.ToFloat64(def.Quota.Value), aws.ToString(def.Quota.QuotaArn))
	}
	setQuota(t, srv, "us-east-1", 64)
	if out, err = east.GetServiceQuota(ctx, in); err != nil || aws.ToFloat64(out.Quota.Value) != 64 {
		t.Fatalf("after applying 64 again: %v, %v", out, err)
	}
}

func TestUnknownCodes(t *testing.T) {
	srv := emulatortest.Start(t)
	c := sq.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	for _, tc := range []struct{ service, quota, want string }{
		{"ec2", "L-00000000", "NoSuchResourceException"},
		{"nosuchservice", "L-1216C47A", "NoSuchResourceException"},
		{"ec2", "-bad", "ValidationException"},
	} {
		_, err := c.GetServiceQuota(ctx, &sq.GetServiceQuotaInput{ServiceCode: aws.String(tc.service), QuotaCode: aws.String(tc.quota)})
		if code(err) != tc.want {
			t.Errorf("GetServiceQuota %s/%s: %v, want %s", tc.service, tc.quota, err, tc.want)
		}
		_, err = c.GetAWSDefaultServiceQuota(ctx, &sq.GetAWSDefaultServiceQuotaInput{ServiceCode: aws.String(tc.service), QuotaCode: aws.String(tc.quota)})
		if code(err) != tc.want {
			t.Errorf("GetAWSDefaultServiceQuota %s/%s: %v, want %s", tc.service, tc.quota, err, tc.want)
		}
	}
	// The control path refuses unknown quotas and a missing region.
	for _, body := range []string{
		`{"region":"us-east-1","serviceCode":"ec2","quotaCode":"L-00000000","value":1}`,
		`{"serviceCode":"ec2","quotaCode":"L-1216C47A","value":1}`,
	} {
		resp, err := http.Post(srv.URL()+awsemu.ControlPrefix+"servicequotas", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("control accepted %s", body)
		}
	}
}
