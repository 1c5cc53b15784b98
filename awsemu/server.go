package awsemu

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultAccount is the account every caller belongs to unless Options says otherwise.
const DefaultAccount = "123456789012"

// DefaultRegion is used when a request carries no credential scope.
const DefaultRegion = "us-east-1"

// Request is one decoded HTTP request to the endpoint.
type Request struct {
	// Service is the SigV4 signing name: "ssm", "ec2", "imagebuilder", "sts", "iam", "ecr", "eks".
	Service string
	// Region comes from the credential scope.
	Region string
	// Account is the caller's account.
	Account string
	// AccessKey is the access key id from the credential scope.
	AccessKey string
	// Principal is the caller's ARN: the account's IAM user (arn:aws:iam::<account>:user/awsemu)
	// or, with credentials from STS AssumeRole, the session
	// (arn:aws:sts::<account>:assumed-role/<role>/<session>).
	Principal string
	// PrincipalID is the caller's unique id as GetCallerIdentity answers it: AIDA… for the
	// user, AROA…:<session> for an assumed-role session.
	PrincipalID string
	// HTTP is the original request; its body has been read into Body.
	HTTP *http.Request
	// Body is the full request body.
	Body []byte
	// ID is the request id sent back in responses.
	ID string
}

// Service is one AWS service served by the endpoint.
type Service interface {
	// Name is the SigV4 signing name the service answers to.
	Name() string
	// Operation names the API operation a request calls (from X-Amz-Target, the
	// query Action or the REST route); "" when it cannot be told.
	Operation(r *Request) string
	// Serve answers the request for operation op.
	Serve(w http.ResponseWriter, r *Request, op string)
	// WriteError writes an error in the service's own protocol shape.
	WriteError(w http.ResponseWriter, r *Request, status int, code, message string)
	// Throttle returns the HTTP status and error code the service uses for throttling.
	Throttle() (status int, code string)
}

// Server is the loopback AWS endpoint.
type Server struct {
	// Account is the account of every caller.
	Account string
	// Clock drives every time-dependent state machine (builds, Fast Launch).
	Clock Clock
	// Faults holds the injected faults and the request counts.
	Faults *Faults

	// Stores other services reach through; set by the services that own them.
	EC2 EC2Store
	SSM SSMStore
	IAM IAMStore
	KMS KMSStore
	S3  S3Store
	// AutoScaling is Auto Scaling's state, for EKS managed node groups.
	AutoScaling AutoScalingStore

	accounts *accounts // shared by the server and its peers

	mu       sync.RWMutex
	services map[string]Service
	tickers  []Ticker                // registered services that implement Ticker, in order
	controls map[string]http.Handler // control paths services add (HandleControl)
	reqSeq   uint64
	httpSrv  *http.Server
	listener net.Listener
}

// NewServer returns a server with no services registered, the default account,
// a real clock and no faults.
func NewServer() *Server {
	s := &Server{
		Account:  DefaultAccount,
		Clock:    RealClock{},
		Faults:   NewFaults(),
		services: map[string]Service{},
		accounts: newAccounts(),
	}
	s.accounts.root = s
	return s
}

// Register adds a service. A later registration of the same name replaces the earlier one.
func (s *Server) Register(svc Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.services[svc.Name()].(Ticker); ok {
		s.tickers = slices.DeleteFunc(s.tickers, func(t Ticker) bool { return t == old })
	}
	s.services[svc.Name()] = svc
	if t, ok := svc.(Ticker); ok {
		s.tickers = append(s.tickers, t)
	}
}

// tick moves every Ticker of the world to now (see Ticker).
func (s *Server) tick() {
	s.mu.RLock()
	tickers := s.tickers
	s.mu.RUnlock()
	if len(tickers) == 0 {
		return
	}
	now := s.Clock.Now().UTC()
	for _, t := range tickers {
		t.Tick(now)
	}
}

// HandleControl adds a control path a service answers, ControlPrefix+name (e.g.
// "servicequotas" → /_awsemu/servicequotas), for state tests set that no AWS operation
// sets. A later registration of the same name replaces the earlier one.
func (s *Server) HandleControl(name string, h http.Handler) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.controls == nil {
		s.controls = map[string]http.Handler{}
	}
	s.controls[ControlPrefix+name] = h
}

// Services lists the signing names of the registered services, sorted.
func (s *Server) Services() []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	names := make([]string, 0, len(s.services))
	for n := range s.services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Start listens on addr ("127.0.0.1:0" for a random port) and serves in the background.
// Only loopback addresses are accepted.
func (s *Server) Start(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("parsing listen address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("listening on %q: awsemu serves loopback addresses only (127.0.0.1, ::1, localhost)", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	s.listener = ln
	s.httpSrv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.httpSrv.Serve(ln) }()
	return nil
}

// URL is the endpoint URL to put in AWS_ENDPOINT_URL; empty before Start.
func (s *Server) URL() string {
	if s.listener == nil {
		return ""
	}
	return "http://" + s.listener.Addr().String()
}

// Close stops the server.
func (s *Server) Close() error {
	if s.httpSrv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return s.httpSrv.Shutdown(ctx)
}

var credentialScope = regexp.MustCompile(`Credential=([^/,\s]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

// ServeHTTP decodes the request's service and region, applies faults and dispatches.
func (s *Server) ServeHTTP(w http.ResponseWriter, hr *http.Request) {
	if strings.HasPrefix(hr.URL.Path, ControlPrefix) {
		s.serveControl(w, hr)
		return
	}
	body, err := io.ReadAll(hr.Body)
	if err != nil {
		http.Error(w, "reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	hr.Body = io.NopCloser(bytes.NewReader(body))
	r := &Request{HTTP: hr, Body: body, Region: DefaultRegion}
	s.mu.Lock()
	s.reqSeq++
	r.ID = fmt.Sprintf("00000000-0000-4000-8000-%012d", s.reqSeq)
	s.mu.Unlock()
	if m := credentialScope.FindStringSubmatch(hr.Header.Get("Authorization")); m != nil {
		r.AccessKey, r.Region, r.Service = m[1], m[2], m[3]
	} else {
		r.Service = serviceFromUnsigned(hr, body)
	}
	// The access key id says which account's world answers and who the caller is.
	id := s.identify(r.AccessKey)
	world, ok := s.Peer(id.Account)
	if !ok {
		world = s
		id = s.userIdentity()
	}
	r.Account, r.Principal, r.PrincipalID = id.Account, id.ARN, id.UserID
	world.mu.RLock()
	svc := world.services[r.Service]
	world.mu.RUnlock()
	if svc == nil {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, "awsemu: no service %q (the SigV4 credential scope names the service; served: %s)\n", r.Service, strings.Join(world.Services(), ", "))
		return
	}
	w.Header().Set("x-amzn-RequestId", r.ID)
	world.tick()
	op := svc.Operation(r)
	if fault := s.Faults.before(r.Service, op, r.Region); fault != nil {
		if fault.delay > 0 {
			select {
			case <-time.After(fault.delay):
			case <-hr.Context().Done():
				return
			}
		}
		if fault.err != nil {
			status, code := fault.err.Status, fault.err.Code
			if fault.err.Throttle {
				status, code = svc.Throttle()
			}
			svc.WriteError(w, r, status, code, fault.err.Message)
			return
		}
	}
	svc.Serve(w, r, op)
}

// serviceFromUnsigned guesses the service of an unsigned request (STS's
// AssumeRoleWithWebIdentity and the like) from its target header or action.
func serviceFromUnsigned(hr *http.Request, body []byte) string {
	if t := hr.Header.Get("X-Amz-Target"); t != "" {
		switch {
		case strings.HasPrefix(t, "AmazonSSM."):
			return "ssm"
		case strings.HasPrefix(t, "AmazonEC2ContainerRegistry"):
			return "ecr"
		}
	}
	if bytes.Contains(body, []byte("Action=AssumeRole")) || bytes.Contains(body, []byte("Action=GetCallerIdentity")) {
		return "sts"
	}
	return ""
}
