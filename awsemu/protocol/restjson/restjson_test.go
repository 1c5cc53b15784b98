package restjson_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/winami/winami/awsemu/protocol/restjson"
)

func TestRouterMatch(t *testing.T) {
	r := restjson.NewRouter(
		restjson.Route{Method: "GET", Path: "/clusters/{name}", Op: "DescribeCluster"},
		restjson.Route{Method: "GET", Path: "/cluster-versions", Op: "DescribeClusterVersions"},
		restjson.Route{Method: "POST", Path: "/tags/{resourceArn}", Op: "TagResource"},
		restjson.Route{Method: "GET", Path: "/tags/{resourceArn}", Op: "ListTagsForResource"},
	)
	cases := []struct {
		method, target, op, label, value string
	}{
		{"GET", "/clusters/prod", "DescribeCluster", "name", "prod"},
		{"GET", "/cluster-versions?maxResults=2", "DescribeClusterVersions", "", ""},
		// An ARN label arrives escaped, slashes included: it stays one label.
		{"POST", "/tags/arn%3Aaws%3Aimagebuilder%3Aus-east-1%3A123456789012%3Acomponent%2Fx%2F1.0.0%2F1", "TagResource",
			"resourceArn", "arn:aws:imagebuilder:us-east-1:123456789012:component/x/1.0.0/1"},
		{"GET", "/tags/a%2Fb", "ListTagsForResource", "resourceArn", "a/b"},
		{"DELETE", "/clusters/prod", "", "", ""},
		{"GET", "/clusters/prod/extra", "", "", ""},
		{"GET", "/clusters/", "", "", ""},
	}
	for _, c := range cases {
		op, params := r.Match(httptest.NewRequest(c.method, c.target, nil))
		if op != c.op || (c.label != "" && params[c.label] != c.value) {
			t.Errorf("%s %s: op %q params %v, want %q %s=%q", c.method, c.target, op, params, c.op, c.label, c.value)
		}
	}
}

func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	restjson.WriteError(w, &restjson.Error{Status: 404, Code: "ResourceNotFoundException", Message: "gone", Fields: map[string]any{"clusterName": "prod"}})
	if w.Code != 404 || w.Header().Get("X-Amzn-ErrorType") != "ResourceNotFoundException" || w.Header().Get("Content-Type") != "application/json" {
		t.Fatalf("status %d headers %v", w.Code, w.Header())
	}
	var body map[string]string
	if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || body["message"] != "gone" || body["clusterName"] != "prod" {
		t.Fatalf("body %s: %v", w.Body.String(), err)
	}
}

func TestEpochSeconds(t *testing.T) {
	for in, want := range map[time.Time]string{
		time.Unix(1795694400, 0):           "1795694400",
		time.Unix(1795694400, 250_000_000): "1795694400.25",
		time.Unix(1795694400, 123_456_789): "1795694400.123",
		// Before the epoch (found by FuzzEpochSeconds: "0.-5" and "-1.-500" were written).
		time.UnixMilli(-500):  "-0.5",
		time.UnixMilli(-1500): "-1.5",
		time.UnixMilli(-2000): "-2",
	} {
		if got := restjson.EpochSeconds(in); string(got) != want {
			t.Errorf("EpochSeconds(%v) = %s, want %s", in, got, want)
		}
	}
}
