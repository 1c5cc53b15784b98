package query

import (
	"encoding/xml"
	"net/http/httptest"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// querySeeds are bodies as the SDKs send them (ec2 and awsQuery list styles), from the
// tests and the services' operations.
var querySeeds = []string{
	"Action=DescribeImages&Version=2016-11-15&ImageId.2=ami-b&ImageId.1=ami-a&ImageId.10=ami-c" +
		"&Filter.1.Name=name&Filter.1.Value.1=Windows%2A&Filter.1.Value.2=x&Filter.2.Name=state&Filter.2.Value.1=available" +
		"&Tags.member.1.Key=k&Tags.member.1.Value=v&Attributes.entry.1.key=a&Attributes.entry.1.value=b&DryRun=true&MaxResults=7",
	"Action=GetCallerIdentity&Version=2011-06-15",
	"Action=CreateLaunchTemplate&Version=2016-11-15&LaunchTemplateName=lt&LaunchTemplateData.ImageId=ami-0123456789abcdef0" +
		"&LaunchTemplateData.BlockDeviceMapping.1.DeviceName=%2Fdev%2Fsda1&LaunchTemplateData.BlockDeviceMapping.1.Ebs.VolumeSize=80",
	"Action=PutRolePolicy&Version=2010-05-08&RoleName=r&PolicyName=p&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%7D",
	"Action=CreateAutoScalingGroup&Version=2011-01-01&AutoScalingGroupName=g&MinSize=0&MaxSize=3&Tags.member.1.Key=k",
	"ImageId.01=a&ImageId.+1=b&ImageId.-1=c&ImageId.0=d&ImageId.1.x=e&ImageId.99999999999999999999=f",
	"a=%zz", "=&&=&a", ";", "Filter.1.Value.1=a&Filter.1=b",
}

// FuzzParse decodes arbitrary form bodies. Parse must not panic, must decode what
// url.Values.Encode writes back to the same Values, and the accessors must agree with the
// keys: List and Structs read indices in increasing order, only from keys that exist,
// Int answers an integer exactly when strconv reads one, and Bool only for "true".
func FuzzParse(f *testing.F) {
	for _, s := range querySeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := Parse(body)
		if err != nil {
			if Action(body) != "" {
				t.Errorf("Action of an unparsable body = %q", Action(body))
			}
			return
		}
		if Action(body) != v.Action() {
			t.Errorf("Action(body) = %q, Values.Action() = %q", Action(body), v.Action())
		}
		uv := url.Values{}
		for k, s := range v {
			uv.Set(k, s)
		}
		again, err := Parse([]byte(uv.Encode()))
		if err != nil || !reflect.DeepEqual(map[string]string(again), map[string]string(v)) {
			t.Fatalf("Parse(Encode(%q)) = %q, %v", v, again, err)
		}
		prefixes := map[string]bool{}
		for k := range v {
			parts := strings.Split(k, ".")
			for i := 1; i <= len(parts); i++ {
				prefixes[strings.Join(parts[:i], ".")] = true
			}
		}
		for p := range prefixes {
			idx := v.indices(p)
			if !sort.IntsAreSorted(idx) {
				t.Errorf("indices(%q) = %v, not sorted", p, idx)
			}
			for i, n := range idx {
				if n < 1 || (i > 0 && idx[i-1] == n) {
					t.Errorf("indices(%q) = %v: %d", p, idx, n)
				}
			}
			for _, s := range v.List(p) {
				if !containsValue(v, p+".", s) {
					t.Errorf("List(%q) has %q, which no key %s.N holds", p, s, p)
				}
			}
			for _, st := range v.Structs(p) {
				for k, s := range st {
					if !containsKeyValue(v, p+".", "."+k, s) {
						t.Errorf("Structs(%q) has %q=%q, which no key %s.N.%s holds", p, k, s, p, k)
					}
				}
			}
			_ = v.Map(p)
			_ = v.Members(p)
		}
		for k, s := range v {
			n, ok, err := v.Int(k)
			want, werr := strconv.ParseInt(s, 10, 64)
			if !ok || (err == nil) != (werr == nil) || (err == nil && n != want) {
				t.Errorf("Int(%q) of %q = %d %v %v", k, s, n, ok, err)
			}
			if err != nil && !strings.Contains(err.Error(), k) {
				t.Errorf("Int's error %q does not name the parameter %q", err, k)
			}
			if b, ok := v.Bool(k); !ok || b != strings.EqualFold(s, "true") {
				t.Errorf("Bool(%q) of %q = %v %v", k, s, b, ok)
			}
		}
	})
}

func containsValue(v Values, prefix, s string) bool {
	for k, x := range v {
		if x == s && strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func containsKeyValue(v Values, prefix, suffix, s string) bool {
	for k, x := range v {
		if x == s && strings.HasPrefix(k, prefix) && strings.HasSuffix(k, suffix) {
			return true
		}
	}
	return false
}

// FuzzEncode checks the XML encoders against encoding/xml's decoder, as the SDKs read
// the answers: any request id, message and string field made of XML characters comes back
// exactly (decode(encode(x)) == x), in a well-formed document, for ec2 and awsQuery
// answers and errors.
func FuzzEncode(f *testing.F) {
	f.Add("req-1", "a<b", "gone")
	f.Add("00000000-0000-4000-8000-000000000001", "Windows_Server-2022-English-Core-EKS_Optimized-1.31", "The image id '[ami-x]' does not exist")
	f.Add("", "line\r\nnext\ttab", "]]>&amp;\"'")
	f.Fuzz(func(t *testing.T, requestID, name, message string) {
		if !xmlText(requestID) || !xmlText(name) || !xmlText(message) {
			return // not representable in XML 1.0: AWS strings are not such either
		}
		type img struct {
			ImageID string `xml:"imageId"`
			Name    string `xml:"name"`
		}
		b, err := EC2Body("DescribeImages", requestID, struct {
			ImagesSet Items[img] `xml:"imagesSet"`
		}{Items[img]{[]img{{ImageID: "ami-1", Name: name}}}})
		if err != nil {
			t.Fatal(err)
		}
		var ec2 struct {
			XMLName   xml.Name
			RequestID string `xml:"requestId"`
			Images    []img  `xml:"imagesSet>item"`
		}
		if err := xml.Unmarshal(b, &ec2); err != nil {
			t.Fatalf("EC2Body is not XML: %v\n%s", err, b)
		}
		if ec2.XMLName.Local != "DescribeImagesResponse" || ec2.XMLName.Space != EC2Namespace || ec2.RequestID != requestID ||
			len(ec2.Images) != 1 || ec2.Images[0].Name != name {
			t.Fatalf("EC2Body(%q, %q) reads back as %+v\n%s", requestID, name, ec2, b)
		}
		b, err = ResponseBody("GetRole", IAMNamespace, requestID, struct {
			Name string `xml:"Role>RoleName"`
		}{name})
		if err != nil {
			t.Fatal(err)
		}
		var q struct {
			Name      string `xml:"GetRoleResult>Role>RoleName"`
			RequestID string `xml:"ResponseMetadata>RequestId"`
		}
		if err := xml.Unmarshal(b, &q); err != nil || q.Name != name || q.RequestID != requestID {
			t.Fatalf("ResponseBody reads back as %+v (%v)\n%s", q, err, b)
		}
		rec := httptest.NewRecorder()
		WriteEC2Error(rec, 400, "InvalidAMIID.NotFound", message, requestID)
		var e2 struct {
			Code      string `xml:"Errors>Error>Code"`
			Message   string `xml:"Errors>Error>Message"`
			RequestID string `xml:"RequestID"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &e2); err != nil || e2.Code != "InvalidAMIID.NotFound" || e2.Message != message || e2.RequestID != requestID {
			t.Fatalf("WriteEC2Error reads back as %+v (%v)\n%s", e2, err, rec.Body.Bytes())
		}
		rec = httptest.NewRecorder()
		WriteQueryError(rec, 404, "NoSuchEntity", message, requestID)
		var eq struct {
			Type      string `xml:"Error>Type"`
			Code      string `xml:"Error>Code"`
			Message   string `xml:"Error>Message"`
			RequestID string `xml:"RequestId"`
		}
		if err := xml.Unmarshal(rec.Body.Bytes(), &eq); err != nil || eq.Type != "Sender" || eq.Code != "NoSuchEntity" || eq.Message != message || eq.RequestID != requestID {
			t.Fatalf("WriteQueryError reads back as %+v (%v)\n%s", eq, err, rec.Body.Bytes())
		}
	})
}

// xmlText reports whether s is valid UTF-8 made only of XML 1.0 characters
// (https://www.w3.org/TR/xml/#charsets).
func xmlText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == 0x09, r == 0x0A, r == 0x0D, r >= 0x20 && r <= 0xD7FF, r >= 0xE000 && r <= 0xFFFD, r >= 0x10000 && r <= 0x10FFFF:
		default:
			return false
		}
	}
	return true
}
