package ssm

import (
	"encoding/json"
	"net/http"
	"strings"
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

// Serve answers one request. A caller that is an assumed-role session is first authorized
// with its role's identity-based policies for ssm:<operation> on the parameters the request
// names (every name of GetParameters, the path of GetParametersByPath, "*" for
// DescribeParameters), as IAM evaluates any role session. The account's IAM user
// (AdministratorAccess) is not checked, as before.
// https://docs.aws.amazon.com/service-authorization/latest/reference/list_awssystemsmanager.html
// https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-access.html
func (s *Service) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	if strings.Contains(r.Principal, ":assumed-role/") && s.srv.IAM != nil {
		if _, known := s.Handlers[op]; known {
			if reason := s.authorizeSession(r, op); reason != "" {
				awsjson.WriteError(w, r, http.StatusBadRequest, "AccessDeniedException", reason)
				return
			}
		}
	}
	s.Protocol.Serve(w, r, op)
}

// authorizeSession returns IAM's refusal for the first resource the session may not use, "" when allowed.
func (s *Service) authorizeSession(r *awsemu.Request, op string) string {
	var in struct {
		Name  string
		Names []string
		Path  string
	}
	_ = json.Unmarshal(r.Body, &in) // a body that does not decode is refused by the handler
	names := in.Names
	switch {
	case in.Name != "":
		names = []string{in.Name}
	case in.Path != "":
		names = []string{in.Path}
	}
	resources := make([]string, 0, len(names))
	for _, n := range names {
		if strings.HasPrefix(n, "arn:") {
			resources = append(resources, n)
			continue
		}
		resources = append(resources, s.arn(r.Region, n))
	}
	if len(resources) == 0 {
		resources = []string{"*"}
	}
	for _, res := range resources {
		if ok, reason := s.srv.IAM.Authorize(r.Principal, "ssm:"+op, res, nil); !ok {
			return reason
		}
	}
	return ""
}
