package awsemu_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/winami/winami/awsemu"
)

// echo is a service that answers the account and caller of each request.
type echo struct{ account string }

func (e echo) Name() string                     { return "echo" }
func (e echo) Operation(*awsemu.Request) string { return "Echo" }
func (e echo) Throttle() (int, string)          { return 400, "Throttling" }
func (e echo) WriteError(w http.ResponseWriter, _ *awsemu.Request, status int, code, _ string) {
	w.WriteHeader(status)
	_, _ = io.WriteString(w, code)
}
func (e echo) Serve(w http.ResponseWriter, r *awsemu.Request, _ string) {
	_, _ = io.WriteString(w, e.account+" "+r.Account+" "+r.Principal+" "+r.PrincipalID)
}

func call(t *testing.T, url, accessKey string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url+"/", strings.NewReader(""))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+accessKey+"/20260101/us-east-1/echo/aws4_request, SignedHeaders=host, Signature=x")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// TestPeerRouting sends requests signed with each account's access key, an STS session's
// and an unknown key, and checks which world answers and who the caller is; control paths
// reach a peer's handlers with ?account=.
func TestPeerRouting(t *testing.T) {
	srv := awsemu.NewServer()
	srv.Register(echo{srv.Account})
	peer := srv.AddPeer("210987654321")
	peer.Register(echo{peer.Account})
	if again := srv.AddPeer("210987654321"); again != peer {
		t.Error("AddPeer made a second world for the same account")
	}
	peer.HandleControl("echo", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "peer control") }))
	srv.AddSession("ASIAEXAMPLEEXAMPLE12", awsemu.Identity{Account: "210987654321", ARN: "arn:aws:sts::210987654321:assumed-role/R/s", UserID: "AROAX:s"})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	for key, want := range map[string]string{
		"sandbox":                           "123456789012 123456789012 arn:aws:iam::123456789012:user/awsemu " + srv.CallerUserID(),
		awsemu.AccessKeyFor("123456789012"): "123456789012 123456789012 arn:aws:iam::123456789012:user/awsemu " + srv.CallerUserID(),
		awsemu.AccessKeyFor("210987654321"): "210987654321 210987654321 arn:aws:iam::210987654321:user/awsemu " + peer.CallerUserID(),
		awsemu.AccessKeyFor("999999999999"): "123456789012 123456789012 arn:aws:iam::123456789012:user/awsemu " + srv.CallerUserID(),
		"ASIAEXAMPLEEXAMPLE12":              "210987654321 210987654321 arn:aws:sts::210987654321:assumed-role/R/s AROAX:s",
	} {
		if got := call(t, srv.URL(), key); got != want {
			t.Errorf("%s: %q, want %q", key, got, want)
		}
	}
	if got := strings.Join(srv.Accounts(), ","); got != "123456789012,210987654321" {
		t.Errorf("Accounts() = %s", got)
	}
	resp, err := http.Get(srv.URL() + awsemu.ControlPrefix + "echo?account=210987654321")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(b) != "peer control" {
		t.Errorf("peer control path: %d %q", resp.StatusCode, b)
	}
	resp, err = http.Get(srv.URL() + awsemu.ControlPrefix + "echo")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the default account has no echo control path, got %d", resp.StatusCode)
	}
}
