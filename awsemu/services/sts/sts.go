package sts

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/protocol/query"
)

// Service is the STS service of the endpoint.
type Service struct {
	// Protocol answers Operation, WriteError and Throttle (awsQuery).
	query.Protocol

	srv *awsemu.Server
	mu  sync.Mutex
	seq int
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
		id := callerIdentity{UserID: s.srv.CallerUserID(), Account: s.srv.Account, Arn: s.srv.CallerARN()}
		if r.Principal != "" {
			id = callerIdentity{UserID: r.PrincipalID, Account: r.Account, Arn: r.Principal}
		}
		query.WriteQuery(w, op, query.STSNamespace, r.ID, id)
	case "AssumeRole":
		out, e := s.assumeRole(r)
		if e != nil {
			query.WriteQueryError(w, e.status, e.code, e.message, r.ID)
			return
		}
		query.WriteQuery(w, op, query.STSNamespace, r.ID, out)
	default:
		query.WriteQueryError(w, http.StatusBadRequest, "InvalidAction",
			"Could not find operation "+op+" for version 2011-06-15", r.ID)
	}
}

type apiError struct {
	status        int
	code, message string
}

type assumeRoleResult struct {
	AssumedRoleUser struct {
		Arn           string `xml:"Arn"`
		AssumedRoleID string `xml:"AssumedRoleId"`
	} `xml:"AssumedRoleUser"`
	Credentials struct {
		AccessKeyID     string `xml:"AccessKeyId"`
		SecretAccessKey string `xml:"SecretAccessKey"`
		SessionToken    string `xml:"SessionToken"`
		Expiration      string `xml:"Expiration"`
	} `xml:"Credentials"`
}

// The parameter constraints of AssumeRole.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
var (
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]*$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

const (
	minDuration     = 900
	defaultDuration = 3600
	// chainedMax is the longest session a role session may assume: "Role chaining limits
	// your AWS CLI or AWS API role session to a maximum of one hour."
	// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-role-chaining
	chainedMax = 3600
)

func validationError(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: "ValidationError", message: fmt.Sprintf(format, args...)}
}

// assumeRole answers AssumeRole: the role's trust policy (in the role's account, which may be
// a peer of the endpoint) must allow the caller; when it allows only the caller's account,
// or the role is in another account, the caller's own IAM policies must allow
// sts:AssumeRole on the role too. Refusals are AccessDenied (403) whatever the reason,
// including a role that does not exist, as STS answers.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html
func (s *Service) assumeRole(r *awsemu.Request) (*assumeRoleResult, *apiError) {
	v, _ := query.Parse(r.Body)
	roleARN, session, externalID := v.Get("RoleArn"), v.Get("RoleSessionName"), v.Get("ExternalId")
	if roleARN == "" {
		return nil, validationError("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	}
	if session == "" {
		return nil, validationError("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	}
	if n := len(roleARN); n < 20 || n > 2048 {
		return nil, validationError("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", roleARN)
	}
	if n := len(session); n < 2 || n > 64 {
		return nil, validationError("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64", session)
	}
	if !sessionNameRE.MatchString(session) {
		return nil, validationError(`1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`, session)
	}
	if externalID != "" && (len(externalID) < 2 || len(externalID) > 1224 || !externalIDRE.MatchString(externalID)) {
		return nil, validationError(`1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@:/-]*`, externalID)
	}
	duration := defaultDuration
	if d := v.Get("DurationSeconds"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < minDuration || n > 43200 {
			return nil, validationError("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900", d)
		}
		duration = n
	}
	principal := s.srv.PrincipalOf(r)
	denied := &apiError{status: http.StatusForbidden, code: "AccessDenied",
		message: "User: " + principal + " is not authorized to perform: sts:AssumeRole on resource: " + roleARN}
	parts := strings.SplitN(roleARN, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return nil, validationError("%s is invalid", roleARN)
	}
	target, ok := s.srv.Peer(parts[4])
	if !ok || target.IAM == nil {
		return nil, denied
	}
	ctx := map[string][]string{"sts:RoleSessionName": {session}}
	if externalID != "" {
		ctx["sts:ExternalId"] = []string{externalID}
	}
	role, ok := target.IAM.AssumeRoleTrust(roleARN, principal, ctx)
	if !ok || !role.Trusted {
		return nil, denied
	}
	if role.ByAccount || target != s.srv {
		if s.srv.IAM == nil {
			return nil, denied
		}
		if allowed, _ := s.srv.IAM.Authorize(principal, "sts:AssumeRole", role.ARN, nil); !allowed {
			return nil, denied
		}
	}
	chained := strings.Contains(principal, ":assumed-role/")
	if chained && duration > chainedMax {
		return nil, validationError("The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.")
	}
	if duration > role.MaxSessionDuration && role.MaxSessionDuration > 0 {
		return nil, validationError("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	s.mu.Lock()
	s.seq++
	seed := fmt.Sprintf("%s/%s/%s/%d", s.srv.Account, role.ARN, session, s.seq)
	s.mu.Unlock()
	now := s.srv.Clock.Now().UTC()
	out := &assumeRoleResult{}
	out.AssumedRoleUser.Arn = awsemu.AssumedRoleARN(role.ARN, session)
	out.AssumedRoleUser.AssumedRoleID = role.ID + ":" + session
	keyID := awsemu.UniqueID("ASIA", "access-key/"+seed)[:20]
	out.Credentials.AccessKeyID = keyID
	sum := sha256.Sum256([]byte("secret/" + seed))
	out.Credentials.SecretAccessKey = base64.RawStdEncoding.EncodeToString(sum[:])[:40]
	tok := sha256.Sum256([]byte("token/" + seed))
	out.Credentials.SessionToken = "FwoGZXIvYXdzEAwaDAWSEMU" + base64.RawStdEncoding.EncodeToString(tok[:])
	exp := now.Add(time.Duration(duration) * time.Second)
	out.Credentials.Expiration = exp.Format("2006-01-02T15:04:05Z")
	s.srv.AddSession(keyID, awsemu.Identity{Account: parts[4], ARN: out.AssumedRoleUser.Arn,
		UserID: out.AssumedRoleUser.AssumedRoleID, Expiration: exp})
	return out, nil
}
