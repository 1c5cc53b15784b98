package images

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/images/imagestest"
)

func TestParseECRHost(t *testing.T) {
	for host, want := range map[string]ECRRegistry{
		"111000111000.dkr.ecr.us-east-1.amazonaws.com":          {"111000111000", "us-east-1"},
		"111000111000.dkr.ecr-fips.us-gov-west-1.amazonaws.com": {"111000111000", "us-gov-west-1"},
		"111000111000.dkr.ecr.cn-north-1.amazonaws.com.cn":      {"111000111000", "cn-north-1"},
	} {
		got, ok := ParseECRHost(host)
		if !ok || got != want {
			t.Errorf("%s: %+v %v, want %+v", host, got, ok, want)
		}
	}
	for _, host := range []string{"public.ecr.aws", "mcr.microsoft.com", "1110001110.dkr.ecr.us-east-1.amazonaws.com", "111000111000.dkr.ecr.us-east-1.amazonaws.com.evil.io"} {
		if _, ok := ParseECRHost(host); ok {
			t.Errorf("%s parsed as ECR", host)
		}
	}
}

// ecrAuth accepts only the basic credentials "AWS:<token>" that awsemu's
// GetAuthorizationToken hands out, and records the passwords it saw.
func ecrAuth(seen *sync.Map) func(http.Handler) http.Handler {
	return func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			u, p, ok := r.BasicAuth()
			if !ok || u != "AWS" || !strings.HasPrefix(p, "awsemu.") {
				w.Header().Set("WWW-Authenticate", `Basic realm="ecr"`)
				http.Error(w, `{"errors":[{"code":"DENIED","message":"Your authorization token has expired."}]}`, http.StatusUnauthorized)
				return
			}
			seen.Store(p, true)
			h.ServeHTTP(w, r)
		})
	}
}

func TestECRTokenThroughTheSDK(t *testing.T) {
	noDockerConfig(t)
	srv := emulatortest.Start(t)
	clients := awsapi.FromConfig(awstest.SDKConfig(srv.URL(), "us-east-1"))

	var passwords sync.Map
	reg := imagestest.Start(t, nil)
	priv := imagestest.Start(t, ecrAuth(&passwords))
	img := imagestest.Index(t, imagestest.WindowsImage(t, os2022, nil, 1))
	imagestest.Push(t, reg.Host+"/app:1", img) // the open copy, for the anonymous comparison
	// Seed the ECR-like registry through its front door with a token from awsemu.
	kc := &ECRKeychain{ECR: clients.ECR, Hosts: map[string]ECRRegistry{priv.Host: {Account: srv.Account, Region: "us-west-2"}}}
	if err := pushWith(priv.Host+"/app:1", img, kc); err != nil {
		t.Fatal(err)
	}
	if err := pushWith(priv.Host+"/other:2", img, kc); err != nil {
		t.Fatal(err)
	}
	srv.Faults.ResetCounts()

	refs := []string{priv.Host + "/app:1", priv.Host + "/other:2"}
	// Without AWS clients the registry refuses us.
	rep, err := Check(context.Background(), refs, "2022", Options{ECRHosts: map[string]ECRRegistry{priv.Host: {Account: srv.Account, Region: "us-west-2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusError || !strings.Contains(im.Message, "not authorized") {
		t.Errorf("without AWS: %+v", im)
	}

	rep, err = Check(context.Background(), refs, "2022", Options{AWS: clients, ECRHosts: map[string]ECRRegistry{priv.Host: {Account: srv.Account, Region: "us-west-2"}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range rep.Images {
		if im.Status != StatusCompatible {
			t.Errorf("%s: %s %s", im.Ref, im.Status, im.Message)
		}
	}
	// One token for the registry, asked of ECR in the registry's region, though two
	// repositories were read.
	if n := srv.Faults.Count("ecr", "GetAuthorizationToken", "us-west-2"); n != 1 {
		t.Errorf("GetAuthorizationToken in us-west-2 called %d times, want 1", n)
	}
	if n := srv.Faults.Count("ecr", "GetAuthorizationToken", "us-east-1"); n != 0 {
		t.Errorf("GetAuthorizationToken in the default region called %d times, want 0", n)
	}

	// An ECR error is reported, naming the registry.
	srv.Faults.FailNext("ecr", "GetAuthorizationToken", awsemu.FaultError{Status: 400, Code: "AccessDeniedException", Message: "not allowed"})
	rep, err = Check(context.Background(), refs[:1], "2022", Options{AWS: awsapi.FromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")), ECRHosts: map[string]ECRRegistry{priv.Host: {Account: srv.Account, Region: "us-west-2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusError || !strings.Contains(im.Message, "AccessDeniedException") || !strings.Contains(im.Message, priv.Host) {
		t.Errorf("denied token: %+v", im)
	}

	// When ECR refuses but the Docker config has credentials for the registry (a
	// `docker login` with an ECR token), those are used.
	dir := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("AWS:awsemu.from-docker-login"))
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(fmt.Sprintf(`{"auths":{%q:{"auth":%q}}}`, priv.Host, auth)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	srv.Faults.FailNext("ecr", "GetAuthorizationToken", awsemu.FaultError{Status: 400, Code: "AccessDeniedException", Message: "not allowed"})
	rep, err = Check(context.Background(), refs[:1], "2022", Options{AWS: awsapi.FromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")), ECRHosts: map[string]ECRRegistry{priv.Host: {Account: srv.Account, Region: "us-west-2"}}})
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusCompatible {
		t.Errorf("denied token, docker config: %+v", im)
	}
	if _, ok := passwords.Load("awsemu.from-docker-login"); !ok {
		t.Error("the Docker config's credentials were not used")
	}
}

func pushWith(ref string, idx v1.ImageIndex, kc authn.Keychain) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	return remote.WriteIndex(r, idx, remote.WithAuthFromKeychain(kc))
}

// TestDockerKeychainOption: Options.DockerKeychain takes the Docker config's place, after
// ECR's token and without AWS clients, so a caller (a test) need not read the machine's
// Docker config nor set DOCKER_CONFIG.
func TestDockerKeychainOption(t *testing.T) {
	srv := emulatortest.Start(t)
	var passwords sync.Map
	priv := imagestest.Start(t, ecrAuth(&passwords))
	img := imagestest.Index(t, imagestest.WindowsImage(t, os2022, nil, 1))
	docker := authn.NewMultiKeychain(staticKeychain{host: priv.Host, auth: &authn.Basic{Username: "AWS", Password: "awsemu.from-option"}})
	if err := pushWith(priv.Host+"/app:1", img, docker); err != nil {
		t.Fatal(err)
	}
	refs := []string{priv.Host + "/app:1"}
	hosts := map[string]ECRRegistry{priv.Host: {Account: srv.Account, Region: "us-west-2"}}

	// Without it (and an empty keychain in its place) the registry refuses us.
	rep, err := Check(context.Background(), refs, "2022", Options{ECRHosts: hosts, DockerKeychain: authn.NewMultiKeychain()})
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusError {
		t.Errorf("empty Docker keychain: %+v", im)
	}
	// No AWS clients: the Docker keychain alone.
	passwords.Clear()
	rep, err = Check(context.Background(), refs, "2022", Options{ECRHosts: hosts, DockerKeychain: docker})
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusCompatible {
		t.Errorf("Docker keychain, no AWS: %+v", im)
	}
	if _, ok := passwords.Load("awsemu.from-option"); !ok {
		t.Error("the given Docker keychain's credentials were not used")
	}
	// ECR refuses the token: the Docker keychain is asked next.
	passwords.Clear()
	srv.Faults.FailNext("ecr", "GetAuthorizationToken", awsemu.FaultError{Status: 400, Code: "AccessDeniedException", Message: "not allowed"})
	rep, err = Check(context.Background(), refs, "2022", Options{AWS: awsapi.FromConfig(awstest.SDKConfig(srv.URL(), "us-east-1")), ECRHosts: hosts, DockerKeychain: docker})
	if err != nil {
		t.Fatal(err)
	}
	if im := rep.Images[0]; im.Status != StatusCompatible {
		t.Errorf("ECR refused, Docker keychain: %+v", im)
	}
	if _, ok := passwords.Load("awsemu.from-option"); !ok {
		t.Error("after ECR refused, the given Docker keychain's credentials were not used")
	}
}

// staticKeychain answers auth for host and Anonymous for every other registry.
type staticKeychain struct {
	host string
	auth authn.Authenticator
}

func (k staticKeychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	if r.RegistryStr() == k.host {
		return k.auth, nil
	}
	return authn.Anonymous, nil
}
