package emulatorfuzz

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/seed"
)

// protocols maps each signing name to its wire protocol, as the service models say
// (botocore's data/<service>/<version>/service-2.json, metadata.protocol).
var protocols = map[string]string{
	"ec2":           "ec2",
	"sts":           "query",
	"iam":           "query",
	"autoscaling":   "query",
	"ssm":           "json",
	"ecr":           "json",
	"kms":           "json",
	"servicequotas": "json",
	"imagebuilder":  "rest-json",
	"eks":           "rest-json",
	"s3":            "rest-xml",
}

// serveSeed is one request as an SDK sends it.
type serveSeed struct {
	service, method, target, amzTarget, body string
}

var serveSeeds = []serveSeed{
	{"ec2", "POST", "/", "", "Action=DescribeImages&Version=2016-11-15&Owner.1=amazon&Filter.1.Name=name&Filter.1.Value.1=Windows_Server-2022-English-Core-EKS_Optimized-1.31%2A"},
	{"ec2", "POST", "/", "", "Action=CreateLaunchTemplate&Version=2016-11-15&LaunchTemplateName=lt&LaunchTemplateData.ImageId=ami-0123456789abcdef0&LaunchTemplateData.InstanceType=m6i.large&TagSpecification.1.ResourceType=launch-template&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v"},
	{"ec2", "POST", "/", "", "Action=RunInstances&Version=2016-11-15&ImageId=ami-0123456789abcdef0&MinCount=1&MaxCount=1&InstanceType=m6i.large"},
	{"ec2", "POST", "/", "", "Action=EnableFastLaunch&Version=2016-11-15&ImageId=ami-0123456789abcdef0&ResourceType=snapshot&SnapshotConfiguration.TargetResourceCount=10&MaxParallelLaunches=6"},
	{"ec2", "POST", "/", "", "Action=CreateTags&Version=2016-11-15&ResourceId.1=ami-0123456789abcdef0&Tag.1.Key=winami%3Aname&Tag.1.Value=prod"},
	{"ec2", "POST", "/", "", "Action=DescribeInstanceTypeOfferings&Version=2016-11-15&LocationType=availability-zone&Filter.1.Name=instance-type&Filter.1.Value.1=m6i.2xlarge&MaxResults=5"},
	{"sts", "POST", "/", "", "Action=GetCallerIdentity&Version=2011-06-15"},
	{"sts", "POST", "/", "", "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fr&RoleSessionName=s&DurationSeconds=900"},
	{"iam", "POST", "/", "", "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D&Tags.member.1.Key=k&Tags.member.1.Value=v"},
	{"iam", "POST", "/", "", "Action=PutRolePolicy&Version=2010-05-08&RoleName=r&PolicyName=p&PolicyDocument=%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%7B%22Effect%22%3A%22Allow%22%2C%22Action%22%3A%22ec2%3A%2A%22%2C%22Resource%22%3A%22%2A%22%7D%5D%7D"},
	{"iam", "POST", "/", "", "Action=SimulatePrincipalPolicy&Version=2010-05-08&PolicySourceArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Auser%2Fawsemu&ActionNames.member.1=ec2%3ARunInstances"},
	{"autoscaling", "POST", "/", "", "Action=DescribeAutoScalingGroups&Version=2011-01-01&AutoScalingGroupNames.member.1=g&MaxRecords=10"},
	{"ssm", "POST", "/", "AmazonSSM.GetParameter", `{"Name":"/aws/service/ami-windows-latest/Windows_Server-2022-English-Core-EKS_Optimized-1.31/image_id"}`},
	{"ssm", "POST", "/", "AmazonSSM.PutParameter", `{"Name":"/winami/p","Value":"ami-0123456789abcdef0","Type":"String","DataType":"aws:ec2:image","Overwrite":true}`},
	{"ssm", "POST", "/", "AmazonSSM.GetParametersByPath", `{"Path":"/aws/service/ami-windows-latest","Recursive":true,"MaxResults":10}`},
	{"ecr", "POST", "/", "AmazonEC2ContainerRegistry_V20150921.CreateRepository", `{"repositoryName":"team/app","tags":[{"Key":"k","Value":"v"}]}`},
	{"ecr", "POST", "/", "AmazonEC2ContainerRegistry_V20150921.GetAuthorizationToken", `{}`},
	{"kms", "POST", "/", "TrentService.DescribeKey", `{"KeyId":"alias/aws/ebs"}`},
	{"kms", "POST", "/", "TrentService.CreateKey", `{"Description":"d","Tags":[{"TagKey":"k","TagValue":"v"}]}`},
	{"servicequotas", "POST", "/", "ServiceQuotasV20190624.GetServiceQuota", `{"ServiceCode":"ec2","QuotaCode":"L-1216C47A"}`},
	{"imagebuilder", "PUT", "/CreateComponent", "", `{"name":"cache-images","semanticVersion":"1.0.1","platform":"Windows","data":"name: cache-images\nschemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: S\n        action: ExecutePowerShell\n        inputs:\n          commands: [\"echo\"]\n","clientToken":"t2"}`},
	{"imagebuilder", "POST", "/ListComponents", "", `{"owner":"Self","filters":[{"name":"name","values":["c"]}],"maxResults":5}`},
	{"imagebuilder", "GET", "/GetImage?imageBuildVersionArn=arn%3Aaws%3Aimagebuilder%3Aus-east-1%3A123456789012%3Aimage%2Fx%2F1.0.0%2F1", "", ""},
	{"imagebuilder", "PUT", "/CreateImagePipeline", "", `{"name":"pipeline","imageRecipeArn":"arn:aws:imagebuilder:us-east-1:123456789012:image-recipe/r/1.0.0","infrastructureConfigurationArn":"arn:aws:imagebuilder:us-east-1:123456789012:infrastructure-configuration/i","clientToken":"t"}`},
	{"eks", "GET", "/clusters/prod", "", ""},
	{"eks", "POST", "/clusters/prod/node-groups", "", `{"nodegroupName":"ng","nodeRole":"arn:aws:iam::123456789012:role/node","subnets":["subnet-1"],"scalingConfig":{"minSize":0,"maxSize":2,"desiredSize":1},"amiType":"WINDOWS_CORE_2022_x86_64"}`},
	{"eks", "POST", "/clusters", "", `{"name":"staging","roleArn":"arn:aws:iam::123456789012:role/eks","resourcesVpcConfig":{"subnetIds":["subnet-1"]},"version":"1.31"}`},
	{"eks", "GET", "/cluster-versions?clusterType=eks&maxResults=2", "", ""},
	{"eks", "POST", "/clusters/prod/node-groups/ng/update-config", "", `{"scalingConfig":{"minSize":0,"maxSize":3,"desiredSize":1}}`},
	{"s3", "PUT", "/winami-logs", "", `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>us-east-1</LocationConstraint></CreateBucketConfiguration>`},
	{"s3", "PUT", "/winami-bucket/logs/b.txt", "", "hello"},
	{"s3", "GET", "/winami-bucket/logs/a.txt", "", ""},
	{"s3", "GET", "/winami-bucket?list-type=2&prefix=logs%2F&delimiter=%2F&max-keys=1&continuation-token=00", "", ""},
	{"s3", "GET", "/winami-bucket?location", "", ""},
	{"s3", "HEAD", "/winami-bucket/logs/a.txt", "", ""},
	{"", "POST", "/", "", "Action=GetCallerIdentity&Version=2011-06-15"},
	{"nosuch", "GET", "/", "", ""},
}

// FuzzServe sends arbitrary requests, signed for any service (the SigV4 credential scope
// names it), to a full emulator world through its HTTP handler. Whatever the request, the
// world must not panic and must answer in the protocol of the service the request names,
// as the SDKs read it:
//   - no 500: a request the emulator cannot decode is the caller's error, as in AWS
//     (InternalFailure/InternalError is what the SDKs retry);
//   - a Content-Length that is the body's length (but for HEAD, which has none);
//   - awsJson: a JSON body; an error has its code in "__type" or X-Amzn-ErrorType
//     (https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization);
//   - restJson1: a JSON body; an error has X-Amzn-ErrorType
//     (https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html#operation-error-serialization);
//   - ec2, awsQuery and restXml: a well-formed XML document; an error has a non-empty
//     <Code> (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html,
//     https://smithy.io/2.0/aws/protocols/aws-query-protocol.html#operation-error-serialization,
//     https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html).
//
// Each input gets a world of its own (on a stopped clock), so a failure reproduces.
func FuzzServe(f *testing.F) {
	clock := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	// One region of the seed, 20 of its AMIs: a whole world takes ~30 ms of CPU to make,
	// this one ~1 ms. The decoders and handlers are the same.
	var images []awsemu.Image
	for _, img := range seed.Images() {
		if img.Region == "us-east-1" && len(images) < 20 {
			images = append(images, img)
		}
	}
	var params []awsemu.Parameter
	for _, p := range seed.Parameters() {
		if p.Region == "us-east-1" {
			params = append(params, p)
		}
	}
	// The seeds name an AMI of the world's region.
	ami := images[0].ID
	for _, s := range serveSeeds {
		body := strings.ReplaceAll(s.body, "ami-0123456789abcdef0", ami)
		f.Add(s.service, "us-east-1", s.method, s.target, s.amzTarget, []byte(body))
	}
	f.Fuzz(func(t *testing.T, service, region, method, target, amzTarget string, body []byte) {
		hr, ok := fuzzRequest(method, target, body)
		if !ok {
			return
		}
		sign(hr, service, region, amzTarget)
		srv := emulator.New(emulator.WithClock(awsemu.NewManualClock(clock)), emulator.WithSeed(images, params))
		for _, s := range fuzzSetup {
			req, _ := fuzzRequest(s.method, s.target, []byte(s.body))
			sign(req, s.service, "us-east-1", s.amzTarget)
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("setup %s %s (%s): %d %s", s.method, s.target, s.service, rec.Code, rec.Body.Bytes())
			}
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, hr)
		checkAnswer(t, hr, rec, service)
	})
}

// fuzzSetup are the requests every world answers before the fuzzed one, so that requests
// naming a bucket, an object, a cluster, a repository or a component reach their handlers'
// deeper paths.
var fuzzSetup = []serveSeed{
	{"s3", "PUT", "/winami-bucket", "", ""},
	{"s3", "PUT", "/winami-bucket/logs/a.txt", "", "hello"},
	{"eks", "POST", "/clusters", "", `{"name":"prod","roleArn":"arn:aws:iam::123456789012:role/eks","resourcesVpcConfig":{"subnetIds":["subnet-1"]},"version":"1.31"}`},
	{"ecr", "POST", "/", "AmazonEC2ContainerRegistry_V20150921.CreateRepository", `{"repositoryName":"team/app"}`},
	{"imagebuilder", "PUT", "/CreateComponent", "", `{"name":"cache-images","semanticVersion":"1.0.0","platform":"Windows","data":"name: cache-images\nschemaVersion: 1.0\nphases:\n  - name: build\n    steps:\n      - name: S\n        action: ExecutePowerShell\n        inputs:\n          commands: [\"echo\"]\n","clientToken":"t"}`},
}

// sign gives hr the SigV4 Authorization header an SDK would send for service in region
// (awsemu reads the credential scope, not the signature), and the X-Amz-Target.
func sign(hr *http.Request, service, region, amzTarget string) {
	if amzTarget != "" {
		hr.Header.Set("X-Amz-Target", amzTarget)
	}
	if service != "" {
		hr.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261206/"+region+"/"+service+
			"/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000")
	}
}

// fuzzRequest builds the request a client could send: a method token and an
// origin-form target (what net/http's server would accept and hand to the handler).
func fuzzRequest(method, target string, body []byte) (*http.Request, bool) {
	if method == "" || strings.IndexFunc(method, func(r rune) bool { return r <= ' ' || r >= 0x7f || strings.ContainsRune("()<>@,;:\\\"/[]?={}", r) }) >= 0 {
		return nil, false
	}
	if !strings.HasPrefix(target, "/") || strings.ContainsAny(target, " \t\r\n#") {
		return nil, false
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return nil, false
	}
	hr := &http.Request{
		Method: method, URL: u, RequestURI: target, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Host: "127.0.0.1:4566", RemoteAddr: "127.0.0.1:40000",
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)),
	}
	return hr, true
}

func checkAnswer(t *testing.T, hr *http.Request, rec *httptest.ResponseRecorder, service string) {
	t.Helper()
	res := rec.Result()
	b := rec.Body.Bytes()
	what := hr.Method + " " + hr.RequestURI + " (" + service + ")"
	if res.StatusCode < 200 || res.StatusCode > 599 {
		t.Fatalf("%s: status %d", what, res.StatusCode)
	}
	if res.StatusCode == http.StatusInternalServerError {
		t.Fatalf("%s: 500 for a request the caller got wrong:\n%s", what, b)
	}
	if cl := res.Header.Get("Content-Length"); cl != "" && cl != strconv.Itoa(len(b)) && hr.Method != http.MethodHead {
		t.Errorf("%s: Content-Length %s, body %d bytes", what, cl, len(b))
	}
	proto := protocols[service]
	if proto == "" || strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") && bytes.HasPrefix(b, []byte("awsemu: no service")) {
		return // not a service of the world: a plain-text 400 says which are
	}
	failed := res.StatusCode >= 300
	switch proto {
	case "json", "rest-json":
		if len(b) == 0 {
			if hr.Method != http.MethodHead && res.StatusCode != http.StatusNoContent {
				t.Errorf("%s: %d with an empty body", what, res.StatusCode)
			}
			break
		}
		var doc map[string]any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %d answer is not a JSON object: %v\n%s", what, res.StatusCode, err, b)
		}
		if failed && res.Header.Get("X-Amzn-ErrorType") == "" && (proto == "rest-json" || doc["__type"] == nil) {
			t.Errorf("%s: error %d without an error code:\n%s", what, res.StatusCode, b)
		}
	default:
		if len(b) == 0 {
			if hr.Method != http.MethodHead && (proto != "rest-xml" || failed) {
				t.Errorf("%s: %d with an empty body", what, res.StatusCode)
			}
			break
		}
		if proto == "rest-xml" && !failed && hr.Method == http.MethodGet && !strings.Contains(res.Header.Get("Content-Type"), "xml") {
			break // GetObject: the object's own bytes
		}
		code, err := xmlCode(b)
		if err != nil {
			t.Fatalf("%s: %d answer is not XML: %v\n%s", what, res.StatusCode, err, b)
		}
		if failed && code == "" {
			t.Errorf("%s: error %d without a <Code>:\n%s", what, res.StatusCode, b)
		}
	}
}

// xmlCode reads a whole XML document strictly and returns the text of its first <Code>.
func xmlCode(b []byte) (string, error) {
	dec := xml.NewDecoder(bytes.NewReader(b))
	var code string
	inCode, roots, depth := false, 0, 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			if roots != 1 {
				return "", errors.New("not one root element")
			}
			return code, nil
		}
		if err != nil {
			return "", err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			inCode = tok.Name.Local == "Code" && code == ""
		case xml.EndElement:
			depth--
			inCode = false
		case xml.CharData:
			if inCode {
				code += string(tok)
			}
		}
	}
}
