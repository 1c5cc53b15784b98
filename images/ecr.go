package images

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/winami/winami/awsapi"

	"github.com/winami/winami/catalog"
)

// ECRClients gives the ECR client of a region (*awsapi.Clients satisfies it): the
// registry token exchange of ECR registries.
type ECRClients interface {
	ECR(region string) awsapi.ECR
}

// ECRRegistry names a private ECR registry: its account and region.
type ECRRegistry struct {
	Account string
	Region  string
}

// ParseECRHost recognises a private ECR registry host
// (111000111000.dkr.ecr.us-east-1.amazonaws.com).
func ParseECRHost(host string) (ECRRegistry, bool) {
	account, region, ok := catalog.ParseECRHost(host)
	return ECRRegistry{Account: account, Region: region}, ok
}

// NewKeychain returns the keychain Check uses: ECR registries get a token from
// GetAuthorizationToken (for the registry's account, in its region) through aws, when
// aws is not nil; every registry then falls back to the Docker config keychain
// (credential helpers included), and to anonymous access. When getting an ECR token
// fails, credentials the Docker config has for the registry are used instead, and the
// ECR error is returned only when it has none. extra maps further hosts to ECR
// registries.
func NewKeychain(aws ECRClients, extra map[string]ECRRegistry) authn.Keychain {
	return newKeychain(aws, extra, nil)
}

// newKeychain is NewKeychain with docker in place of the Docker config's keychain (nil:
// authn.DefaultKeychain).
func newKeychain(aws ECRClients, extra map[string]ECRRegistry, docker authn.Keychain) authn.Keychain {
	if docker == nil {
		docker = authn.DefaultKeychain
	}
	if aws == nil {
		return docker
	}
	return &ecrThenDocker{ecr: &ECRKeychain{ECR: aws.ECR, Hosts: extra}, docker: docker}
}

type ecrThenDocker struct {
	ecr    *ECRKeychain
	docker authn.Keychain
}

func (k *ecrThenDocker) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), target)
}

func (k *ecrThenDocker) ResolveContext(ctx context.Context, target authn.Resource) (authn.Authenticator, error) {
	auth, ecrErr := k.ecr.ResolveContext(ctx, target)
	if ecrErr == nil && auth != authn.Anonymous {
		return auth, nil
	}
	docker, err := authn.Resolve(ctx, k.docker, target)
	if ecrErr != nil && (err != nil || docker == authn.Anonymous) {
		return nil, ecrErr
	}
	return docker, err
}

// TokenError is a failure to get registry credentials. The AWS SDK has already
// retried what it could, so Check does not retry it.
type TokenError struct{ Err error }

// Error implements error.
func (e *TokenError) Error() string { return e.Err.Error() }

// Unwrap returns the underlying error.
func (e *TokenError) Unwrap() error { return e.Err }

// ECRKeychain resolves ECR registries to basic credentials from
// GetAuthorizationToken, cached until shortly before they expire. Other registries
// resolve to anonymous, so that a multi-keychain moves on.
type ECRKeychain struct {
	// ECR returns the client of a region.
	ECR func(region string) awsapi.ECR
	// Hosts maps extra hosts to ECR registries.
	Hosts map[string]ECRRegistry

	mu     sync.Mutex
	tokens map[ECRRegistry]*ecrToken
}

type ecrToken struct {
	mu      sync.Mutex
	auth    authn.AuthConfig
	expires time.Time
}

// Resolve implements authn.Keychain.
func (k *ECRKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), target)
}

// ResolveContext implements authn.ContextKeychain.
func (k *ECRKeychain) ResolveContext(ctx context.Context, target authn.Resource) (authn.Authenticator, error) {
	host := target.RegistryStr()
	reg, ok := k.Hosts[host]
	if !ok {
		reg, ok = ParseECRHost(host)
	}
	if !ok {
		return authn.Anonymous, nil
	}
	k.mu.Lock()
	if k.tokens == nil {
		k.tokens = map[ECRRegistry]*ecrToken{}
	}
	tok := k.tokens[reg]
	if tok == nil {
		tok = &ecrToken{}
		k.tokens[reg] = tok
	}
	k.mu.Unlock()

	tok.mu.Lock()
	defer tok.mu.Unlock()
	if time.Until(tok.expires) > 5*time.Minute {
		return authn.FromConfig(tok.auth), nil
	}
	out, err := k.ECR(reg.Region).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{RegistryIds: []string{reg.Account}}) //nolint:staticcheck // SA1019: deprecated but accepted; dropping it would change the request winami sends, which a lint fix should not
	if err != nil {
		return nil, &TokenError{Err: fmt.Errorf("getting an ECR token for %s (account %s, %s): %w", host, reg.Account, reg.Region, err)}
	}
	if len(out.AuthorizationData) == 0 || out.AuthorizationData[0].AuthorizationToken == nil {
		return nil, fmt.Errorf("getting an ECR token for %s: the answer has no authorization data", host)
	}
	ad := out.AuthorizationData[0]
	raw, err := base64.StdEncoding.DecodeString(*ad.AuthorizationToken)
	if err != nil {
		return nil, fmt.Errorf("decoding the ECR token for %s: %w", host, err)
	}
	user, pass, ok := strings.Cut(string(raw), ":")
	if !ok {
		return nil, fmt.Errorf("decoding the ECR token for %s: no user:password", host)
	}
	tok.auth = authn.AuthConfig{Username: user, Password: pass}
	tok.expires = time.Now().Add(12 * time.Hour)
	if ad.ExpiresAt != nil {
		tok.expires = *ad.ExpiresAt
	}
	return authn.FromConfig(tok.auth), nil
}
