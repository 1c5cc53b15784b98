package awsemu_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
)

func send(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestControlBodiesAreValidated: every control path decodes its body strictly
// (DecodeControl) and checks its values; a refused body answers 400 (413, 405, 404) with
// {"error"} naming the field and what it accepts, and changes nothing.
func TestControlBodiesAreValidated(t *testing.T) {
	t.Parallel()
	srv := emulatortest.Start(t, emulator.WithClock(awsemu.NewManualClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))))
	base := srv.URL() + awsemu.ControlPrefix
	const pipeline = "arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/p"
	for _, tt := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		// The case: a mistyped fault field answered {"ok":true}.
		{"POST", "faults", `{"throttlerate": 1}`, 400, `unknown field \"throttlerate\": use latencyMs, throttleRate, seed, failNext, throttleOperations, operationLatency`},
		{"POST", "faults", `{"ThrottleRate": 1}`, 400, `unknown field \"ThrottleRate\"`},
		{"POST", "faults", `{"latencyMs": "40"}`, 400, `latencyMs: \"40\" is a string: use an integer`},
		{"POST", "faults", `{"latencyMs": 2.5}`, 400, `latencyMs: 2.5 is not a whole number of 64 bits`},
		{"POST", "faults", `{"latencyMs": null}`, 400, `latencyMs: null is not an integer`},
		{"POST", "faults", `{"latencyMs": -1}`, 400, `latencyMs: -1 is out of range: use 0 to 600000`},
		{"POST", "faults", `{"throttleRate": 1.5}`, 400, `throttleRate: 1.5 is out of range: use a share from 0 to 1`},
		{"POST", "faults", `{"throttleRate": true}`, 400, `throttleRate: true is a boolean: use a number`},
		{"POST", "faults", `{"failNext": {"service": "ssm"}}`, 400, `failNext: {\"service\":\"ssm\"} is an object: use an array`},
		{"POST", "faults", `{"failNext": [{"service": "ssm", "operation": "GetParameter", "code": "X", "stauts": 500}]}`, 400, `unknown field \"stauts\" in failNext[0]: use service, operation, status, code, message`},
		{"POST", "faults", `{"failNext": [{"service": "sms", "operation": "GetParameter", "code": "X"}]}`, 400, `failNext[0].service: \"sms\" is not a service of this endpoint: use one of autoscaling, ec2`},
		{"POST", "faults", `{"failNext": [{"service": "ssm", "operation": "getParameter", "code": "X"}]}`, 400, `failNext[0].operation: \"getParameter\" is not an AWS operation name`},
		{"POST", "faults", `{"failNext": [{"service": "ssm", "operation": "GetParameter", "code": "X", "status": 200}]}`, 400, `failNext[0].status: 200 is not an HTTP error status: use 400 to 599`},
		{"POST", "faults", `{"failNext": [{"service": "ssm", "operation": "GetParameter"}]}`, 400, `failNext[0].code is required`},
		{"POST", "faults", `{"throttleOperations": [{"service": "ssm"}]}`, 400, `throttleOperations[0].operation: \"\" is not an AWS operation name`},
		{"POST", "faults", `{"operationLatency": [{"service": "ssm", "operation": "GetParameter", "latencyMs": 86400000}]}`, 400, `operationLatency[0].latencyMs: 86400000 is out of range`},
		{"POST", "faults", `[]`, 400, `the body is an array ([]): POST a JSON object`},
		{"POST", "faults", `{} {}`, 400, `the body has more than one JSON value`},
		{"POST", "faults", ``, 400, `the body is empty: POST a JSON object with the fields latencyMs, throttleRate`},
		{"POST", "faults", `{"latencyMs": 4`, 400, `the body is not JSON`},
		{"POST", "faults", `{"seed": "` + strings.Repeat("x", awsemu.MaxControlBody) + `"}`, 413, `the body is larger than 1048576 bytes`},
		{"GET", "faults", ``, 405, `GET /_awsemu/faults: use POST`},
		{"POST", "counts", ``, 405, `POST /_awsemu/counts: use GET`},
		{"POST", "clock/advance?by=-5m", ``, 400, `by: \"-5m\" is not a positive duration`},
		{"GET", "nope", ``, 404, `unknown control path /_awsemu/nope: use /_awsemu/clock, /_awsemu/clock/advance, /_awsemu/counts`},
		{"POST", "imagebuilder/scan-findings", `{"pipelineArn": "` + pipeline + `", "findings": []}`, 400, `unknown field \"pipelineArn\": use imagePipelineArn, imageBuildVersionArn, findings`},
		{"POST", "imagebuilder/scan-findings", `{"imagePipelineArn": "` + pipeline + `", "findings": [{"severity": "HIGH", "titel": "CVE"}]}`, 400, `findings[0]: unknown field \"titel\": an ImageScanFinding has awsAccountId, description`},
		{"POST", "imagebuilder/scan-findings", `{"imagePipelineArn": "` + pipeline + `", "findings": {}}`, 400, `findings: {} is an object: use an array`},
		{"POST", "imagebuilder/managed-components", `{"region": "us-east-1", "name": "update-windows", "version": "1.0.0", "reason": "x"}`, 400, `unknown field \"reason\": use region, name, version`},
		{"POST", "servicequotas", `{"region": "us-east-1", "serviceCode": "ec2", "quotaCode": "L-1216C47A", "value": "32"}`, 400, `value: \"32\" is a string: use a number`},
		{"POST", "servicequotas", `{"region": "us-east-1", "service": "ec2"}`, 400, `unknown field \"service\": use region, serviceCode, quotaCode, value`},
	} {
		status, body := send(t, tt.method, base+tt.path, tt.body)
		var e struct{ Error string }
		if status != tt.status || json.Unmarshal([]byte(body), &e) != nil || !strings.Contains(body, tt.want) {
			t.Errorf("%s %s %.60q: %d %s; want %d and %s", tt.method, tt.path, tt.body, status, body, tt.status, tt.want)
		}
	}

	// A refused body changes nothing: the scripted error set before is still there.
	if status, body := send(t, "POST", base+"faults", `{"failNext": [{"service": "ssm", "operation": "GetParameter", "code": "ParameterNotFound"}]}`); status != 200 || body != `{"ok":true}` {
		t.Fatalf("valid faults: %d %s", status, body)
	}
	if status, _ := send(t, "POST", base+"faults", `{"throttleRate": 1, "latencyMS": 10}`); status != 400 {
		t.Fatalf("refused faults: %d", status)
	}
	c := ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
	if err := get(c); code(err) != "ParameterNotFound" {
		t.Errorf("after a refused body: %v; want the scripted ParameterNotFound (nothing reset, no throttling)", err)
	}
}
