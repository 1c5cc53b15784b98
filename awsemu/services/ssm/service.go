package ssm

import (
	"net/http"
	"sync"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/awsjson"
)

// Service is the SSM Parameter Store of the endpoint. It is safe for concurrent use.
type Service struct {
	srv      *awsemu.Server
	mu       sync.RWMutex
	regions  map[string]map[string]*param
	handlers map[string]awsjson.Handler
}

// New returns the SSM service loaded with params (each in its own region), registers it on
// srv and sets srv.SSM to it.
func New(srv *awsemu.Server, params []awsemu.Parameter) *Service {
	s := &Service{srv: srv, regions: map[string]map[string]*param{}}
	s.load(params)
	s.handlers = map[string]awsjson.Handler{
		"GetParameter":        s.getParameter,
		"GetParameters":       s.getParameters,
		"GetParametersByPath": s.getParametersByPath,
		"GetParameterHistory": s.getParameterHistory,
		"PutParameter":        s.putParameter,
		"DeleteParameter":     s.deleteParameter,
		"DescribeParameters":  s.describeParameters,
	}
	srv.Register(s)
	srv.SSM = s
	return s
}

// Name is the SigV4 signing name, "ssm".
func (s *Service) Name() string { return "ssm" }

// Operation names the operation from the X-Amz-Target header.
func (s *Service) Operation(r *awsemu.Request) string { return awsjson.Operation(r) }

// Serve answers one request.
func (s *Service) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	awsjson.Serve(w, r, op, s.handlers)
}

// WriteError answers an error in the awsJson shape.
func (s *Service) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	awsjson.WriteError(w, r, status, code, message)
}

// Throttle is SSM's throttling answer: 400 ThrottlingException.
func (s *Service) Throttle() (int, string) { return http.StatusBadRequest, "ThrottlingException" }
