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
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/autoscaling"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/eks"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/imagebuilder"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/servicequotas"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// Settings are the standard AWS settings a command takes.
type Settings struct {
	// Profile is the shared-config profile (AWS_PROFILE when empty).
	Profile string
	// Region is the default region (AWS_REGION / the profile's when empty).
	Region string
	// MaxAttempts bounds the retryer's attempts per call (DefaultMaxAttempts when zero).
	MaxAttempts int
	// MaxBackoff bounds the retryer's backoff (20 s when zero).
	MaxBackoff time.Duration
	// RequestTimeout bounds one attempt of one request (the context's WithRequestTimeout,
	// else DefaultRequestTimeout, when zero).
	RequestTimeout time.Duration
	// LoadOptions are applied after winami's own when the shared config and environment
	// are loaded: tests point the SDK at an emulator with them (config.WithBaseEndpoint,
	// static credentials, no shared files) without touching the process's environment.
	LoadOptions []func(*config.LoadOptions) error
}

// Retryer is winami's retryer, tuned for throttling: the SDK's standard mode
// (maxAttempts attempts per call, backoff capped at maxBackoff, the SDK's default cap
// when zero, full-jitter from BackoffBase, and no client-side retry quota, so a
// throttled burst is retried rather than refused) with client-side rate limiting per
// client, one per service and region (Clients caches them; the config calls this factory
// once per client): attempts in flight are limited, the limit halves on every throttled
// attempt and grows back by one per limit's worth of successes (AIMD, the rule TCP
// congestion control uses), so a throttled region or service gets fewer requests at once
// while the others go on. Image Builder's CallRateLimitExceededException counts as a
// throttle too.
//
// It stands in for the SDK's adaptive mode (retry.NewAdaptiveMode), which limits the
// request rate instead: its token bucket starts from the rate it has measured, and a
// command's fresh client has measured almost nothing, so its first throttle drops it to
// the floor of 0.5 requests a second (aws/retry/adaptive_ratelimit.go, minFillRate):
// with half the requests throttled, bench/resolve measures the full matrix at 29 s with
// it (259× the fault-free time) and 1.0 s with this retryer (9.4×; README, winami resolve).
func Retryer(maxAttempts int, maxBackoff time.Duration) aws.Retryer {
	std := retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		if maxBackoff > 0 {
			o.MaxBackoff = maxBackoff
		}
		o.RateLimiter = noRateLimit{}
		o.Retryables = append(o.Retryables, retry.RetryableErrorCode{Codes: extraRetryableCodes})
		o.Backoff = jitterBackoff{base: BackoffBase, max: o.MaxBackoff}
	})
	return &aimdRetryer{RetryerV2: std, limit: MaxInFlight, changed: make(chan struct{}),
		throttles: retry.IsErrorThrottles(append(append([]retry.IsErrorThrottle{}, retry.DefaultThrottles...), retry.ThrottleErrorCode{Codes: extraRetryableCodes}))}
}

// MaxInFlight is how many attempts one client (one service in one region) has in flight
// at most while it is not throttled.
const MaxInFlight = 64

// aimdRetryer limits the attempts in flight of one client: halved (down to 1) on a
// throttled attempt, plus 1/limit on any other outcome.
type aimdRetryer struct {
	aws.RetryerV2
	throttles retry.IsErrorThrottles

	mu       sync.Mutex
	inFlight int
	limit    float64
	changed  chan struct{} // closed and replaced when inFlight or limit changes
}

// GetAttemptToken waits for room under the limit, then takes the standard retryer's token.
func (a *aimdRetryer) GetAttemptToken(ctx context.Context) (func(error) error, error) {
	for {
		a.mu.Lock()
		if a.inFlight < max(1, int(a.limit)) {
			a.inFlight++
			a.mu.Unlock()
			break
		}
		ch := a.changed
		a.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for room among the client's requests in flight: %w", ctx.Err())
		}
	}
	release, err := a.RetryerV2.GetAttemptToken(ctx)
	if err != nil {
		a.done(nil)
		return nil, err
	}
	return func(opErr error) error {
		a.done(opErr)
		return release(opErr)
	}, nil
}

// done ends an attempt and adapts the limit to its outcome.
func (a *aimdRetryer) done(opErr error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inFlight--
	if opErr != nil && a.throttles.IsErrorThrottle(opErr).Bool() {
		a.limit = max(1, a.limit/2)
	} else {
		a.limit = min(MaxInFlight, a.limit+1/a.limit)
	}
	close(a.changed)
	a.changed = make(chan struct{})
}

// Limit is the client's current limit of attempts in flight (for tests).
func (a *aimdRetryer) Limit() float64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.limit
}

// DefaultMaxAttempts is how many attempts a call makes before it gives up. With half the
// attempts throttled, 10 attempts fail one call in 1,024, one resolve of the full matrix
// (68 calls) in 15 (bench/resolve); 15 fail one in 32,768. Short backoffs keep the extra
// attempts cheap, and timed-out attempts have their own, lower, bound (TimeoutAttempts).
const DefaultMaxAttempts = 15

// BackoffBase is the first retry's backoff bound; each retry doubles it up to the
// retryer's maximum, and the delay is a uniformly random share of it ("full jitter").
// The SDK's standard backoff starts at 1 s (aws/retry/jitter_backoff.go): against a
// throttled endpoint one unlucky call then waits up to 1+2+4+8+16 s while the others are
// done. The client-side limit of attempts in flight (Retryer) is what eases the load on a
// throttling service, so the backoff need not be long; it still grows to maxBackoff.
var BackoffBase = 10 * time.Millisecond

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
		attempts = DefaultMaxAttempts
	}
	if backoff == 0 {
		backoff = 20 * time.Second
	}
	opts := []func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer { return Retryer(attempts, backoff) }),
		// The SDK logs to stderr by default (config/resolve.go: logging.NewStandardLogger(
		// os.Stderr)), such as "SDK … WARN falling back to IMDSv1" while the credential
		// chain tries instance metadata: winami's errors say what failed instead.
		config.WithLogger(logging.Nop{}),
	}
	if s.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(s.Profile))
	}
	if s.Region != "" {
		opts = append(opts, config.WithRegion(s.Region))
	}
	opts = append(opts, s.LoadOptions...)
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading AWS configuration: %w", err)
	}
	timeout := requestTimeout(ctx, s)
	cfg.HTTPClient = WrapHTTPClient(deadlineClient(cfg.HTTPClient, timeout))
	profile, endpoint := loadedProfile(cfg)
	if cfg.Credentials != nil {
		cfg.Credentials = aws.NewCredentialsCache(&credentialsReporter{inner: cfg.Credentials, profile: profile, region: cfg.Region, sso: usesSSO(cfg)})
	}
	cfg.APIOptions = append(cfg.APIOptions, timeoutBudget(timeout), errorContext(profile, endpoint))
	return &Clients{cfg: cfg, cache: map[string]any{}}, nil
}

// loadedProfile is the shared-config profile the loaded configuration was read for
// ("default" when none was named) and where its base endpoint came from: "" (none),
// "profile" (the profile's endpoint_url), else "the configured endpoint" (a load option
// or AWS_ENDPOINT_URL, which errorContext names itself).
func loadedProfile(cfg aws.Config) (profile, endpoint string) {
	profile = "default"
	for _, src := range cfg.ConfigSources {
		if ec, ok := src.(config.EnvConfig); ok && ec.SharedConfigProfile != "" {
			profile = ec.SharedConfigProfile // AWS_PROFILE
		}
	}
	for _, src := range cfg.ConfigSources {
		if sc, ok := src.(config.SharedConfig); ok && sc.Profile != "" {
			profile = sc.Profile // the one the SDK read: --profile, else AWS_PROFILE
			if sc.BaseEndpoint != "" {
				endpoint = "profile"
			}
		}
	}
	if cfg.BaseEndpoint != nil && endpoint == "" {
		endpoint = "the configured endpoint"
	}
	return profile, endpoint
}

// usesSSO reports whether the loaded profile gets its credentials from IAM Identity
// Center (sso_session or the legacy sso_start_url).
func usesSSO(cfg aws.Config) bool {
	for _, src := range cfg.ConfigSources {
		if sc, ok := src.(config.SharedConfig); ok && (sc.SSOSessionName != "" || sc.SSOStartURL != "") {
			return true
		}
	}
	return false
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

// KMS returns the AWS KMS client for region (keys are regional: a key is read in the
// region of its ARN).
func (c *Clients) KMS(region string) KMS {
	return cached(c, "kms", region, func(cfg aws.Config) KMS { return kms.NewFromConfig(cfg) })
}

// S3 returns the Amazon S3 client for region. With a custom endpoint (AWS_ENDPOINT_URL:
// an emulator such as `winami sandbox`, or a proxy) requests are path-style
// (endpoint/bucket), which every S3-compatible endpoint serves, rather than
// virtual-hosted (bucket.endpoint), which needs DNS for every bucket name.
func (c *Clients) S3(region string) S3 {
	return cached(c, "s3", region, func(cfg aws.Config) S3 {
		return s3.NewFromConfig(cfg, func(o *s3.Options) {
			if cfg.BaseEndpoint != nil {
				o.UsePathStyle = true
			}
		})
	})
}

// AssumeRole returns Clients with the same settings (endpoints, retryer, timeouts) whose
// every client, in any region, signs with the credentials of roleARN assumed with the
// session name session (sts:AssumeRole through credentials/stscreds, cached and renewed
// before they expire). The STS call goes to the default region's endpoint. AssumeRole
// assumes the role once before it returns, so a role that does not exist or does not
// trust the caller is an error here rather than at the first call made with it.
func (c *Clients) AssumeRole(ctx context.Context, roleARN, session string) (*Clients, error) {
	cfg := c.cfg.Copy()
	provider := stscreds.NewAssumeRoleProvider(c.STS(""), roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = session
	})
	cfg.Credentials = aws.NewCredentialsCache(&credentialsReporter{inner: provider, profile: "role " + roleARN, region: cfg.Region})
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		var ce *CredentialsError
		if errors.As(err, &ce) && ce.Err != nil {
			err = ce.Err // the STS call's error: this message names the role already
		}
		return nil, fmt.Errorf("assuming role %s: %w", roleARN, err)
	}
	return &Clients{cfg: cfg, cache: map[string]any{}}, nil
}

// RoleARN is the ARN of the IAM role name in account, in an ARN partition (aws, aws-cn,
// aws-us-gov; "" means aws): arn:<partition>:iam::<account>:role/<name>
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html).
func RoleARN(partition, account, name string) string {
	if partition == "" {
		partition = "aws"
	}
	return "arn:" + partition + ":iam::" + account + ":role/" + name
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
