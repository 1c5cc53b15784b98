package restjson_test

import (
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsemu/protocol/restjson"
)

// fuzzRoutes are routes of the shapes Image Builder and EKS use: literal paths, one label,
// labels between literals, and an ARN label (escaped slashes).
var fuzzRoutes = []restjson.Route{
	{Method: "PUT", Path: "/CreateComponent", Op: "CreateComponent"},
	{Method: "GET", Path: "/GetImage", Op: "GetImage"},
	{Method: "GET", Path: "/clusters/{name}", Op: "DescribeCluster"},
	{Method: "GET", Path: "/clusters/{name}/node-groups/{nodegroupName}", Op: "DescribeNodegroup"},
	{Method: "POST", Path: "/clusters/{name}/node-groups/{nodegroupName}/update-config", Op: "UpdateNodegroupConfig"},
	{Method: "GET", Path: "/tags/{resourceArn}", Op: "ListTagsForResource"},
	{Method: "DELETE", Path: "/tags/{resourceArn}", Op: "UntagResource"},
}

// FuzzRouterMatch matches arbitrary request targets. Match must not panic; a matched
// request names a route of its method whose labels are non-empty, and the path built
// back from the route with the labels escaped (as the SDKs build it) matches the same
// route with the same labels.
func FuzzRouterMatch(f *testing.F) {
	f.Add("GET", "/clusters/prod")
	f.Add("GET", "/clusters/prod/node-groups/ng-1?x=1")
	f.Add("POST", "/clusters/a%2Fb/node-groups/%E2%9C%93/update-config")
	f.Add("GET", "/tags/arn%3Aaws%3Aimagebuilder%3Aus-east-1%3A123456789012%3Acomponent%2Fx%2F1.0.0%2F1")
	f.Add("DELETE", "/tags/%zz")
	f.Add("GET", "//clusters//prod//")
	f.Add("PUT", "/CreateComponent")
	r := restjson.NewRouter(fuzzRoutes...)
	byOp := map[string]restjson.Route{}
	for _, rt := range fuzzRoutes {
		byOp[rt.Op] = rt
	}
	f.Fuzz(func(t *testing.T, method, target string) {
		u, err := url.Parse(target)
		if err != nil || method == "" || strings.ContainsAny(method, " \t\r\n") {
			return
		}
		hr := &http.Request{Method: method, URL: u}
		op, params := r.Match(hr)
		if op == "" {
			if params != nil {
				t.Errorf("no route for %s %s but labels %v", method, target, params)
			}
			return
		}
		rt, ok := byOp[op]
		if !ok || rt.Method != method {
			t.Fatalf("%s %s matched %q, a route of another method or none", method, target, op)
		}
		path := rt.Path
		for k, v := range params {
			if v == "" {
				t.Errorf("%s %s: label %s is empty", method, target, k)
			}
			path = strings.Replace(path, "{"+k+"}", url.PathEscape(v), 1)
		}
		if strings.Contains(path, "{") {
			t.Fatalf("%s %s matched %s but labels %v leave %s", method, target, op, params, path)
		}
		op2, params2 := r.Match(httptest.NewRequest(method, path, nil))
		if op2 != op || len(params2) != len(params) {
			t.Fatalf("%s %s → %s %v; rebuilt as %s → %s %v", method, target, op, params, path, op2, params2)
		}
		for k, v := range params {
			if params2[k] != v {
				t.Fatalf("%s %s → %s %v; rebuilt as %s → %s %v", method, target, op, params, path, op2, params2)
			}
		}
	})
}

// FuzzDecode decodes arbitrary bodies: no panic, an empty body leaves the input as it
// is, and a refused body is a 400 with the code given.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"name":"c","semanticVersion":"1.0.0","platform":"Windows","data":"x","tags":{"k":"v"}}`))
	f.Add([]byte(`{"maxResults": 1e999, "nextToken": null}`))
	f.Add([]byte(``))
	f.Add([]byte(`{"name":`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in struct {
			Name       string            `json:"name"`
			MaxResults *int              `json:"maxResults"`
			Tags       map[string]string `json:"tags"`
			Data       json.RawMessage   `json:"data"`
			Scaling    struct {
				MinSize *int32 `json:"minSize"`
			} `json:"scalingConfig"`
		}
		e := restjson.Decode(body, &in, "InvalidParameterException")
		if e != nil && (e.Status != http.StatusBadRequest || e.Code != "InvalidParameterException" || e.Message == "") {
			t.Fatalf("Decode(%q) = %+v", body, e)
		}
	})
}

// FuzzEpochSeconds checks restJson1's timestamps: EpochSeconds of any time from 0001 to
// 9999 is a JSON number whose exact decimal value is the time's seconds since the epoch,
// to the millisecond (restJson1 timestamps,
// https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#timestamp-formats).
func FuzzEpochSeconds(f *testing.F) {
	f.Add(int64(1795694400), int64(250_000_000))
	f.Add(int64(0), int64(0))
	f.Add(int64(-1), int64(500_000_000))
	f.Add(int64(253402300799), int64(999_999_999))
	f.Fuzz(func(t *testing.T, sec, nsec int64) {
		const minSec, maxSec = -62135596800, 253402300799 // 0001-01-01, 9999-12-31T23:59:59 UTC
		if sec < minSec || sec > maxSec || nsec < 0 || nsec > 999_999_999 {
			return
		}
		in := time.Unix(sec, nsec)
		n := restjson.EpochSeconds(in)
		var v any
		if err := json.Unmarshal([]byte(n), &v); err != nil {
			t.Fatalf("EpochSeconds(%v) = %q, not a JSON number: %v", in, n, err)
		}
		got, ok := new(big.Rat).SetString(string(n))
		if want := big.NewRat(in.UnixMilli(), 1000); !ok || got.Cmp(want) != 0 {
			t.Fatalf("EpochSeconds(%v) = %s, want %s", in, n, want.FloatString(3))
		}
	})
}
