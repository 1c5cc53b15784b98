package resolve_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator/emulatortest"
	"github.com/winami/winami/awsemu/seed"
	ec2emu "github.com/winami/winami/awsemu/services/ec2"
	ssmemu "github.com/winami/winami/awsemu/services/ssm"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/resolve"
)

// clients returns winami's clients for the emulator, retrying like the CLI does.
func clients(srv *awsemu.Server, attempts int) *awsapi.Clients {
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	cfg.RetryMaxAttempts = attempts
	return awsapi.FromConfig(cfg)
}

func matrix(regions []string, k8s ...string) []resolve.Target {
	var ts []resolve.Target
	for _, r := range regions {
		for _, w := range catalog.WindowsVersionNames() {
			for _, ed := range catalog.Editions {
				for _, k := range k8s {
					if catalog.Supported(w, k) == nil {
						ts = append(ts, resolve.Target{Region: r, Windows: w, Edition: ed, Kubernetes: k})
					}
				}
			}
		}
	}
	return ts
}

func TestResolveMatchesSSMAtTheFloor(t *testing.T) {
	srv := emulatortest.Start(t)
	c := clients(srv, 1)
	regions := []string{"us-east-1", "us-west-2", "eu-west-1"}
	targets := matrix(regions, "1.31", "1.32", "1.33", "1.34", "1.35", "1.36")
	if len(targets) != 84 {
		t.Fatalf("matrix has %d targets, want 84 (the 2025 rule applied)", len(targets))
	}
	srv.Faults.ResetCounts()
	entries, err := resolve.Resolve(context.Background(), c, targets, resolve.Options{})
	if err != nil {
		t.Fatalf("Resolve: %v", err)
	}
	for _, r := range regions {
		if got, want := srv.Faults.Count("ssm", "GetParameters", r), 3; got != want { // ceil(28/10)
			t.Errorf("GetParameters requests in %s = %d, want %d", r, got, want)
		}
	}
	if n := srv.Faults.Count("ssm", "GetParameter", ""); n != 0 {
		t.Errorf("%d single GetParameter calls, want none", n)
	}
	// Every entry agrees with what SSM answers for that one name, in order.
	for i, e := range entries {
		if e.Region != targets[i].Region || e.Kubernetes != targets[i].Kubernetes || e.Windows != targets[i].Windows {
			t.Fatalf("entry %d is %+v, want target %+v", i, e, targets[i])
		}
		if i%7 != 0 {
			continue // spot-check a seventh of them one by one
		}
		one, err := c.SSM(e.Region).GetParameter(context.Background(), &ssm.GetParameterInput{Name: aws.String(e.Parameter)})
		if err != nil {
			t.Fatalf("GetParameter %s: %v", e.Parameter, err)
		}
		if e.ImageID != aws.ToString(one.Parameter.Value) || e.Version != one.Parameter.Version || e.LastModified == nil || !e.LastModified.Equal(*one.Parameter.LastModifiedDate) {
			t.Errorf("%s in %s: resolved %s v%d, SSM says %s v%d", e.Parameter, e.Region, e.ImageID, e.Version, aws.ToString(one.Parameter.Value), one.Parameter.Version)
		}
		if !strings.HasPrefix(e.ImageID, "ami-") || e.Error != "" {
			t.Errorf("entry %+v", e)
		}
	}
}

func TestMissingParameterIsAnEntryError(t *testing.T) {
	srv := emulatortest.Start(t)
	targets := []resolve.Target{
		{Region: "us-east-1", Windows: "2022", Edition: catalog.Core, Kubernetes: "1.33"},
		{Region: "us-east-1", Windows: "2019", Edition: catalog.Full, Kubernetes: "1.24"}, // older than the seed
	}
	entries, err := resolve.Resolve(context.Background(), clients(srv, 1), targets, resolve.Options{})
	if !errors.Is(err, resolve.ErrMissing) {
		t.Fatalf("err = %v, want ErrMissing", err)
	}
	if entries[0].Error != "" || entries[0].ImageID == "" {
		t.Errorf("present parameter: %+v", entries[0])
	}
	if entries[1].Error == "" || entries[1].ImageID != "" {
		t.Errorf("missing parameter: %+v", entries[1])
	}
}

func TestHistoryOldestFirstWithDates(t *testing.T) {
	srv := emulatortest.Start(t)
	targets := []resolve.Target{{Region: "eu-central-1", Windows: "2022", Edition: catalog.Full, Kubernetes: "1.34"}}
	entries, err := resolve.Resolve(context.Background(), clients(srv, 1), targets, resolve.Options{History: true})
	if err != nil {
		t.Fatal(err)
	}
	h := entries[0].History
	if len(h) != len(seed.EKSReleases("1.34")) {
		t.Fatalf("history has %d versions, want %d", len(h), len(seed.EKSReleases("1.34")))
	}
	for i := 1; i < len(h); i++ {
		if h[i].Version <= h[i-1].Version || !h[i].CurrentSince.After(*h[i-1].CurrentSince) {
			t.Errorf("history not in order: %+v then %+v", h[i-1], h[i])
		}
	}
	if last := h[len(h)-1]; last.ImageID != entries[0].ImageID || last.Version != entries[0].Version {
		t.Errorf("newest history version %+v is not the current value %s v%d", last, entries[0].ImageID, entries[0].Version)
	}
}

func TestThrottlingHalfTheRequestsSameAnswer(t *testing.T) {
	srv := emulatortest.Start(t)
	targets := matrix([]string{"us-east-1", "us-east-2"}, "1.34", "1.35", "1.36")
	want, err := resolve.Resolve(context.Background(), clients(srv, 1), targets, resolve.Options{History: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Faults.SetThrottle(0.5)
	srv.Faults.ResetCounts()
	cfg := awstest.SDKConfig(srv.URL(), "us-east-1")
	cfg.Retryer = func() aws.Retryer { return awsapi.Retryer(20, 50*time.Millisecond) }
	cfg.RetryMaxAttempts = 20
	got, err := resolve.Resolve(context.Background(), awsapi.FromConfig(cfg), targets, resolve.Options{History: true})
	if err != nil {
		t.Fatalf("Resolve under 50%% throttling: %v", err)
	}
	throttled := srv.Faults.Count("ssm", "", "")
	if throttled <= len(targets)/10 {
		t.Errorf("only %d SSM requests under throttling: the fault did not bite", throttled)
	}
	for i := range want {
		if want[i].ImageID != got[i].ImageID || len(want[i].History) != len(got[i].History) {
			t.Errorf("entry %d differs under throttling: %+v vs %+v", i, got[i], want[i])
		}
	}
}

func TestExpiredCredentialsAreAnError(t *testing.T) {
	srv := emulatortest.Start(t)
	srv.Faults.FailNext("ssm", "GetParameters", awsemu.FaultError{Status: 400, Code: "ExpiredTokenException", Message: "The security token included in the request is expired"})
	_, err := resolve.Resolve(context.Background(), clients(srv, 1), matrix([]string{"us-east-1"}, "1.36")[:1], resolve.Options{})
	if err == nil || !awsapi.IsCredentialError(err) || errors.Is(err, resolve.ErrMissing) {
		t.Fatalf("err = %v, want a credential error", err)
	}
}

func TestDetailsBatchedAndMissingAMIFlagged(t *testing.T) {
	// A world where one public parameter names an AMI that is no longer visible, as
	// happens when Amazon makes an old EKS AMI private.
	gone := catalog.EKSOptimizedParameter("2022", catalog.Full, "1.35")
	var goneID string
	params := seed.Parameters()
	for _, p := range params {
		if p.Name == gone && p.Region == "us-east-1" {
			goneID = p.History[len(p.History)-1].Value
		}
	}
	var images []awsemu.Image
	for _, img := range seed.Images() {
		if img.ID != goneID {
			images = append(images, img)
		}
	}
	srv := awsemu.NewServer()
	ec2emu.New(srv, images)
	ssmemu.New(srv, params)
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })

	targets := matrix([]string{"us-east-1", "us-west-2"}, "1.35", "1.36")
	entries, err := resolve.Resolve(context.Background(), clients(srv, 1), targets, resolve.Options{Details: true, History: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"us-east-1", "us-west-2"} {
		if n := srv.Faults.Count("ec2", "DescribeImages", r); n != 1 {
			t.Errorf("DescribeImages in %s: %d requests, want 1 (batched)", r, n)
		}
	}
	flagged := 0
	for _, e := range entries {
		if e.Details == nil {
			t.Fatalf("no details for %+v", e)
		}
		if e.ImageID == goneID {
			flagged++
			if e.Details.Error == "" || e.Details.Name != "" {
				t.Errorf("the missing AMI is not flagged: %+v", e.Details)
			}
			continue
		}
		n, ok := catalog.ParseAMIName(e.Details.Name)
		if !ok || n.Windows != e.Windows || n.Edition != e.Edition || n.Kubernetes != e.Kubernetes || e.Details.ReleaseVersion != n.Version() || e.Details.CreationDate == "" {
			t.Errorf("%s: details %+v do not describe it", e.Parameter, e.Details)
		}
		if last := e.History[len(e.History)-1]; last.ReleaseVersion != e.Details.ReleaseVersion {
			t.Errorf("history's newest release %q, details say %q", last.ReleaseVersion, e.Details.ReleaseVersion)
		}
		for _, h := range e.History {
			if _, date, err := catalog.ParseRelease(h.ReleaseVersion); err != nil || date.After(*h.CurrentSince) {
				t.Errorf("%s: history version %d has release %q (current since %v)", e.Parameter, h.Version, h.ReleaseVersion, h.CurrentSince)
			}
		}
	}
	if flagged != 1 {
		t.Errorf("%d entries flagged, want 1", flagged)
	}
}
