package awsemu_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/world"
)

var (
	ctx   = context.Background()
	pname = world.EKSOptimizedParameter("2022", world.Core, "1.33")
)

func get(c *ssm.Client) error {
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(pname)})
	return err
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func TestLatency(t *testing.T) {
	srv := emulatortest.Start(t, emulator.WithLatency(60*time.Millisecond))
	c := ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	start := time.Now()
	if err := get(c); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Errorf("call took %v with 60ms latency", d)
	}
	srv.Faults.SetLatency(0)
	srv.Faults.SetOperationLatency("ssm", "GetParameters", 300*time.Millisecond)
	start = time.Now()
	if err := get(c); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("GetParameter took %v with latency only on GetParameters", d)
	}
	start = time.Now()
	if _, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{pname}}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 300*time.Millisecond {
		t.Errorf("GetParameters took %v with 300ms operation latency", d)
	}
}

func TestThrottleAndRetry(t *testing.T) {
	srv := emulatortest.Start(t)
	srv.Faults.SetThrottle(1)
	c := ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	if err := get(c); code(err) != "ThrottlingException" {
		t.Fatalf("throttle 100%%: %v", err)
	}

	// Half the requests throttled: a client with the standard retryer still gets every
	// answer, and the counts show the retries.
	srv.Faults.SetThrottle(0.5)
	srv.Faults.SetSeed(7)
	srv.Faults.ResetCounts()
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	cfg.RetryMaxAttempts = 0 // let the retryer below decide
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 20
			o.MaxBackoff = 5 * time.Millisecond
			o.RateLimiter = noRateLimit{}
		})
	}
	rc := ssm.NewFromConfig(cfg)
	const calls = 40
	for i := 0; i < calls; i++ {
		if err := get(rc); err != nil {
			t.Fatalf("call %d with retries: %v", i, err)
		}
	}
	n := srv.Faults.Count("ssm", "GetParameter", "us-east-1")
	if n <= calls || n > 4*calls {
		t.Errorf("%d requests for %d calls at 50%% throttling", n, calls)
	}

	// Throttling limited to one operation.
	srv.Faults.SetThrottle(1, awsemu.OpKey{Service: "ssm", Operation: "GetParameters"})
	if err := get(c); err != nil {
		t.Errorf("GetParameter throttled when only GetParameters is: %v", err)
	}
	if _, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{pname}}); code(err) != "ThrottlingException" {
		t.Errorf("GetParameters: %v", err)
	}
}

type noRateLimit struct{}

func (noRateLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
func (noRateLimit) AddTokens(uint) error { return nil }

func TestFailNextAndCounts(t *testing.T) {
	srv := emulatortest.Start(t)
	srv.Faults.FailNext("ssm", "GetParameter",
		awsemu.FaultError{Code: "AccessDeniedException", Message: "scripted"},
		awsemu.FaultError{Status: 500, Code: "InternalServerError", Message: "scripted 2"})
	east := ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	west := ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-west-2"))
	if err := get(east); code(err) != "AccessDeniedException" {
		t.Fatalf("first scripted: %v", err)
	}
	err := get(west)
	var re interface{ HTTPStatusCode() int }
	if code(err) != "InternalServerError" || !errors.As(err, &re) || re.HTTPStatusCode() != 500 {
		t.Fatalf("second scripted: %v", err)
	}
	if err := get(east); err != nil {
		t.Fatalf("after the script: %v", err)
	}
	if n := srv.Faults.Count("ssm", "GetParameter", "us-east-1"); n != 2 {
		t.Errorf("us-east-1 count %d, want 2", n)
	}
	if n := srv.Faults.Count("ssm", "GetParameter", ""); n != 3 {
		t.Errorf("all-region count %d, want 3", n)
	}
}

func post(t *testing.T, url string, body any) *http.Response {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return resp
}

func TestControlAPI(t *testing.T) {
	clock := awsemu.NewManualClock(time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC))
	srv := emulatortest.Start(t, emulator.WithClock(clock))
	base := srv.URL() + awsemu.ControlPrefix
	c := ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "eu-west-1"))

	if resp := post(t, base+"faults", awsemu.ControlFaults{
		LatencyMS: 40,
		FailNext:  []awsemu.ControlFailure{{Service: "ssm", Operation: "GetParameter", Code: "ParameterNotFound"}},
	}); resp.StatusCode != 200 {
		t.Fatalf("POST faults: %s", resp.Status)
	}
	start := time.Now()
	if err := get(c); code(err) != "ParameterNotFound" {
		t.Fatalf("scripted over the control API: %v", err)
	}
	if time.Since(start) < 40*time.Millisecond {
		t.Error("latency set over the control API not applied")
	}
	if err := get(c); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(base + "counts")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		Service, Operation, Region string
		Count                      int
	}
	if err := json.NewDecoder(resp.Body).Decode(&rows); err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if len(rows) != 1 || rows[0].Service != "ssm" || rows[0].Operation != "GetParameter" || rows[0].Region != "eu-west-1" || rows[0].Count != 2 {
		t.Errorf("counts = %+v", rows)
	}
	post(t, base+"counts/reset", nil)
	if n := srv.Faults.Count("ssm", "", ""); n != 0 {
		t.Errorf("count after reset %d", n)
	}
	post(t, base+"faults", awsemu.ControlFaults{ThrottleRate: 1})
	if err := get(c); code(err) != "ThrottlingException" {
		t.Errorf("throttle over the control API: %v", err)
	}
	post(t, base+"faults", awsemu.ControlFaults{ThrottleRate: 1,
		ThrottleOperations: []awsemu.ControlOperation{{Service: "ssm", Operation: "GetParameters"}},
		OperationLatency:   []awsemu.ControlLatency{{Service: "ssm", Operation: "GetParameter", LatencyMS: 300}}})
	start = time.Now()
	if err := get(c); err != nil {
		t.Errorf("GetParameter throttled when only GetParameters is: %v", err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Error("operation latency over the control API not applied")
	}
	if _, err := c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{pname}}); code(err) != "ThrottlingException" {
		t.Errorf("GetParameters with per-operation throttling: %v", err)
	}
	post(t, base+"faults", awsemu.ControlFaults{})
	start = time.Now()
	if err := get(c); err != nil || time.Since(start) > 200*time.Millisecond {
		t.Errorf("after clearing faults: %v (%v)", err, time.Since(start))
	}

	if resp := post(t, base+"clock/advance?by=90m", nil); resp.StatusCode != 200 {
		t.Fatalf("advance: %s", resp.Status)
	}
	if want := time.Date(2026, 11, 26, 1, 30, 0, 0, time.UTC); !clock.Now().Equal(want) {
		t.Errorf("clock %v, want %v", clock.Now(), want)
	}
	resp, err = http.Get(base + "clock")
	if err != nil {
		t.Fatal(err)
	}
	var now struct {
		Now    time.Time
		Manual bool
	}
	if err := json.NewDecoder(resp.Body).Decode(&now); err != nil || !now.Now.Equal(clock.Now()) || !now.Manual {
		t.Errorf("GET clock = %+v (%v), want %v manual", now, err, clock.Now())
	}
	_ = resp.Body.Close()
	// The clock stamps writes.
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/t"), Value: aws.String("v"), Type: "String"}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/t")})
	if err != nil || !out.Parameter.LastModifiedDate.Equal(clock.Now()) {
		t.Errorf("LastModifiedDate %v, want the manual clock's %v (%v)", out.Parameter.LastModifiedDate, clock.Now(), err)
	}
	if resp := post(t, base+"nope", nil); resp.StatusCode != 404 {
		t.Errorf("unknown control path: %s", resp.Status)
	}
}

func TestAccountOption(t *testing.T) {
	srv := emulatortest.Start(t, emulator.WithAccount("210987654321"))
	c := ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/acct"), Value: aws.String("v"), Type: "String"}); err != nil {
		t.Fatal(err)
	}
	out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/acct")})
	if err != nil || *out.Parameter.ARN != "arn:aws:ssm:us-east-1:210987654321:parameter/acct" {
		t.Errorf("ARN with account option: %v %v", out, err)
	}
}

func TestLoopbackOnly(t *testing.T) {
	srv := awsemu.NewServer()
	if err := srv.Start("0.0.0.0:0"); err == nil {
		_ = srv.Close()
		t.Fatal("listening on 0.0.0.0 was allowed")
	}
}
