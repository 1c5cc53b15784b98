package awsemu

import (
	"sort"
	"sync"
	"time"
)

// Identity is who a request's access key id says the caller is.
type Identity struct {
	// Account is the account whose world answers the caller.
	Account string
	// ARN is the caller's principal: the account's IAM user, or an assumed-role session.
	ARN string
	// UserID is the unique id GetCallerIdentity answers: AIDA… or AROA…:<session>.
	UserID string
	// Expiration is when temporary credentials stop working; zero for the user's keys.
	Expiration time.Time
}

// accounts is the table a server and its peers share: the worlds by account, and the
// temporary credentials STS has issued.
type accounts struct {
	mu       sync.RWMutex
	root     *Server
	peers    map[string]*Server // account → world, the root's too
	sessions map[string]Identity
	names    map[string]string // kind + "/" + name → owning account (global namespaces)
}

func newAccounts() *accounts {
	return &accounts{peers: map[string]*Server{}, sessions: map[string]Identity{}, names: map[string]string{}}
}

// ClaimGlobalName claims name in a namespace every account of the endpoint shares (kind
// "s3-bucket": bucket names are unique across all accounts) for s.Account. It returns the
// account that owns the name and whether s.Account owns it now (just claimed or already).
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
func (s *Server) ClaimGlobalName(kind, name string) (owner string, ours bool) {
	a := s.accounts
	a.mu.Lock()
	defer a.mu.Unlock()
	k := kind + "/" + name
	if o, ok := a.names[k]; ok {
		return o, o == s.Account
	}
	a.names[k] = s.Account
	return s.Account, true
}

// GlobalNameOwner is the account owning name in the shared namespace kind; false when no
// account does.
func (s *Server) GlobalNameOwner(kind, name string) (string, bool) {
	a := s.accounts
	a.mu.RLock()
	defer a.mu.RUnlock()
	o, ok := a.names[kind+"/"+name]
	return o, ok
}

// ReleaseGlobalName frees name in the namespace kind when s.Account owns it.
func (s *Server) ReleaseGlobalName(kind, name string) {
	a := s.accounts
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.names[kind+"/"+name] == s.Account {
		delete(a.names, kind+"/"+name)
	}
}

// accessKeyPrefix starts every account's long-term access key id (AccessKeyFor).
const accessKeyPrefix = "AKIAEMU0"

// AccessKeyFor is the access key id that reaches account's world as its IAM user
// (CallerUserName): "AKIAEMU0" followed by the 12-digit account id, the 20 characters of an
// IAM access key id. Any secret access key is accepted. An access key id that names no
// account served by the endpoint (and is no STS session's) reaches the server's own account.
func AccessKeyFor(account string) string { return accessKeyPrefix + account }

// AddPeer returns the world of account served by the same endpoint, creating it when absent:
// a server with no services of its own yet (register them on it, as emulator.New does),
// sharing s's Clock and Faults and the table of accounts and sessions. Requests signed with
// AccessKeyFor(account), or with credentials of a role session in account, reach it. For
// s.Account it returns s.
func (s *Server) AddPeer(account string) *Server {
	a := s.accounts
	a.mu.Lock()
	defer a.mu.Unlock()
	if account == s.Account {
		return s
	}
	if p := a.peers[account]; p != nil {
		return p
	}
	if a.root != nil && account == a.root.Account {
		return a.root
	}
	p := &Server{Account: account, Clock: s.Clock, Faults: s.Faults, services: map[string]Service{}, accounts: a}
	a.peers[account] = p
	return p
}

// Peer returns the world of another account served by the same endpoint (reached with
// that account's access key, AccessKeyFor), or s itself for s.Account; false when the
// endpoint serves no such account.
func (s *Server) Peer(account string) (*Server, bool) {
	if account == s.Account {
		return s, true
	}
	a := s.accounts
	if a == nil {
		return nil, false
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	if a.root != nil && account == a.root.Account {
		return a.root, true
	}
	p, ok := a.peers[account]
	return p, ok
}

// Accounts lists the accounts the endpoint serves (the default account's and every peer's), sorted.
func (s *Server) Accounts() []string {
	a := s.accounts
	if a == nil {
		return []string{s.Account}
	}
	a.mu.RLock()
	defer a.mu.RUnlock()
	seen := map[string]bool{s.Account: true}
	if a.root != nil {
		seen[a.root.Account] = true
	}
	for acct := range a.peers {
		seen[acct] = true
	}
	out := make([]string, 0, len(seen))
	for acct := range seen {
		out = append(out, acct)
	}
	sort.Strings(out)
	return out
}

// AddSession records temporary credentials (an ASIA… access key id, as STS AssumeRole
// issues) and the identity requests signed with them carry.
func (s *Server) AddSession(accessKeyID string, id Identity) {
	a := s.accounts
	a.mu.Lock()
	defer a.mu.Unlock()
	a.sessions[accessKeyID] = id
}

// userIdentity is the identity of the account's IAM user.
func (s *Server) userIdentity() Identity {
	return Identity{Account: s.Account, ARN: s.CallerARN(), UserID: s.CallerUserID()}
}

// identify resolves an access key id: an STS session's, an account's (AccessKeyFor) or,
// otherwise, the server's own user.
func (s *Server) identify(accessKeyID string) Identity {
	if a := s.accounts; a != nil {
		a.mu.RLock()
		id, ok := a.sessions[accessKeyID]
		a.mu.RUnlock()
		if ok {
			return id
		}
	}
	if len(accessKeyID) == len(accessKeyPrefix)+12 && accessKeyID[:len(accessKeyPrefix)] == accessKeyPrefix {
		if p, ok := s.Peer(accessKeyID[len(accessKeyPrefix):]); ok {
			return p.userIdentity()
		}
	}
	return s.userIdentity()
}

// PrincipalOf is the caller of r: r.Principal, or the account's IAM user when the request
// was not decoded by ServeHTTP (tests that build a Request).
func (s *Server) PrincipalOf(r *Request) string {
	if r != nil && r.Principal != "" {
		return r.Principal
	}
	return s.CallerARN()
}
