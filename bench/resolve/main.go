// Command resolve-bench measures `winami resolve` against two other ways of resolving the
// same EKS-optimized Windows AMIs, side by side in one run, against awsemu with a fixed
// latency per request:
//
//	(a) winami resolve: the library in-process, and the winami binary as a user runs it;
//	(b) a loop of one SDK GetParameter per AMI (how eksctl and Karpenter resolve);
//	(c) one `aws ssm get-parameter` process per AMI (the seed's way), timed on a sample
//	    and extrapolated to the whole matrix.
//
// Run from the repository root:
//
//	go run ./bench/resolve                 # 20 ms latency, sample of 6 AWS CLI calls
//	go run ./bench/resolve -latency 20ms -cli-sample 12 -runs 5
//
// With -throttle, it then answers that share of requests with the service's throttling
// error (awsemu Faults.SetThrottle) and measures (a) again, with winami's retryer
// (awsapi.Retryer: a limit of attempts in flight per client, halved on throttling), with
// the SDK's standard mode winami used before and with the SDK's adaptive mode, against the
// fault-free time (-throttle-bucket throttles by rate instead):
//
//	go run ./bench/resolve -regions all -kubernetes 1.31,1.32,1.33,1.34,1.35,1.36 -throttle 0.5 -cli-sample 1
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/winami/winami/awsapi"
	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/awsemu/seed"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/e2e"
	"github.com/winami/winami/resolve"
)

var (
	latency   = flag.Duration("latency", 20*time.Millisecond, "latency of every request")
	cliSample = flag.Int("cli-sample", 6, "AWS CLI processes to time for (c)")
	runs      = flag.Int("runs", 3, "runs of (a) and (b); the median is reported")
	regions   = flag.String("regions", "us-east-1,us-west-2,eu-west-1", "regions of the matrix (all: the 17 awsemu seeds)")
	throttle  = flag.Float64("throttle", 0, "then throttle this share (0..1) of requests and measure (a) again")
	bucket    = flag.Float64("throttle-bucket", 0, "then throttle by rate instead: requests a second per service and region")
	backoff   = flag.Duration("backoff-base", awsapi.BackoffBase, "winami retryer's first backoff bound, for the library rows (awsapi.BackoffBase)")
	k8s       = flag.String("kubernetes", "1.31,1.32,1.33,1.34,1.35,1.36", "Kubernetes versions of the matrix")
)

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "resolve-bench:", err)
		os.Exit(1)
	}
}

type result struct {
	name     string
	requests int
	wall     time.Duration
	note     string
}

func run() error {
	ctx := context.Background()
	awsapi.BackoffBase = *backoff
	srv := emulator.New(emulator.WithLatency(*latency))
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return err
	}
	defer func() { _ = srv.Close() }() // the measurement is over: nothing to lose

	rs := strings.Split(*regions, ",")
	if *regions == "all" {
		rs = seed.Regions()
	}
	var targets []resolve.Target
	for _, r := range rs {
		for _, w := range catalog.WindowsVersionNames() {
			for _, ed := range catalog.Editions {
				for _, k := range strings.Split(*k8s, ",") {
					if catalog.Supported(w, k) == nil {
						targets = append(targets, resolve.Target{Region: r, Windows: w, Edition: ed, Kubernetes: k})
					}
				}
			}
		}
	}
	cfg := awstest.SDKConfig(srv.URL(), rs[0])
	cfg.Retryer = func() aws.Retryer { return awsapi.Retryer(awsapi.DefaultMaxAttempts, 0) }
	cfg.RetryMaxAttempts = awsapi.DefaultMaxAttempts
	fmt.Printf("matrix: %d AMIs (%d regions, Windows %s, Core+Full, Kubernetes %s; the 2025 rule applied); latency %v per request\n\n",
		len(targets), len(rs), strings.Join(catalog.WindowsVersionNames(), "/"), *k8s, *latency)

	var results []result
	measure := func(name string, f func() error) error {
		var walls []time.Duration
		reqs := 0
		for i := 0; i < *runs; i++ {
			srv.Faults.ResetCounts()
			start := time.Now()
			if err := f(); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			walls = append(walls, time.Since(start))
			reqs = totalRequests(srv)
		}
		sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
		results = append(results, result{name: name, requests: reqs, wall: walls[len(walls)/2], note: fmt.Sprintf("median of %d", *runs)})
		return nil
	}

	// (a) the library, fresh clients each run (as one command invocation would have).
	if err := measure("(a) winami resolve, library in-process", func() error {
		_, err := resolve.Resolve(ctx, awsapi.FromConfig(cfg), targets, resolve.Options{})
		return err
	}); err != nil {
		return err
	}
	// (a') the binary, as a user runs it.
	dir, err := os.MkdirTemp("", "winami-bench")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }() // a temporary directory: best effort
	bin, err := e2e.BuildWinami(dir)
	if err != nil {
		return err
	}
	if err := measure("(a) winami resolve, the binary", func() error {
		cmd := exec.Command(bin, "resolve", "--windows", "all", "--edition", "all", "--kubernetes", *k8s, "--region", strings.Join(rs, ","), "-o", "json")
		cmd.Env = append(cleanEnv(), "AWS_ENDPOINT_URL="+srv.URL(), "AWS_REGION="+rs[0], "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%w: %s", err, out)
		}
		return nil
	}); err != nil {
		return err
	}
	// (b) one GetParameter per AMI, in sequence, one client per region.
	if err := measure("(b) SDK GetParameter loop", func() error {
		c := awsapi.FromConfig(cfg)
		for _, t := range targets {
			if _, err := c.SSM(t.Region).GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(t.Parameter())}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	// (c) one AWS CLI process per AMI, on a sample.
	if _, err := exec.LookPath("aws"); err != nil {
		return fmt.Errorf("the AWS CLI (aws) is needed for (c): pip install awscli")
	}
	n := min(*cliSample, len(targets))
	srv.Faults.ResetCounts()
	start := time.Now()
	for i := 0; i < n; i++ {
		t := targets[i*len(targets)/n]
		cmd := exec.Command("aws", "ssm", "get-parameter", "--name", t.Parameter(), "--query", "Parameter.Value", "--output", "text", "--region", t.Region)
		cmd.Env = append(cleanEnv(), "AWS_ENDPOINT_URL="+srv.URL(), "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench", "AWS_PAGER=")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("aws ssm get-parameter: %w: %s", err, out)
		}
	}
	per := time.Since(start) / time.Duration(n)
	results = append(results, result{
		name: "(c) aws ssm get-parameter per AMI", requests: totalRequests(srv) * len(targets) / n,
		wall: per * time.Duration(len(targets)), note: fmt.Sprintf("%d timed (%v each), ×%d extrapolated", n, per.Round(time.Millisecond), len(targets)),
	})

	base := results[0].wall
	fmt.Printf("%-42s %9s %12s %10s  %s\n", "method", "requests", "wall", "vs (a)lib", "note")
	for _, r := range results {
		fmt.Printf("%-42s %9d %12v %9.0f×  %s\n", r.name, r.requests, r.wall.Round(100*time.Microsecond), float64(r.wall)/float64(base), r.note)
	}
	if *throttle > 0 || *bucket > 0 {
		if err := throttled(ctx, srv, cfg, targets, results[0], results[1], bin, rs); err != nil {
			return err
		}
	}
	fmt.Printf("\nfloor: ceil(%d names / %d) per region = %d requests in all\n", len(targets)/len(rs), resolve.MaxNamesPerRequest, len(rs)*((len(targets)/len(rs)+resolve.MaxNamesPerRequest-1)/resolve.MaxNamesPerRequest))
	return nil
}

func totalRequests(srv *awsemu.Server) int {
	n := 0
	for _, c := range srv.Faults.Counts() {
		n += c.Count
	}
	return n
}

// cleanEnv is the environment without AWS settings, so nothing of the user's leaks in.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true")
}

// throttled measures (a) with *throttle of the requests throttled (or with a rate-based
// bucket): the library with winami's retryer, with the standard mode it used before and
// with the SDK's adaptive mode, and the binary; each against its fault-free time.
func throttled(ctx context.Context, srv *awsemu.Server, cfg aws.Config, targets []resolve.Target, lib, binFree result, bin string, rs []string) error {
	if *bucket > 0 {
		srv.Faults.SetThrottleBucket(*bucket, *bucket)
		defer srv.Faults.SetThrottleBucket(0, 0)
	} else {
		srv.Faults.SetThrottle(*throttle)
		defer srv.Faults.SetThrottle(0)
	}
	standard := cfg.Copy()
	standard.Retryer = func() aws.Retryer { return standardRetryer(10) }
	standard.RetryMaxAttempts = 10
	adaptiveSDK := cfg.Copy()
	adaptiveSDK.RetryMaxAttempts = 10
	adaptiveSDK.Retryer = func() aws.Retryer {
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, func(o *retry.StandardOptions) { o.MaxAttempts = 10; o.RateLimiter = ratelimit.None })
		})
	}
	type row struct {
		name string
		free time.Duration
		f    func() error
	}
	rows := []row{
		{"(a) library, winami retryer", lib.wall, func() error {
			_, err := resolve.Resolve(ctx, awsapi.FromConfig(cfg), targets, resolve.Options{})
			return err
		}},
		{"(a) library, standard retry (before)", lib.wall, func() error {
			_, err := resolve.Resolve(ctx, awsapi.FromConfig(standard), targets, resolve.Options{})
			return err
		}},
		{"(a) library, SDK adaptive mode", lib.wall, func() error {
			_, err := resolve.Resolve(ctx, awsapi.FromConfig(adaptiveSDK), targets, resolve.Options{})
			return err
		}},
		{"(a) the binary", binFree.wall, func() error {
			cmd := exec.Command(bin, "resolve", "--windows", "all", "--edition", "all", "--kubernetes", *k8s, "--region", strings.Join(rs, ","), "-o", "json")
			cmd.Env = append(cleanEnv(), "AWS_ENDPOINT_URL="+srv.URL(), "AWS_REGION="+rs[0], "AWS_ACCESS_KEY_ID=bench", "AWS_SECRET_ACCESS_KEY=bench")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("%w: %s", err, out)
			}
			return nil
		}},
	}
	if *bucket > 0 {
		fmt.Printf("\nthrottled by rate: a token bucket of %g requests a second (and as many in a burst) per service and region:\n", *bucket)
	} else {
		fmt.Printf("\nwith %.0f%% of requests throttled (at random whatever the rate; run i seeded i):\n", *throttle*100)
	}
	fmt.Printf("%-42s %9s %9s %12s %12s  %s\n", "method", "requests", "throttled", "wall", "fault-free", "vs fault-free")
	for _, r := range rows {
		var walls []time.Duration
		reqs := 0
		failed := 0
		for i := 0; i < *runs; i++ {
			srv.Faults.ResetCounts()
			srv.Faults.SetSeed(int64(i + 1)) // run i of every row sees the same draws
			start := time.Now()
			if err := r.f(); err != nil {
				failed++
				fmt.Printf("  %s run %d failed: %v\n", r.name, i+1, err)
			}
			walls = append(walls, time.Since(start))
			reqs += totalRequests(srv)
		}
		sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
		w := walls[len(walls)/2]
		reqs /= *runs
		note := fmt.Sprintf("median of %d (max %v)", *runs, walls[len(walls)-1].Round(time.Millisecond))
		if failed > 0 {
			note += fmt.Sprintf(", %d failed", failed)
		}
		fmt.Printf("%-42s %9d %9d %12v %12v %11.1f×  %s\n", r.name, reqs, reqs-successful(targets, rs), w.Round(time.Millisecond), r.free.Round(100*time.Microsecond), float64(w)/float64(r.free), note)
	}
	return nil
}

// successful is how many requests a fault-free resolve of targets makes: ten names a
// request per region (the rest of a throttled run's requests were throttled, or failed).
func successful(targets []resolve.Target, rs []string) int {
	per := map[string]int{}
	for _, t := range targets {
		per[t.Region]++
	}
	n := 0
	for _, c := range per {
		n += (c + resolve.MaxNamesPerRequest - 1) / resolve.MaxNamesPerRequest
	}
	return n
}

// standardRetryer is the retryer winami used before adaptive mode: the SDK's standard
// mode, maxAttempts attempts, the default 20 s backoff cap, no retry quota.
func standardRetryer(maxAttempts int) aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = maxAttempts
		o.RateLimiter = ratelimit.None
	})
}
