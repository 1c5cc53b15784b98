package query

import (
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestParseEC2AndQueryLists(t *testing.T) {
	body := "Action=DescribeImages&Version=2016-11-15&ImageId.2=ami-b&ImageId.1=ami-a&ImageId.10=ami-c" +
		"&Filter.1.Name=name&Filter.1.Value.1=Windows%2A&Filter.1.Value.2=x&Filter.2.Name=state&Filter.2.Value.1=available" +
		"&Tags.member.1.Key=k&Tags.member.1.Value=v&Attributes.entry.1.key=a&Attributes.entry.1.value=b&DryRun=true&MaxResults=7"
	v, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if v.Action() != "DescribeImages" || v.Version() != "2016-11-15" {
		t.Fatalf("action/version = %q/%q", v.Action(), v.Version())
	}
	if got := v.List("ImageId"); !reflect.DeepEqual(got, []string{"ami-a", "ami-b", "ami-c"}) {
		t.Errorf("List(ImageId) = %v", got)
	}
	fs := v.Structs("Filter")
	if len(fs) != 2 || fs[0].Get("Name") != "name" || !reflect.DeepEqual(fs[0].List("Value"), []string{"Windows*", "x"}) || fs[1].Get("Name") != "state" {
		t.Errorf("Structs(Filter) = %v", fs)
	}
	tags := v.Structs("Tags.member")
	if len(tags) != 1 || tags[0].Get("Key") != "k" || tags[0].Get("Value") != "v" {
		t.Errorf("Structs(Tags.member) = %v", tags)
	}
	if m := v.Map("Attributes"); !reflect.DeepEqual(m, map[string]string{"a": "b"}) {
		t.Errorf("Map = %v", m)
	}
	if b, ok := v.Bool("DryRun"); !b || !ok {
		t.Errorf("Bool(DryRun) = %v %v", b, ok)
	}
	if n, ok, err := v.Int("MaxResults"); n != 7 || !ok || err != nil {
		t.Errorf("Int(MaxResults) = %v %v %v", n, ok, err)
	}
	if _, _, err := (Values{"X": "y"}).Int("X"); err == nil {
		t.Error("Int of a non-number: no error")
	}
}

type img struct {
	ImageID string `xml:"imageId"`
	Name    string `xml:"name,omitempty"`
}

func TestEncodeEC2AndQuery(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteEC2(rec, "DescribeImages", "req-1", struct {
		ImagesSet Items[img] `xml:"imagesSet"`
	}{Items[img]{[]img{{ImageID: "ami-1", Name: "a<b"}}}})
	want := `<DescribeImagesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>req-1</requestId><imagesSet><item><imageId>ami-1</imageId><name>a&lt;b</name></item></imagesSet></DescribeImagesResponse>`
	if got := rec.Body.String(); !strings.HasSuffix(got, want) || rec.Code != 200 {
		t.Errorf("WriteEC2 = %d %s", rec.Code, got)
	}
	rec = httptest.NewRecorder()
	WriteQuery(rec, "ListThings", IAMNamespace, "req-2", struct {
		Things Members[string] `xml:"Things"`
	}{})
	want = `<ListThingsResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListThingsResult><Things></Things></ListThingsResult><ResponseMetadata><RequestId>req-2</RequestId></ResponseMetadata></ListThingsResponse>`
	if got := rec.Body.String(); !strings.HasSuffix(got, want) {
		t.Errorf("WriteQuery = %s", got)
	}
	rec = httptest.NewRecorder()
	WriteQueryError(rec, 404, "NoSuchEntity", "gone", "req-3")
	if got := rec.Body.String(); rec.Code != 404 || !strings.Contains(got, "<Type>Sender</Type><Code>NoSuchEntity</Code><Message>gone</Message></Error><RequestId>req-3</RequestId>") {
		t.Errorf("WriteQueryError = %d %s", rec.Code, got)
	}
	rec = httptest.NewRecorder()
	WriteEC2Error(rec, 400, "InvalidAMIID.NotFound", "nope", "req-4")
	if got := rec.Body.String(); rec.Code != 400 || !strings.Contains(got, "<Response><Errors><Error><Code>InvalidAMIID.NotFound</Code><Message>nope</Message></Error></Errors><RequestID>req-4</RequestID></Response>") {
		t.Errorf("WriteEC2Error = %d %s", rec.Code, got)
	}
}
