package sts

import (
	"net/http"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// Service is the STS service of the endpoint.
type Service struct {
	srv *awsemu.Server
}

// New returns the STS service and registers it on srv.
func New(srv *awsemu.Server) *Service {
	s := &Service{srv: srv}
	srv.Register(s)
	return s
}

// Name is the SigV4 signing name, "sts".
func (s *Service) Name() string { return "sts" }

// Operation is the query Action of the request.
func (s *Service) Operation(r *awsemu.Request) string {
	if a := query.Action(r.Body); a != "" {
		return a
	}
	return r.HTTP.URL.Query().Get("Action")
}

// WriteError answers an error in the awsQuery shape.
func (s *Service) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	query.WriteQueryError(w, status, code, message, r.ID)
}

// Throttle is STS's throttling answer: 400 Throttling.
func (s *Service) Throttle() (int, string) { return http.StatusBadRequest, "Throttling" }

type callerIdentity struct {
	UserID  string `xml:"UserId"`
	Account string `xml:"Account"`
	Arn     string `xml:"Arn"`
}

// Serve answers one request.
func (s *Service) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	switch op {
	case "GetCallerIdentity":
		query.WriteQuery(w, op, query.STSNamespace, r.ID, callerIdentity{
			UserID: s.srv.CallerUserID(), Account: s.srv.Account, Arn: s.srv.CallerARN(),
		})
	default:
		query.WriteQueryError(w, http.StatusBadRequest, "InvalidAction",
			"Could not find operation "+op+" for version 2011-06-15", r.ID)
	}
}
