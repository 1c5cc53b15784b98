//go:build unix

// Command audit-bench measures `winami audit` (the binary, as a user runs it) on clusters
// of thousands of Windows nodes: the nodes live in a real kube-apiserver (started by
// e2e/setup.sh), their instances in awsemu with a fixed latency per request. For each
// size it reports the EC2 requests (counted by awsemu), the Kubernetes list requests,
// the wall time and the peak memory (max RSS) of the winami process.
//
// Run from the repository root:
//
//	e2e/setup.sh up && source /tmp/winami-e2e/env
//	go run ./bench/audit                       # 5,000 and 10,000 nodes, 20 ms latency
//	go run ./bench/audit -nodes 1000,5000,10000 -runs 3
//	e2e/setup.sh down
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/winami/winami/awsemu"
	"github.com/winami/winami/awsemu/awstest"
	"github.com/winami/winami/awsemu/emulator"
	"github.com/winami/winami/catalog"
	"github.com/winami/winami/e2e"
)

var (
	sizes     = flag.String("nodes", "5000,10000", "cluster sizes (Windows nodes)")
	latency   = flag.Duration("latency", 20*time.Millisecond, "awsemu latency of every request")
	runs      = flag.Int("runs", 1, "audits per size; the median wall time is reported")
	stale     = flag.Float64("stale", 0.02, "share of the nodes left on the previous month's AMI")
	pageSize  = flag.Int("page-size", 500, "winami audit --page-size")
	writeConc = flag.Int("create-concurrency", 16, "node creations in flight")
)

const region = "us-east-1"

func main() {
	flag.Parse()
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "audit-bench:", err)
		os.Exit(1)
	}
}

type row struct {
	nodes                  int
	ec2Instances, ec2Image int
	listNodes              int
	wall                   time.Duration
	maxRSS                 int64
	exit                   int
	errors, warnings       int
	setup                  time.Duration
	progress               []string
}

func run() error {
	ctx := context.Background()
	cluster, err := e2e.Connect(ctx)
	if err != nil {
		return err
	}
	if err := cluster.GrantAudit(ctx); err != nil {
		return err
	}
	if list, err := cluster.Kube.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1}); err != nil || len(list.Items) > 0 {
		return fmt.Errorf("the cluster must start with no nodes (%v)", err)
	}
	dir, err := os.MkdirTemp("", "audit-bench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }() // a temporary directory: best effort
	bin, err := e2e.BuildWinami(dir)
	if err != nil {
		return err
	}
	var rows []row
	for _, s := range strings.Split(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-nodes %q: want positive numbers", *sizes)
		}
		r, err := measure(ctx, cluster, bin, dir, n)
		if err != nil {
			return err
		}
		rows = append(rows, r)
	}
	fmt.Printf("winami audit, %s, kube-apiserver %s, awsemu latency %s per request, page size %d\n\n",
		"the binary", cluster.ServerVersion, *latency, *pageSize)
	fmt.Printf("%8s  %22s  %18s  %10s  %9s  %5s  %s\n", "nodes", "EC2 requests (DI+DIm)", "kube list requests", "wall", "max RSS", "exit", "findings")
	for _, r := range rows {
		fmt.Printf("%8d  %22s  %18d  %10s  %6.0f MB  %5d  %d errors, %d warnings\n", r.nodes,
			fmt.Sprintf("%d (%d+%d)", r.ec2Instances+r.ec2Image, r.ec2Instances, r.ec2Image), r.listNodes,
			r.wall.Round(time.Millisecond), float64(r.maxRSS)/1e6, r.exit, r.errors, r.warnings)
	}
	fmt.Println()
	for _, r := range rows {
		fmt.Printf("%d nodes: setup (instances + nodes with status) took %s; one DescribeInstances per node would be %d requests, %s at %s each, one after the other\n",
			r.nodes, r.setup.Round(time.Second), r.nodes, (time.Duration(r.nodes) * *latency).Round(time.Second), *latency)
		for _, l := range r.progress {
			fmt.Printf("    last run: %s\n", l)
		}
	}
	return nil
}

func measure(ctx context.Context, cluster *e2e.Cluster, bin, dir string, n int) (row, error) {
	start := time.Now()
	srv := emulator.New(emulator.WithLatency(*latency))
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return row{}, err
	}
	defer func() { _ = srv.Close() }() // the measurement is over: nothing to lose
	client := ec2.NewFromConfig(awstest.SDKConfig(srv.URL(), region))
	current, err := amiID(ctx, client, "2026.11.12")
	if err != nil {
		return row{}, err
	}
	previous, err := amiID(ctx, client, "2026.10.15")
	if err != nil {
		return row{}, err
	}
	old := int(float64(n) * *stale)
	ids, err := launch(ctx, client, previous, old)
	if err != nil {
		return row{}, err
	}
	more, err := launch(ctx, client, current, n-old)
	if err != nil {
		return row{}, err
	}
	ids = append(ids, more...)
	runID := fmt.Sprintf("bench-%d", n)
	nodes := make([]*corev1.Node, len(ids))
	zones := []string{"a", "b", "c"}
	for i, id := range ids {
		nodes[i] = e2e.Node(e2e.NodeSpec{
			Name: fmt.Sprintf("ip-10-%d-%d-%d.ec2.internal", i/65536, (i/256)%256, i%256), Windows: true,
			Zone: region + zones[i%3], InstanceID: id, Kubelet: "v1.36.3-eks-1a2b3c4", OSBuild: "10.0.20348",
			NodeGroup: fmt.Sprintf("windows-ng-%d", i%4), Run: runID,
		})
	}
	fmt.Fprintf(os.Stderr, "audit-bench: creating %d nodes…\n", n)
	if err := cluster.CreateNodes(ctx, nodes, *writeConc); err != nil {
		return row{}, err
	}
	defer func() {
		if err := cluster.DeleteNodes(context.Background(), runID); err != nil {
			fmt.Fprintln(os.Stderr, "audit-bench:", err)
		}
	}()
	setup := time.Since(start)

	var walls []time.Duration
	var last e2e.Result
	var r row
	for i := 0; i < *runs; i++ {
		srv.Faults.ResetCounts()
		res, err := e2e.Run(ctx, bin, e2e.AWSEnv(srv.URL(), region, dir), "audit", "--kubeconfig", cluster.Kubeconfig,
			"--context", e2e.AuditContext, "-o", "json", "--page-size", strconv.Itoa(*pageSize))
		if err != nil {
			return row{}, err
		}
		var rep struct {
			WindowsNodes     int
			Errors, Warnings int
			Requests         map[string]int
		}
		if err := json.Unmarshal(res.Stdout, &rep); err != nil || rep.WindowsNodes != n {
			return row{}, fmt.Errorf("audit of %d nodes: exit %d, %d nodes audited (%v)\n%s", n, res.ExitCode, rep.WindowsNodes, err, res.Stderr)
		}
		walls = append(walls, res.Wall)
		if res.MaxRSS > r.maxRSS {
			r.maxRSS = res.MaxRSS
		}
		last = res
		r.errors, r.warnings, r.listNodes = rep.Errors, rep.Warnings, rep.Requests["kubernetes:listNodes"]
		r.ec2Instances = count(srv, "DescribeInstances")
		r.ec2Image = count(srv, "DescribeImages")
	}
	sort.Slice(walls, func(i, j int) bool { return walls[i] < walls[j] })
	r.nodes, r.wall, r.exit, r.setup = n, walls[len(walls)/2], last.ExitCode, setup
	for _, l := range strings.Split(string(last.Stderr), "\n") {
		if strings.HasPrefix(l, "listed ") || strings.HasPrefix(l, "described ") {
			r.progress = append(r.progress, l)
		}
	}
	return r, nil
}

func count(srv *awsemu.Server, op string) int { return srv.Faults.Count("ec2", op, "") }

func amiID(ctx context.Context, client *ec2.Client, date string) (string, error) {
	name := catalog.EKSOptimizedAMIName("2022", catalog.Core, "1.36", date)
	out, err := client.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{name}}}})
	if err != nil || len(out.Images) != 1 {
		return "", fmt.Errorf("finding AMI %s: %v", name, err)
	}
	return aws.ToString(out.Images[0].ImageId), nil
}

// launch runs n instances of ami, 1,000 per RunInstances request.
func launch(ctx context.Context, client *ec2.Client, ami string, n int) ([]string, error) {
	var ids []string
	for n > 0 {
		k := min(n, 1000)
		out, err := client.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String(ami), MinCount: aws.Int32(int32(k)), MaxCount: aws.Int32(int32(k)),
			InstanceType: ec2types.InstanceTypeM6i2xlarge})
		if err != nil {
			return nil, fmt.Errorf("running %d instances: %w", k, err)
		}
		for _, in := range out.Instances {
			ids = append(ids, aws.ToString(in.InstanceId))
		}
		n -= k
	}
	return ids, nil
}
