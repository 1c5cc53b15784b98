package awsapi

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
)

// Settings are the standard AWS settings a command takes.
type Settings struct {
	// Profile is the shared-config profile (AWS_PROFILE when empty).
	Profile string
	// Region is the default region (AWS_REGION / the profile's when empty).
	Region string
	// MaxAttempts bounds the retryer's attempts per call (10 when zero).
	MaxAttempts int
	// MaxBackoff bounds the retryer's backoff (20 s when zero).
	MaxBackoff time.Duration
	// RequestTimeout bounds one attempt of one request (the context's WithRequestTimeout,
	// else DefaultRequestTimeout, when zero).
	RequestTimeout time.Duration
}

// Retryer is the SDK's adaptive retry mode (retry.NewAdaptiveMode) tuned for
// throttling: maxAttempts attempts per call, backoff capped at maxBackoff (the SDK's
// default cap when zero), and no client-side retry quota, so a throttled burst is
// retried rather than refused. Adaptive mode adds the SDK's client-side rate limiting:
// each client (one per service and region, Clients caches them; the config calls this
// factory once per client) slows its attempts when they are throttled (a CUBIC token
// bucket, aws/retry/adaptive_ratelimit.go) and speeds up again when they are not, so a
// throttled region or service does not keep every worker failing and backing off.
// Image Builder's CallRateLimitExceededException counts as a throttle too.
func Retryer(maxAttempts int, maxBackoff time.Duration) aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.Throttles = append(o.Throttles, retry.ThrottleErrorCode{Codes: extraRetryableCodes})
		o.StandardOptions = append(o.StandardOptions, func(o *retry.StandardOptions) {
			o.MaxAttempts = maxAttempts
			if maxBackoff > 0 {
				o.MaxBackoff = maxBackoff
			}
			o.RateLimiter = noRateLimit{}
			o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: extraRetryableCodes})
			o.Backoff = jitterBackoff{base: BackoffBase, max: o.MaxBackoff}
		})
	})
}

// BackoffBase is the first retry's backoff bound; each retry doubles it up to the
// retryer's maximum, and the delay is a uniformly random share of it ("full jitter").
// The SDK's standard backoff starts at 1 s (aws/retry/jitter_backoff.go): against a
// throttled endpoint one unlucky call then waits 1+2+4+8+16 s. With adaptive mode's
// client-side rate limiting keeping the request rate where the service stops throttling,
// the backoff need not be what slows a client down.
var BackoffBase = 25 * time.Millisecond

// jitterBackoff is full-jitter exponential backoff: a random delay in [0, min(base×2^attempt, max)).
type jitterBackoff struct{ base, max time.Duration }

// BackoffDelay returns the delay before retry attempt (1 for the first retry).
func (j jitterBackoff) BackoffDelay(attempt int, _ error) (time.Duration, error) {
	bound := j.max
	if attempt < 30 {
		if b := j.base << attempt; b > 0 && b < j.max {
			bound = b
		}
	}
	return time.Duration(rand.Int64N(int64(bound) + 1)), nil
}

// extraRetryableCodes are throttling codes of the services winami calls that the SDK's
// standard retryer does not know: Image Builder's per-operation rate limit.
var extraRetryableCodes = map[string]struct{}{
	"CallRateLimitExceededException": {},
}

// Clients builds and caches one client per service and region from one loaded config.
// It is safe for concurrent use.
type Clients struct {
	cfg aws.Config

	mu    sync.Mutex
	cache map[string]any
}

// ErrNoRegion is returned when no region is configured anywhere.
var ErrNoRegion = errors.New("no AWS region: pass --region or set AWS_REGION (or a region in the profile)")

// Load reads the shared config and environment (AWS_ENDPOINT_URL included) once.
func Load(ctx context.Context, s Settings) (*Clients, error) {
	attempts, backoff := s.MaxAttempts, s.MaxBackoff
	if attempts == 0 {
		attempts = 10
	}
	if backoff == 0 {
		backoff = 20 * time.Second
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return Retryer(attempts, backoff) }),
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	timeout := requestTimeout(ctx, s)
	cfg.HTTPClient = WrapHTTPClient(deadlineClient(cfg.HTTPClient, timeout))
	cfg.APIOptions = append(cfg.APIOptions, timeoutBudget(timeout))
	return &Clients{cfg: cfg, cache: map[string]any{}}, nil
}

// FromConfig wraps an already loaded config.
func FromConfig(cfg aws.Config) *Clients { return &Clients{cfg: cfg, cache: map[string]any{}} }

// Config returns the loaded config.
func (c *Clients) Config() aws.Config { return c.cfg }

// Region is the configured default region ("" when none).
func (c *Clients) Region() string { return c.cfg.Region }

func cached[T any](c *Clients, service, region string, mk func(aws.Config) T) T {
	c.mu.Lock()
	defer c.mu.Unlock()
	key := service + "/" + region
	if v, ok := c.cache[key]; ok {
		return v.(T)
	}
	cfg := c.cfg.Copy()
	if region != "" {
		cfg.Region = region
	}
	v := mk(cfg)
	c.cache[key] = v
	return v
}

// SSM returns the SSM client for region ("" for the default region).
func (c *Clients) SSM(region string) SSM {
	return cached(c, "ssm", region, func(cfg aws.Config) SSM { return ssm.NewFromConfig(cfg) })
}

// EC2 returns the EC2 client for region.
func (c *Clients) EC2(region string) EC2 {
	return cached(c, "ec2", region, func(cfg aws.Config) EC2 { return ec2.NewFromConfig(cfg) })
}

// AutoScaling returns the Auto Scaling client for region.
func (c *Clients) AutoScaling(region string) AutoScaling {
	return cached(c, "autoscaling", region, func(cfg aws.Config) AutoScaling { return autoscaling.NewFromConfig(cfg) })
}

// ImageBuilder returns the Image Builder client for region.
func (c *Clients) ImageBuilder(region string) ImageBuilder {
	return cached(c, "imagebuilder", region, func(cfg aws.Config) ImageBuilder { return imagebuilder.NewFromConfig(cfg) })
}

// STS returns the STS client for region.
func (c *Clients) STS(region string) STS {
	return cached(c, "sts", region, func(cfg aws.Config) STS { return sts.NewFromConfig(cfg) })
}

// IAM returns the IAM client (IAM is global; region only picks the signing region).
func (c *Clients) IAM(region string) IAM {
	return cached(c, "iam", region, func(cfg aws.Config) IAM { return iam.NewFromConfig(cfg) })
}

// ECR returns the ECR client for region.
func (c *Clients) ECR(region string) ECR {
	return cached(c, "ecr", region, func(cfg aws.Config) ECR { return ecr.NewFromConfig(cfg) })
}

// EKS returns the EKS client for region.
func (c *Clients) EKS(region string) EKS {
	return cached(c, "eks", region, func(cfg aws.Config) EKS { return eks.NewFromConfig(cfg) })
}

// ServiceQuotas returns the Service Quotas client for region (quotas are regional).
func (c *Clients) ServiceQuotas(region string) ServiceQuotas {
	return cached(c, "servicequotas", region, func(cfg aws.Config) ServiceQuotas { return servicequotas.NewFromConfig(cfg) })
}

// ErrorCode returns the AWS error code of err ("" when err is not an API error).
func ErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// IsAccessDenied reports whether err is an AWS authorization failure.
func IsAccessDenied(err error) bool {
	switch ErrorCode(err) {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedException", "AuthFailure":
		return true
	}
	return false
}

// IsCredentialError reports whether err means the credentials are missing, invalid or expired.
func IsCredentialError(err error) bool {
	switch ErrorCode(err) {
	case "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId", "UnrecognizedClientException",
		"SignatureDoesNotMatch", "InvalidSignatureException", "AuthFailure", "MissingAuthenticationToken":
		return true
	}
	return false
}

type noRateLimit struct{}

func (noRateLimit) AddTokens(uint) error { return nil }
func (noRateLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
