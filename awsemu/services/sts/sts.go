package sts

import (
	"net/http"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// Service is the STS service of the endpoint.
type Service struct {
	// Protocol answers Operation, WriteError and Throttle (awsQuery).
	query.Protocol

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
