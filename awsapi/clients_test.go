package awsapi

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/smithy-go"
)

func TestRetryerRetriesThrottling(t *testing.T) {
	r := Retryer(5, 0)
	for _, code := range []string{"ThrottlingException", "RequestLimitExceeded", "Throttling", "TooManyRequestsException", "CallRateLimitExceededException"} {
		if !r.IsErrorRetryable(&smithy.GenericAPIError{Code: code}) {
			t.Errorf("%s is not retried", code)
		}
	}
	for _, code := range []string{"ValidationException", "ParameterNotFound", "AccessDeniedException"} {
		if r.IsErrorRetryable(&smithy.GenericAPIError{Code: code}) {
			t.Errorf("%s is retried", code)
		}
	}
	if r.MaxAttempts() != 5 {
		t.Errorf("MaxAttempts = %d", r.MaxAttempts())
	}
	if _, err := (noRateLimit{}).GetToken(context.Background(), 5); err != nil {
		t.Error(err)
	}
}

func TestErrorClassification(t *testing.T) {
	if !IsAccessDenied(&smithy.GenericAPIError{Code: "UnauthorizedOperation"}) || IsAccessDenied(errors.New("x")) {
		t.Error("IsAccessDenied")
	}
	if !IsCredentialError(&smithy.GenericAPIError{Code: "ExpiredTokenException"}) || IsCredentialError(&smithy.GenericAPIError{Code: "ThrottlingException"}) {
		t.Error("IsCredentialError")
	}
	if ErrorCode(&smithy.GenericAPIError{Code: "X"}) != "X" || ErrorCode(errors.New("plain")) != "" {
		t.Error("ErrorCode")
	}
}
