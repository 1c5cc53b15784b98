package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsemu"
)

// FuzzDecode decodes arbitrary request bodies and targets as the awsJson services do.
// Operation must not panic and must answer the part after the last dot of the target;
// Decode must not panic, and a body it refuses is a 400 SerializationException (what the
// SDKs and AWS use for a body that is not the operation's JSON shape,
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html), never
// an error the service would answer as a 500. A body Decode accepts is JSON.
func FuzzDecode(f *testing.F) {
	f.Add("AmazonSSM.GetParameter", []byte(`{"Name":"/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id","WithDecryption":false}`))
	f.Add("AmazonEC2ContainerRegistry_V20150921.CreateRepository", []byte(`{"repositoryName":"team/app","imageScanningConfiguration":{"scanOnPush":true},"tags":[{"Key":"k","Value":"v"}]}`))
	f.Add("TrentService.DescribeKey", []byte(`{"KeyId":"alias/aws/ebs"}`))
	f.Add("ServiceQuotasV20190624.GetServiceQuota", []byte(`{"ServiceCode":"ec2","QuotaCode":"L-1216C47A"}`))
	f.Add("AmazonSSM.PutParameter", []byte(`{"Name":"/winami/p","Value":"ami-1","Type":"String","DataType":"aws:ec2:image","Overwrite":true,"Tags":null}`))
	f.Add("", []byte(""))
	f.Add("x", []byte(" \n"))
	f.Add("a.b.c", []byte(`{"LastModifiedDate": 1.7956944001235e9, "MaxResults": 1e400}`))
	f.Add("AmazonSSM.", []byte(`[1,2`))
	f.Fuzz(func(t *testing.T, target string, body []byte) {
		hr := httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		hr.Header.Set("X-Amz-Target", target)
		r := &awsemu.Request{HTTP: hr, Body: body}
		op := Operation(r)
		if want := target[strings.LastIndexByte(target, '.')+1:]; strings.Contains(hr.Header.Get("X-Amz-Target"), ".") && op != want {
			t.Errorf("Operation(%q) = %q, want %q", target, op, want)
		}
		var in struct {
			Name           string
			Names          []string
			MaxResults     *int32
			WithDecryption bool
			Tags           []struct{ Key, Value string }
			Filters        map[string][]string
			When           *Time `json:"LastModifiedDate"`
		}
		err := Decode(r, &in)
		if err == nil {
			if b := bytes.TrimSpace(body); len(b) > 0 && !json.Valid(b) {
				t.Fatalf("Decode accepted %q, which is not JSON", body)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Code != "SerializationException" || (e.Status != 0 && e.Status != http.StatusBadRequest) {
			t.Fatalf("Decode(%q) = %#v, want a 400 SerializationException", body, err)
		}
	})
}

// FuzzTime checks the awsJson timestamp (epoch seconds with fractions) both ways:
// decode(encode(t)) == t for every millisecond AWS dates take (years 1970 to 9999), and
// any JSON number decodes without panicking.
func FuzzTime(f *testing.F) {
	f.Add(int64(1795694400123), []byte("1795694400.123"))
	f.Add(int64(0), []byte("0"))
	f.Add(int64(1), []byte("-1.5"))
	f.Add(int64(253402300799999), []byte("1e400"))
	f.Fuzz(func(t *testing.T, ms int64, raw []byte) {
		var any Time
		_ = json.Unmarshal(raw, &any)
		max := time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()
		if ms < 0 || ms > max {
			return
		}
		want := time.UnixMilli(ms).UTC()
		b, err := json.Marshal(Time(want))
		if err != nil {
			t.Fatal(err)
		}
		var got Time
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("Time %v encodes as %s, which does not decode: %v", want, b, err)
		}
		if !time.Time(got).Equal(want) {
			t.Fatalf("Time %v encodes as %s, which decodes as %v", want, b, time.Time(got))
		}
	})
}
