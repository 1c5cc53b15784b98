package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2"
	corev1 "k8s.io/api/core/v1"

	"github.com/winami/winami/catalog"
)

// nulls lists the JSON paths whose value is null.
func nulls(t *testing.T, v any) []string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(path string, x any)
	walk = func(path string, x any) {
		switch x := x.(type) {
		case nil:
			out = append(out, path)
		case map[string]any:
			for k, v := range x {
				walk(path+"."+k, v)
			}
		case []any:
			for i, v := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), v)
			}
		}
	}
	walk("$", doc)
	return out
}

// TestJSONArraysAreNeverNull: a cluster without Windows nodes, and a clean one, give
// arrays (empty ones), never null, in every field of the report.
func TestJSONArraysAreNeverNull(t *testing.T) {
	w := newWorld(t)
	empty := w.audit(cluster("v1.35.3-eks-5e0fdde", linuxNode("linux-a", "i-0123456789abcdef0")), nil)
	if n := nulls(t, empty); len(n) > 0 {
		t.Errorf("report of a cluster without Windows nodes has null at %v", n)
	}
	if empty.Regions == nil || empty.Nodes == nil || empty.Findings == nil || empty.Summary == nil {
		t.Errorf("nil slices: regions %v, nodes %v, findings %v, summary %v", empty.Regions == nil, empty.Nodes == nil, empty.Findings == nil, empty.Summary == nil)
	}
	ami := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12")
	ids := w.launch("us-east-1", ami, 2)
	clean := w.audit(cluster("v1.35.3-eks-5e0fdde",
		node("win-a", "us-east-1a", ids[0], "v1.35.2-eks-ba74326", build2022),
		node("win-b", "us-east-1b", ids[1], "v1.35.2-eks-ba74326", build2022),
	), func(o *Options) { o.Expect = Expectation{Image: ami} })
	if len(clean.Findings) != 0 {
		t.Fatalf("clean cluster has findings %v", checks(clean))
	}
	if n := nulls(t, clean); len(n) > 0 {
		t.Errorf("report of a clean cluster has null at %v", n)
	}
}

// TestTerminatedNodeNotCountedUnderItsAMI: the summary agrees with instance-gone: a node
// whose instance is terminated runs no AMI.
func TestTerminatedNodeNotCountedUnderItsAMI(t *testing.T) {
	w := newWorld(t)
	ami := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12")
	ids := w.launch("us-east-1", ami, 3)
	w.terminate("us-east-1", ids[2])
	rep := w.audit(cluster("v1.35.3-eks-5e0fdde",
		node("win-a", "us-east-1a", ids[0], "v1.35.2-eks-ba74326", build2022),
		node("win-b", "us-east-1a", ids[1], "v1.35.2-eks-ba74326", build2022),
		node("win-gone", "us-east-1a", ids[2], "v1.35.2-eks-ba74326", build2022),
	), nil)
	if f := findingOf(rep, CheckInstanceGone); f == nil || strings.Join(f.Nodes, ",") != "win-gone" {
		t.Fatalf("instance-gone = %+v", f)
	}
	onAMI := 0
	gone := 0
	for _, g := range rep.Summary {
		if g.ImageID == ami {
			onAMI += g.Nodes
		}
		if g.InstanceState == "terminated" && g.ImageID == "" {
			gone += g.Nodes
		}
	}
	if onAMI != 2 || gone != 1 {
		t.Errorf("summary counts %d nodes on %s and %d with a terminated instance, want 2 and 1: %+v", onAMI, ami, gone, rep.Summary)
	}
}

// TestNodeStatesAreReported: NotReady and cordoned nodes and stopped instances are
// findings and are counted in the summary; a cluster whose only node is stopped is not clean.
func TestNodeStatesAreReported(t *testing.T) {
	w := newWorld(t)
	ami := w.ami("us-east-1", "2022", catalog.Core, "1.35", "2026.11.12")
	ids := w.launch("us-east-1", ami, 5)
	if _, err := w.ec2("us-east-1").StopInstances(context.Background(), &ec2.StopInstancesInput{InstanceIds: ids[4:5]}); err != nil {
		t.Fatal(err)
	}
	k := "v1.35.2-eks-ba74326"
	ready := node("ready", "us-east-1a", ids[0], k, build2022)
	notReady := node("not-ready", "us-east-1a", ids[1], k, build2022)
	notReady.Status.Conditions[0].Status = corev1.ConditionFalse
	unknown := node("unknown", "us-east-1a", ids[2], k, build2022)
	unknown.Status.Conditions[0].Status = corev1.ConditionUnknown
	cordoned := node("cordoned", "us-east-1a", ids[3], k, build2022)
	cordoned.Spec.Unschedulable = true
	stopped := node("stopped", "us-east-1a", ids[4], k, build2022)
	rep := w.audit(cluster("v1.35.3-eks-5e0fdde", ready, notReady, unknown, cordoned, stopped), nil)

	want := map[string]string{
		CheckNodeNotReady:    "error:not-ready,unknown",
		CheckNodeCordoned:    "warning:cordoned",
		CheckInstanceStopped: "error:stopped",
	}
	for check, w := range want {
		f := findingOf(rep, check)
		if f == nil || string(f.Severity)+":"+strings.Join(f.Nodes, ",") != w {
			t.Errorf("%s = %+v, want %s", check, f, w)
		}
	}
	if len(rep.Summary) != 1 || rep.Summary[0].Nodes != 5 || rep.Summary[0].NotReady != 2 || rep.Summary[0].Cordoned != 1 {
		t.Errorf("summary = %+v, want 5 nodes, 2 not ready, 1 cordoned", rep.Summary)
	}
	byName := map[string]Node{}
	for _, n := range rep.Nodes {
		byName[n.Name] = n
	}
	if byName["ready"].Ready != "True" || byName["not-ready"].Ready != "False" || !byName["cordoned"].Unschedulable || byName["ready"].Unschedulable {
		t.Errorf("nodes: %+v", rep.Nodes)
	}

	only := w.audit(cluster("v1.35.3-eks-5e0fdde", node("stopped", "us-east-1a", ids[4], k, build2022)), nil)
	if only.Errors == 0 || findingOf(only, CheckInstanceStopped) == nil {
		t.Errorf("a cluster whose only node's instance is stopped reads as healthy: %v", checks(only))
	}
}
