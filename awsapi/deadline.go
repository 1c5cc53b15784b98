package awsapi

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go/middleware"
)

// Deadlines of every AWS request. Without them, an endpoint that accepts connections and
// never answers holds a command forever: the SDK's HTTP client has no response or read
// timeout of its own (its per-service read timeouts, internal/timeouts in
// aws-sdk-go-v2 v1.48, apply only behind AWS_ENABLE_DEFAULT_SOCKET_TIMEOUT_2026 and only
// to a *BuildableClient used as is, which WrapHTTPClient's wrapper is not).
const (
	// DefaultRequestTimeout bounds one attempt of one AWS request, from connecting to the
	// last byte of the response (winami's calls are small: no streaming upload or
	// download); the response headers must arrive within it too, and the response may
	// not go silent for longer.
	DefaultRequestTimeout = 60 * time.Second
	// ConnectTimeout bounds establishing the TCP connection, and TLSHandshakeTimeout the
	// TLS handshake after it.
	ConnectTimeout      = 10 * time.Second
	TLSHandshakeTimeout = 10 * time.Second
	// TimeoutAttempts is how many attempts of one call may time out before the call
	// fails: a timeout already waited a whole RequestTimeout, so it is retried fewer
	// times than a throttled or failed attempt (MaxAttempts).
	TimeoutAttempts = 3
)

type requestTimeoutKey struct{}

// WithRequestTimeout returns ctx carrying d as the RequestTimeout of the clients Load
// builds with it when Settings.RequestTimeout is zero (the CLI's --request-timeout).
func WithRequestTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, requestTimeoutKey{}, d)
}

func requestTimeout(ctx context.Context, s Settings) time.Duration {
	if s.RequestTimeout > 0 {
		return s.RequestTimeout
	}
	if d, ok := ctx.Value(requestTimeoutKey{}).(time.Duration); ok && d > 0 {
		return d
	}
	return DefaultRequestTimeout
}

// deadlineClient returns c (the SDK's client, or nil for its default) with winami's
// deadlines: connect, TLS handshake, response headers, read inactivity and the whole
// attempt. A client the config did not build as a BuildableClient is kept as is.
func deadlineClient(c aws.HTTPClient, timeout time.Duration) aws.HTTPClient {
	b, ok := c.(*awshttp.BuildableClient)
	if c == nil {
		b, ok = awshttp.NewBuildableClient(), true
	}
	if !ok {
		return c
	}
	return b.
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = ConnectTimeout }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.TLSHandshakeTimeout = TLSHandshakeTimeout
			tr.ResponseHeaderTimeout = timeout
		}).
		WithReadTimeout(timeout).
		WithTimeout(timeout)
}

// TimeoutError is a call whose attempts did not get an answer in time.
type TimeoutError struct {
	// Timeout is the bound of one attempt, and Attempts how many timed out.
	Timeout  time.Duration
	Attempts int
	// Err is the last attempt's error (it names the endpoint's URL).
	Err error
}

// Error says that the endpoint did not answer.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("no answer within %s (%d attempts; --request-timeout sets the bound): %v", e.Timeout, e.Attempts, e.Err)
}

// Unwrap returns the last attempt's error.
func (e *TimeoutError) Unwrap() error { return e.Err }

// RetryableError stops the retryer: the call has timed out TimeoutAttempts times
// (the SDK's retry.RetryableError checker reads it before any other).
func (e *TimeoutError) RetryableError() bool { return false }

// isTimeout reports whether an attempt's error is a deadline of the HTTP client (not the
// caller's context).
func isTimeout(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	var rt *awshttp.ResponseTimeoutError
	var ne net.Error
	switch {
	case errors.As(err, &rt):
		return true
	case errors.As(err, &ne) && ne.Timeout():
		return true
	case errors.Is(err, context.DeadlineExceeded), strings.Contains(err.Error(), "Client.Timeout exceeded"):
		return true
	}
	return false
}

type timeoutCountKey struct{}

type refusedCountKey struct{}

// RefusedAttempts is how many attempts of one call may find the endpoint refusing
// connections before the call fails. AWS's endpoints do not refuse connections: a refusal
// is an endpoint set by AWS_ENDPOINT_URL (a sandbox that is not running) or a proxy, and
// the standard retryer's 15 attempts with backoff made winami wait ~26 s to say so.
const RefusedAttempts = 3

// refusedError stops the retryer after RefusedAttempts refused connections; its text and
// chain are the attempt's error.
type refusedError struct {
	attempts int
	err      error
}

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// RetryableError stops the retryer (retry.RetryableError, checked before any other).
func (e *refusedError) RetryableError() bool { return false }

// timeoutBudget adds to a call's middleware stack counters of its timed-out attempts
// and of its refused connections (Initialize, once per call) and a check inside the
// retry loop (Finalize, after Retry) that ends the call when TimeoutAttempts attempts
// have timed out or RefusedAttempts found the connection refused.
func timeoutBudget(timeout time.Duration) func(*middleware.Stack) error {
	return func(stack *middleware.Stack) error {
		if err := stack.Initialize.Add(middleware.InitializeMiddlewareFunc("winamiTimeoutCounter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				ctx = context.WithValue(ctx, refusedCountKey{}, new(atomic.Int32))
				return next.HandleInitialize(context.WithValue(ctx, timeoutCountKey{}, new(atomic.Int32)), in)
			}), middleware.Before); err != nil {
			return err
		}
		return stack.Finalize.Insert(middleware.FinalizeMiddlewareFunc("winamiTimeoutBudget",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleFinalize(ctx, in)
				if err != nil && ctx.Err() == nil && errors.Is(err, syscall.ECONNREFUSED) {
					if n, ok := ctx.Value(refusedCountKey{}).(*atomic.Int32); ok {
						if c := int(n.Add(1)); c >= RefusedAttempts {
							err = &refusedError{attempts: c, err: err}
						}
					}
				}
				if isTimeout(ctx, err) {
					if n, ok := ctx.Value(timeoutCountKey{}).(*atomic.Int32); ok {
						if c := int(n.Add(1)); c >= TimeoutAttempts {
							err = &TimeoutError{Timeout: timeout, Attempts: c, Err: err}
						}
					}
				}
				return out, md, err
			}), "Retry", middleware.After)
	}
}
