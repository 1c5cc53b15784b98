package awsapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// stsAndSSM answers STS AssumeRole (for roleARN only) and SSM GetParameter, and records
// which access key signed each SSM call.
type stsAndSSM struct {
	roleARN string

	mu        sync.Mutex
	assumes   []url.Values
	ssmSigner []string
	ssmToken  []string
}

func (s *stsAndSSM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AmazonSSM.") {
		auth := r.Header.Get("Authorization")
		_, cred, _ := strings.Cut(auth, "Credential=")
		key, _, _ := strings.Cut(cred, "/")
		s.ssmSigner = append(s.ssmSigner, key)
		s.ssmToken = append(s.ssmToken, r.Header.Get("X-Amz-Security-Token"))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		_, _ = io.WriteString(w, `{"Parameter":{"Name":"/winami/x","Type":"String","Value":"ami-0123456789abcdef0"}}`)
		return
	}
	form, _ := url.ParseQuery(string(body))
	if form.Get("Action") != "AssumeRole" {
		http.Error(w, "unexpected "+form.Get("Action"), http.StatusBadRequest)
		return
	}
	s.assumes = append(s.assumes, form)
	w.Header().Set("Content-Type", "text/xml")
	if form.Get("RoleArn") != s.roleARN {
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized to perform sts:AssumeRole</Message></Error><RequestId>1</RequestId></ErrorResponse>`)
		return
	}
	_, _ = io.WriteString(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult>
<Credentials><AccessKeyId>ASIAASSUMEDKEY</AccessKeyId><SecretAccessKey>assumed-secret</SecretAccessKey><SessionToken>assumed-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials>
<AssumedRoleUser><Arn>arn:aws:sts::210987654321:assumed-role/EC2ImageBuilderDistributionCrossAccountRole/winami-publish</Arn><AssumedRoleId>AROAEXAMPLE:winami-publish</AssumedRoleId></AssumedRoleUser>
</AssumeRoleResult><ResponseMetadata><RequestId>2</RequestId></ResponseMetadata></AssumeRoleResponse>`)
}

func TestAssumeRoleSignsWithTheRolesCredentials(t *testing.T) {
	role := RoleARN("aws", "210987654321", "EC2ImageBuilderDistributionCrossAccountRole")
	if role != "arn:aws:iam::210987654321:role/EC2ImageBuilderDistributionCrossAccountRole" {
		t.Fatalf("RoleARN = %s", role)
	}
	h := &stsAndSSM{roleARN: role}
	srv := httptest.NewServer(h)
	defer srv.Close()
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_ENDPOINT_URL", srv.URL)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIABUILDACCOUNT")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	ctx := context.Background()
	c, err := Load(ctx, Settings{})
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.AssumeRole(ctx, role, "winami-publish")
	if err != nil {
		t.Fatal(err)
	}
	if len(h.assumes) != 1 || h.assumes[0].Get("RoleSessionName") != "winami-publish" {
		t.Fatalf("AssumeRole requests = %v, want one with RoleSessionName winami-publish", h.assumes)
	}
	for _, region := range []string{"us-east-1", "us-west-2"} {
		if _, err := tc.SSM(region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/winami/x")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SSM("us-east-1").GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String("/winami/x")}); err != nil {
		t.Fatal(err)
	}
	want := []string{"ASIAASSUMEDKEY", "ASIAASSUMEDKEY", "AKIABUILDACCOUNT"}
	if strings.Join(h.ssmSigner, ",") != strings.Join(want, ",") {
		t.Errorf("SSM calls signed by %v, want %v (the assumed role's key in both regions, the caller's own clients unchanged)", h.ssmSigner, want)
	}
	if h.ssmToken[0] != "assumed-token" || h.ssmToken[2] != "" {
		t.Errorf("session tokens %q, want the role's on its calls only", h.ssmToken)
	}
	if len(h.assumes) != 1 {
		t.Errorf("%d AssumeRole calls, want 1: the credentials are cached", len(h.assumes))
	}

	_, err = c.AssumeRole(ctx, RoleARN("aws", "999999999999", "Nope"), "winami-publish")
	if err == nil || !strings.Contains(err.Error(), "assuming role arn:aws:iam::999999999999:role/Nope") || ErrorCode(err) != "AccessDenied" {
		t.Errorf("AssumeRole of a role that refuses: %v, want the role named and AccessDenied", err)
	}
}
