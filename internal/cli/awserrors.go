package cli

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/preflight"
)

// explainedError is an error shown by its explanation (explainError); its type, and so
// its exit code, are the original error's.
type explainedError struct {
	msg string
	err error
}

func (e *explainedError) Error() string { return e.msg }
func (e *explainedError) Unwrap() error { return e.err }

// explainError is the one place that turns a command's AWS errors into what the user
// reads: every AWS call in err is shown by its one-line summary (awsapi.Message: the
// service, the operation and what AWS said, no SDK chain), and the first failed call's
// kind adds what to do (fixFor). specFile is the command's -f ("" when none), named in
// the commands the fix suggests. Errors without an AWS call are returned as they are.
func explainError(err error, specFile string) error {
	if err == nil {
		return nil
	}
	f := awsapi.Diagnose(err)
	if f == nil {
		return err
	}
	msg := awsapi.Message(err)
	if fix := fixFor(f, specFile); fix != "" {
		msg += ": " + fix
	}
	return &explainedError{msg: msg, err: err}
}

// fixFor says what to do about a failed AWS call, by its kind ("" when there is nothing
// more to say than the service's message).
func fixFor(f *awsapi.Failure, specFile string) string {
	prof := ""
	if f.Profile != "" && f.Profile != "default" && !strings.HasPrefix(f.Profile, "role ") {
		prof = " --profile " + f.Profile
	}
	switch f.Kind {
	case awsapi.NoCredentials:
		return fmt.Sprintf("set up credentials with `aws configure%s` (access keys) or `aws configure sso%s` then `aws sso login%s` (IAM Identity Center), or name a profile that has them (--profile, AWS_PROFILE)", prof, prof, prof)
	case awsapi.CredentialsExpired:
		if f.SSO {
			return fmt.Sprintf("sign in again with `aws sso login%s`, then run winami again", prof)
		}
		return fmt.Sprintf("get new credentials (`aws sso login%s` for IAM Identity Center, else new session keys from where these came from), then run winami again", prof)
	case awsapi.CredentialsFailed:
		if role, ok := strings.CutPrefix(f.Profile, "role "); ok {
			return fmt.Sprintf("the role must exist and trust the caller: `aws sts assume-role --role-arn %s --role-session-name winami-check` tries it", role)
		}
		return fmt.Sprintf("`aws sts get-caller-identity%s` shows the same failure with the AWS CLI's details", prof)
	case awsapi.CredentialsRefused:
		where := fmt.Sprintf("of profile %s", f.Profile)
		if prof == "" && os.Getenv("AWS_ACCESS_KEY_ID") != "" {
			where = "in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the environment wins over the profile)"
		}
		return fmt.Sprintf("AWS does not accept the credentials %s: check them with `aws sts get-caller-identity%s`; renew them with `aws configure%s` (access keys) or `aws sso login%s`", where, prof, prof, prof)
	case awsapi.AccessDenied:
		return accessFix(f, specFile)
	case awsapi.Throttled:
		return fmt.Sprintf("AWS kept throttling %s (its request rate is limited per account and region): run again in a minute, or with fewer requests at once (--concurrency where the command has it)", orCall(f))
	case awsapi.ConnectionRefused:
		if f.EndpointVar == "" {
			return "nothing accepts connections there: check the network and any proxy (HTTPS_PROXY)"
		}
		fix := fmt.Sprintf("nothing listens at %s, which %s names: ", f.Endpoint, f.EndpointVar)
		if f.Loopback {
			// The sandbox serves the AWS APIs on this machine (winami sandbox --listen).
			return fix + fmt.Sprintf("start the sandbox there (`winami sandbox --listen %s`), or %s to call AWS", hostPort(f.Endpoint), unset(f.EndpointVar))
		}
		return fix + "check it, or " + unset(f.EndpointVar) + " to call AWS"
	case awsapi.HostNotFound:
		if f.EndpointVar == "" {
			return fmt.Sprintf("check the region (%s) and this machine's DNS and network", f.Region)
		}
		return fmt.Sprintf("%s names it: check it, or %s to call AWS", f.EndpointVar, unset(f.EndpointVar))
	case awsapi.Timeout:
		if f.EndpointVar == "" {
			return "check the network and any proxy (HTTPS_PROXY); --request-timeout sets the bound of one attempt"
		}
		return fmt.Sprintf("%s names it: check that it serves AWS requests, or %s to call AWS; --request-timeout sets the bound of one attempt", f.EndpointVar, unset(f.EndpointVar))
	}
	return ""
}

// hostPort is an endpoint's host:port ("http://127.0.0.1:4566" → "127.0.0.1:4566").
func hostPort(endpoint string) string {
	return strings.TrimPrefix(strings.TrimPrefix(endpoint, "http://"), "https://")
}

// unset says how to stop using an endpoint setting.
func unset(v string) string {
	if strings.HasPrefix(v, "AWS_ENDPOINT_URL") {
		return "unset " + v
	}
	return "remove " + v
}

// accessFix says who refused the action and where the policy that grants it is.
func accessFix(f *awsapi.Failure, specFile string) string {
	action := f.Action
	if action == "" {
		return "the caller may not make this call: ask for the permission"
	}
	if strings.Contains(f.Message, "explicit deny") {
		// "…with an explicit deny in a service control policy / permissions boundary /
		// identity-based policy" (IAM User Guide, troubleshoot_access-denied.html): no
		// allow fixes that; the denying policy must change.
		return fmt.Sprintf("an explicit deny refuses %s: an Allow does not override it; the policy AWS names must change (ask its owner)", action)
	}
	if !operatorGrants(action) {
		return fmt.Sprintf("grant %s to the caller (winami's operator policy does not list it: a resource's own policy may be what refuses)", action)
	}
	cmd := "winami iam-policy --for operator"
	if specFile != "" {
		cmd += " -f " + specFile
	}
	return fmt.Sprintf("grant %s to the caller: `%s` prints the policy winami needs", action, cmd)
}

// operatorGrants reports whether winami's operator policy (iam-policy --for operator)
// lists action, by IAM's matching: case-insensitive, * and ? wildcards
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html).
func operatorGrants(action string) bool {
	for _, st := range preflight.OperatorPolicy(preflight.Scope{}).Statement {
		if st.Effect != "Allow" {
			continue
		}
		for _, pat := range st.Action {
			if wildcardMatch(strings.ToLower(pat), strings.ToLower(action)) {
				return true
			}
		}
	}
	return false
}

// wildcardMatch matches s against pat, where * is any run of characters and ? one.
func wildcardMatch(pat, s string) bool {
	for len(pat) > 0 {
		switch pat[0] {
		case '*':
			for i := len(s); i >= 0; i-- {
				if wildcardMatch(pat[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if s == "" {
				return false
			}
		default:
			if s == "" || s[0] != pat[0] {
				return false
			}
		}
		pat, s = pat[1:], s[1:]
	}
	return s == ""
}

func orCall(f *awsapi.Failure) string {
	if f.Action != "" {
		return f.Action
	}
	return f.Service + " " + f.Operation
}

// specFileOf is the -f of the command that args run ("" when it has none).
func specFileOf(root *cobra.Command, args []string) string {
	cmd, _, err := root.Find(args)
	if err != nil || cmd == nil {
		return ""
	}
	if fl := cmd.Flags().Lookup("file"); fl != nil {
		return fl.Value.String()
	}
	return ""
}
