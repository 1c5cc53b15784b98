package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials/ec2rolecreds"
	"github.com/aws/aws-sdk-go-v2/credentials/processcreds"
	"github.com/aws/aws-sdk-go-v2/credentials/ssocreds"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
)

// Kind is what went wrong with an AWS call, as far as it tells the user what to fix.
type Kind int

// Kinds of failure, from Diagnose.
const (
	// Other is any other failure: the service's own error (ParameterNotFound, …).
	Other Kind = iota
	// NoCredentials: the SDK's credential chain found none (no environment keys, no
	// profile with credentials, no instance role).
	NoCredentials
	// CredentialsFailed: the profile's credential source (credential_process, a role
	// to assume, a container endpoint) failed.
	CredentialsFailed
	// CredentialsExpired: the session token or the SSO session has expired.
	CredentialsExpired
	// CredentialsRefused: AWS does not accept the credentials (unknown key, wrong secret).
	CredentialsRefused
	// AccessDenied: the identity may not call the action.
	AccessDenied
	// Throttled: the call was still throttled when its retries ran out.
	Throttled
	// ConnectionRefused: nothing accepts connections at the endpoint.
	ConnectionRefused
	// HostNotFound: the endpoint's host name does not resolve.
	HostNotFound
	// Timeout: the endpoint did not answer in time (TimeoutError).
	Timeout
)

// Failure is what Diagnose finds out about a failed AWS call.
type Failure struct {
	Kind Kind
	// Service and Operation name the call, as the SDK does ("SSM", "GetParameters").
	Service, Operation string
	// Action is the IAM action of the call ("ssm:GetParameters"): the one AWS named in
	// an access-denied message, else the one the operation maps to.
	Action string
	// Code and Message are the service's error ("" when it did not answer).
	Code, Message string
	// Attempts is how many attempts the call made (0 when unknown).
	Attempts int
	// Endpoint is the scheme and host of the URL the call went to ("" when unknown);
	// EndpointVar names the setting that chose it (AWS_ENDPOINT_URL_SSM, AWS_ENDPOINT_URL,
	// "endpoint_url of profile p", "" for AWS's own endpoint).
	Endpoint, EndpointVar string
	// Loopback: the endpoint's host is this machine.
	Loopback bool
	// Profile is the shared-config profile the credentials came from ("default" when
	// none was named), Region the client's region.
	Profile, Region string
	// SSO: the credentials come from IAM Identity Center (aws sso login renews them).
	SSO bool
	// Short is the call's one-line summary, without the SDK's chain:
	// "SSM GetParameters: ParameterNotFound: …".
	Short string
}

// Diagnose returns what went wrong with the first failed AWS call in err (nil when err
// holds none).
func Diagnose(err error) *Failure {
	var op *smithy.OperationError
	if !errors.As(err, &op) {
		return nil
	}
	return diagnoseOp(op)
}

// Message is err's text with every AWS call's error in it (smithy.OperationError) shown
// by its one-line summary (Failure.Short) instead of the SDK's chain ("operation error
// SSM: GetParameters, https response error StatusCode: 400, RequestID: …"); the rest of
// the text (what winami was doing) is kept. Control characters are escaped: a service's
// message cannot move the cursor or end the line.
func Message(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, op := range operationErrors(err) {
		if long := op.Error(); strings.Contains(msg, long) {
			msg = strings.Replace(msg, long, diagnoseOp(op).Short, 1)
		}
	}
	return sanitize(msg)
}

// operationErrors lists the AWS call errors in err's tree, outermost first; one found
// inside another (an STS AssumeRole inside an SSM call's credentials) is left to the
// outer one's summary.
func operationErrors(err error) []*smithy.OperationError {
	var out []*smithy.OperationError
	var walk func(error)
	walk = func(e error) {
		for e != nil {
			if op, ok := e.(*smithy.OperationError); ok {
				out = append(out, op)
				return
			}
			switch u := e.(type) {
			case interface{ Unwrap() []error }:
				for _, c := range u.Unwrap() {
					walk(c)
				}
				return
			case interface{ Unwrap() error }:
				e = u.Unwrap()
			default:
				return
			}
		}
	}
	walk(err)
	return out
}

func diagnoseOp(op *smithy.OperationError) *Failure {
	f := &Failure{Service: op.ServiceID, Operation: op.OperationName, Profile: "default"}
	err := op.Err
	var where *callError
	if errors.As(err, &where) {
		f.Profile, f.Region, f.EndpointVar = where.profile, where.region, where.endpointVar
	}
	var ma *retry.MaxAttemptsError
	if errors.As(err, &ma) {
		f.Attempts = ma.Attempt
	}
	var to *TimeoutError
	if errors.As(err, &to) {
		f.Attempts = to.Attempts
	}
	var refused *refusedError
	if errors.As(err, &refused) {
		f.Attempts = refused.attempts
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil && u.Host != "" {
			f.Endpoint = u.Scheme + "://" + u.Host // never the path, query or user info
			f.Loopback = isLoopback(u.Hostname())
		}
	}
	f.Action = iamAction(f.Service, f.Operation)
	call := f.Service + " " + f.Operation
	var ce *CredentialsError
	var ae smithy.APIError
	var dns *net.DNSError
	switch {
	case errors.As(err, &ce):
		f.Kind, f.Profile, f.SSO = ce.Kind, ce.Profile, ce.SSO
		if ce.Region != "" {
			f.Region = ce.Region
		}
		f.Short = call + ": " + ce.Error()
	case errors.As(err, &to):
		f.Kind = Timeout
		at := ""
		if f.Endpoint != "" {
			at = " from " + f.Endpoint
		}
		f.Short = fmt.Sprintf("%s: no answer%s within %s (%d attempts)", call, at, to.Timeout, to.Attempts)
	case errors.As(err, &ae):
		f.Code, f.Message = ae.ErrorCode(), ae.ErrorMessage()
		f.Kind = apiKind(f.Code)
		if f.Kind == Other && ma != nil && isThrottle(err) {
			f.Kind = Throttled
		}
		if f.Kind == AccessDenied {
			if m := deniedAction.FindStringSubmatch(f.Message); m != nil {
				f.Action = m[1]
			}
		}
		what := f.Code
		if f.Message != "" {
			what += ": " + f.Message
		}
		switch {
		case f.Kind == Throttled:
			f.Short = fmt.Sprintf("%s: still throttled after %d attempts (%s)", call, f.Attempts, what)
		case f.Attempts > 1:
			f.Short = fmt.Sprintf("%s: %s (%d attempts)", call, what, f.Attempts)
		default:
			f.Short = call + ": " + what
		}
	case errors.Is(err, syscall.ECONNREFUSED):
		f.Kind = ConnectionRefused
		f.Short = fmt.Sprintf("%s: %s refused the connection%s", call, orEndpoint(f.Endpoint), attempts(f.Attempts))
	case errors.As(err, &dns) && dns.IsNotFound:
		f.Kind = HostNotFound
		f.Short = fmt.Sprintf("%s: no such host %s", call, dns.Name)
	case errors.Is(err, context.Canceled):
		f.Short = call + ": canceled"
	default:
		f.Short = call + ": " + innermost(err)
	}
	return f
}

// isThrottle reports whether err is a throttling error by the SDK's standard rule plus
// winami's extra codes (the Retryer's).
func isThrottle(err error) bool {
	t := retry.IsErrorThrottles(append(append([]retry.IsErrorThrottle{}, retry.DefaultThrottles...), retry.ThrottleErrorCode{Codes: extraRetryableCodes}))
	return t.IsErrorThrottle(err).Bool()
}

// apiKind classifies a service's error code. Credential and authorization codes are
// the ones AWS documents for its query and JSON APIs ("Common Errors", e.g.
// https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html,
// https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html,
// https://docs.aws.amazon.com/STS/latest/APIReference/CommonErrors.html).
func apiKind(code string) Kind {
	switch code {
	case "ExpiredToken", "ExpiredTokenException":
		return CredentialsExpired // RequestExpired is not: a request signed too long ago (the clock)
	case "InvalidClientTokenId", "UnrecognizedClientException", "SignatureDoesNotMatch", "InvalidSignatureException",
		"AuthFailure", "MissingAuthenticationToken", "InvalidAccessKeyId", "IncompleteSignature":
		return CredentialsRefused
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException", "Forbidden":
		return AccessDenied
	}
	return Other
}

// deniedAction finds the action in AWS's access-denied messages: "User: arn:… is not
// authorized to perform: ssm:GetParameters on resource: …"
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
var deniedAction = regexp.MustCompile(`not authorized to perform:? ([a-z0-9-]+:[A-Za-z0-9*]+)`)

// iamPrefix is the IAM service prefix of each SDK service ID winami calls (Service
// Authorization Reference, "Actions, resources, and condition keys for AWS services":
// https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html).
var iamPrefix = map[string]string{
	"SSM": "ssm", "EC2": "ec2", "imagebuilder": "imagebuilder", "IAM": "iam", "STS": "sts",
	"EKS": "eks", "ECR": "ecr", "Auto Scaling": "autoscaling", "KMS": "kms", "S3": "s3",
	"Service Quotas": "servicequotas",
}

// s3Actions are S3 operations whose IAM action has another name
// (https://docs.aws.amazon.com/AmazonS3/latest/userguide/using-with-s3-policy-actions.html).
var s3Actions = map[string]string{"HeadBucket": "ListBucket", "HeadObject": "GetObject", "ListObjectsV2": "ListBucket"}

// iamAction is the IAM action an operation of a service is authorized as ("" when the
// service is not one winami calls).
func iamAction(service, op string) string {
	p, ok := iamPrefix[service]
	if !ok || op == "" {
		return ""
	}
	if service == "S3" {
		if a, ok := s3Actions[op]; ok {
			op = a
		}
	}
	return p + ":" + op
}

// innermost is the text of the deepest error of err's chain that says something of its
// own: the SDK's wrappers (retries, HTTP response, request send) only add numbers.
func innermost(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Err != nil {
		if re.Response != nil && re.Response.StatusCode > 0 {
			return fmt.Sprintf("HTTP %d: %v", re.Response.StatusCode, re.Err)
		}
		err = re.Err
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

func attempts(n int) string {
	if n > 1 {
		return fmt.Sprintf(" (%d attempts)", n)
	}
	return ""
}

func orEndpoint(e string) string {
	if e == "" {
		return "the endpoint"
	}
	return e
}

// isLoopback reports whether host names this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// sanitize escapes control characters (a terminal's escape sequences, line breaks) in
// a message that carries text from the network.
func sanitize(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// CredentialsError is a failure to get credentials (the SDK's credential chain), with
// where they were looked for. Its text is winami's own: a credential source's error
// may carry secrets (processcreds puts the process's whole output, keys included, in its
// parse error), so it is never copied.
type CredentialsError struct {
	Kind Kind // NoCredentials, CredentialsFailed or CredentialsExpired
	// Profile and Region are the profile and region the configuration was loaded for.
	Profile, Region string
	// Source says what failed ("credential_process", "instance metadata", …).
	Source string
	// SSO: the profile uses IAM Identity Center.
	SSO bool
	// Detail is a safe detail of the failure ("exit status 1"; "" when none).
	Detail string
	Err    error
}

// Error says which credentials could not be had, without the source's own text.
func (e *CredentialsError) Error() string {
	var s string
	switch e.Kind {
	case NoCredentials:
		s = fmt.Sprintf("no AWS credentials found (profile %s, region %s)", e.Profile, e.Region)
	case CredentialsExpired:
		s = fmt.Sprintf("the AWS credentials have expired (profile %s, region %s)", e.Profile, e.Region)
	default:
		if role, ok := strings.CutPrefix(e.Profile, "role "); ok {
			s = "assuming role " + role + " failed"
		} else {
			s = fmt.Sprintf("getting AWS credentials from the %s of profile %s failed", e.Source, e.Profile)
		}
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the credential source's error.
func (e *CredentialsError) Unwrap() error { return e.Err }

// credentialsReporter is the configuration's credentials provider (a cache) with its
// failures turned into *CredentialsError.
type credentialsReporter struct {
	inner           aws.CredentialsProvider
	profile, region string
	sso             bool
}

// Retrieve gets the credentials, or says which could not be had.
func (r *credentialsReporter) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := r.inner.Retrieve(ctx)
	if err == nil {
		return c, nil
	}
	ce := &CredentialsError{Kind: CredentialsFailed, Profile: r.profile, Region: r.region, SSO: r.sso, Err: err}
	var pe *processcreds.ProviderError
	var ite *ssocreds.InvalidTokenError
	var ee *exec.ExitError
	var xe *exec.Error
	switch {
	case errors.As(err, &ite):
		ce.Kind, ce.SSO = CredentialsExpired, true
		ce.Detail = "the SSO session has expired or is invalid"
	case aws.IsCredentialsProvider(r.inner, (*ec2rolecreds.Provider)(nil)):
		// The chain's last resort: nothing in the environment or the profile, and no
		// instance role (or no instance metadata at all).
		ce.Kind, ce.Source = NoCredentials, "instance metadata"
	case errors.As(err, &pe) || aws.IsCredentialsProvider(r.inner, (*processcreds.Provider)(nil)):
		ce.Source = "credential_process"
		switch {
		case errors.As(err, &ee):
			ce.Detail = ee.String()
		case errors.As(err, &xe):
			ce.Detail = xe.Error()
		default:
			ce.Detail = "its output is not the JSON credentials AWS documents (Version 1, AccessKeyId, SecretAccessKey…)"
		}
	default:
		ce.Source = "credential source"
		// A role to assume: its STS call's error is an operation error, summarised safely.
		if ops := operationErrors(err); len(ops) > 0 {
			ce.Detail = diagnoseOp(ops[0]).Short
		}
	}
	return c, ce
}

// IsCredentialsProvider lets aws.IsCredentialsProvider see the wrapped provider.
func (r *credentialsReporter) IsCredentialsProvider(target aws.CredentialsProvider) bool {
	return aws.IsCredentialsProvider(r.inner, target)
}

// callError carries, inside a call's error, where the call was made from: the profile,
// the client's region and the setting that chose its endpoint. Its text is the
// error's own.
type callError struct {
	profile, region, endpointVar string
	err                          error
}

func (e *callError) Error() string { return e.err.Error() }
func (e *callError) Unwrap() error { return e.err }

// errorContext is the Initialize middleware that wraps a call's error in callError.
// It runs after the service's metadata middleware, so the context has the region.
func errorContext(profile, baseEndpoint string) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("winamiErrorContext",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err != nil {
					err = &callError{profile: profile, region: awsmiddleware.GetRegion(ctx),
						endpointVar: endpointVar(awsmiddleware.GetServiceID(ctx), profile, baseEndpoint), err: err}
				}
				return out, md, err
			}), middleware.After)
	}
}

// endpointVar names the setting that chose a service's endpoint (baseEndpoint: "" for
// none, "profile" for the profile's endpoint_url, else how the caller set one), by the SDKs' rule for
// service-specific endpoints: AWS_ENDPOINT_URL_<SERVICE ID, upper case, spaces as
// underscores>, then AWS_ENDPOINT_URL, then the profile's endpoint_url
// (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html;
// config/env_config.go, GetServiceBaseEndpoint).
func endpointVar(serviceID, profile, baseEndpoint string) string {
	if os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") == "true" {
		return ""
	}
	if v := "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(serviceID), " ", "_"); serviceID != "" && os.Getenv(v) != "" {
		return v
	}
	if os.Getenv("AWS_ENDPOINT_URL") != "" {
		return "AWS_ENDPOINT_URL"
	}
	switch baseEndpoint {
	case "":
		return ""
	case "profile":
		return "the endpoint_url of profile " + profile
	}
	return baseEndpoint
}
