package ssm

import (
	"sync"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/awsjson"
)

// Service is the SSM Parameter Store of the endpoint. It is safe for concurrent use.
type Service struct {
	// Protocol answers Operation, Serve, WriteError and Throttle (awsJson).
	awsjson.Protocol

	srv     *awsemu.Server
	mu      sync.RWMutex
	regions map[string]map[string]*param
}

// New returns the SSM service loaded with params (each in its own region), registers it on
// srv and sets srv.SSM to it.
func New(srv *awsemu.Server, params []awsemu.Parameter) *Service {
	s := &Service{srv: srv, regions: map[string]map[string]*param{}}
	s.load(params)
	s.Handlers = map[string]awsjson.Handler{
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
