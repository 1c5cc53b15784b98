package awsjson_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/protocol/awsjson"
)

// probe is a minimal awsJson service answering to the "ssm" signing name, so a real SSM
// client exercises the protocol package alone.
type probe struct {
	handlers map[string]awsjson.Handler
}

func (p *probe) Name() string                       { return "ssm" }
func (p *probe) Operation(r *awsemu.Request) string { return awsjson.Operation(r) }
func (p *probe) Throttle() (int, string)            { return http.StatusBadRequest, "ThrottlingException" }
func (p *probe) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	awsjson.Serve(w, r, op, p.handlers)
}
func (p *probe) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	awsjson.WriteError(w, r, status, code, message)
}

var when = time.Date(2026, 11, 12, 17, 30, 0, 123e6, time.UTC)

func start(t *testing.T) *ssm.Client {
	t.Helper()
	srv := awsemu.NewServer()
	srv.Register(&probe{handlers: map[string]awsjson.Handler{
		"GetParameter": func(r *awsemu.Request) (any, error) {
			var in struct{ Name string }
			if err := awsjson.Decode(r, &in); err != nil {
				return nil, err
			}
			switch in.Name {
			case "/missing":
				return nil, &awsjson.Error{Code: "ParameterNotFound"}
			case "/broken":
				return nil, errors.New("something broke")
			case "/wrapped":
				return nil, errors.Join(errors.New("context"), awsjson.Errorf("ParameterVersionNotFound", "no version %d", 7))
			}
			return map[string]any{"Parameter": map[string]any{
				"Name": in.Name, "Value": "v", "Version": 3, "Type": "String", "LastModifiedDate": awsjson.Time(when),
			}}, nil
		},
	}})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return ssm.NewFromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))
}

func TestRoundTrip(t *testing.T) {
	c := start(t)
	out, err := c.GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String("/p")})
	if err != nil {
		t.Fatal(err)
	}
	if *out.Parameter.Name != "/p" || out.Parameter.Version != 3 || !out.Parameter.LastModifiedDate.Equal(when) {
		t.Errorf("decoded %+v (time %v, want %v)", out.Parameter, out.Parameter.LastModifiedDate, when)
	}
}

func TestErrors(t *testing.T) {
	c := start(t)
	ctx := context.Background()
	_, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/missing")})
	var nf *types.ParameterNotFound
	if !errors.As(err, &nf) {
		t.Errorf("typed error: %v", err)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/wrapped")})
	var vnf *types.ParameterVersionNotFound
	if !errors.As(err, &vnf) || *vnf.Message != "no version 7" {
		t.Errorf("wrapped protocol error: %v", err)
	}
	_, err = c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/broken")})
	var ae smithy.APIError
	var re interface{ HTTPStatusCode() int }
	if !errors.As(err, &ae) || ae.ErrorCode() != "InternalFailure" || !errors.As(err, &re) || re.HTTPStatusCode() != 500 {
		t.Errorf("plain error: %v", err)
	}
	_, err = c.GetParameters(ctx, &ssm.GetParametersInput{Names: []string{"/p"}})
	if !errors.As(err, &ae) || ae.ErrorCode() != "UnknownOperationException" {
		t.Errorf("operation without a handler: %v", err)
	}
}
