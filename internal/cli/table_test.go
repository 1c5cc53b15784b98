package cli

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode/utf8"
)

// tabwriterTable is how Table.Write printed before tables were fitted: text/tabwriter,
// two spaces between columns (trailing spaces aside, which Write no longer prints).
func tabwriterTable(t *testing.T, tb Table) string {
	t.Helper()
	var b bytes.Buffer
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	if len(tb.Header) > 0 {
		_, _ = fmt.Fprintln(tw, strings.Join(tb.Header, "\t"))
	}
	for _, r := range tb.Rows {
		_, _ = fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	if err := tw.Flush(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, l := range strings.SplitAfter(b.String(), "\n") {
		if l != "" {
			out.WriteString(strings.TrimRight(l, " \n") + "\n")
		}
	}
	return out.String()
}

func writeTable(t *testing.T, tb Table, l Layout) string {
	t.Helper()
	var b bytes.Buffer
	if err := tb.Write(&b, l); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestTableThatFitsIsPrintedAsBefore: a table narrower than the width (or not fitted,
// or -o wide) is printed as text/tabwriter printed it, whatever its Wrap and Detail
// columns, multi-byte text and empty cells.
func TestTableThatFitsIsPrintedAsBefore(t *testing.T) {
	t.Parallel()
	tables := []Table{
		{Header: []string{"CHECK", "STATUS", "MESSAGE", "FIX"}, Wrap: []string{"MESSAGE"}, Detail: []string{"FIX"},
			Rows: [][]string{{"a", "pass", "6 × 4 vCPUs", "-"}, {"longer-name", "fail", "x → y", "do this"}}},
		{Header: []string{"REGION", "IMAGE", "LAST"}, Rows: [][]string{{"us-east-1", "ami-1", "x"}, {"", "", ""}, {"", "  ami-2", ""}}},
		{Rows: [][]string{{"winami", "v1"}, {"go", "go1.25"}}},
	}
	for i, tb := range tables {
		want := tabwriterTable(t, tb)
		for _, l := range []Layout{{}, {Width: 200}, {Width: 20, Wide: true}} {
			if got := writeTable(t, tb, l); got != want {
				t.Errorf("table %d with %+v:\n%s\nwant (tabwriter):\n%s", i, l, got, want)
			}
		}
	}
}

// TestTableFolds: a table wider than the width moves its Detail column under the row
// and wraps its Wrap column; no line is wider than the width.
func TestTableFolds(t *testing.T) {
	t.Parallel()
	tb := Table{
		Header: []string{"CHECK", "STATUS", "MESSAGE", "FIX"}, Wrap: []string{"MESSAGE"}, Detail: []string{"FIX"},
		Rows: [][]string{
			{"credentials", "pass", "account 123456789012", "-"},
			{"instance-profile", "fail", "instance profile Missing does not exist in this account", "create it with a role that has EC2InstanceProfileForImageBuilder, or set spec.build.instanceProfile"},
		},
	}
	got := writeTable(t, tb, Layout{Width: 60})
	want := `CHECK             STATUS  MESSAGE
credentials       pass    account 123456789012
instance-profile  fail    instance profile Missing does not
                          exist in this account
    fix: create it with a role that has
         EC2InstanceProfileForImageBuilder, or set
         spec.build.instanceProfile
`
	if got != want {
		t.Errorf("at width 60:\n%s\nwant:\n%s", got, want)
	}
	// -o wide: nothing folded, one line per row, whatever the width.
	if got, want := writeTable(t, tb, Layout{Width: 60, Wide: true}), tabwriterTable(t, tb); got != want {
		t.Errorf("wide:\n%s\nwant:\n%s", got, want)
	}
	// --no-headers: the rows only (their columns as wide as the rows need).
	noHead := writeTable(t, tb, Layout{Width: 60, NoHeaders: true})
	if !strings.HasPrefix(noHead, "credentials       pass  account") || strings.Contains(noHead, "CHECK") {
		t.Errorf("--no-headers:\n%s", noHead)
	}
	for _, width := range []int{60, 80, 100} {
		for _, line := range strings.Split(strings.TrimSuffix(writeTable(t, tb, Layout{Width: width}), "\n"), "\n") {
			if n := utf8.RuneCountInString(line); n > width {
				t.Errorf("width %d: line of %d: %q", width, n, line)
			}
		}
	}
}

// TestTableMovesBlankDetailFirst: a Detail column with nothing to show (all "-") leaves
// the table before a column with content is wrapped narrower for it.
func TestTableMovesBlankDetailFirst(t *testing.T) {
	t.Parallel()
	tb := Table{
		Header: []string{"CHECK", "STATUS", "MESSAGE", "FIX"}, Wrap: []string{"MESSAGE"}, Detail: []string{"FIX"},
		Rows: [][]string{{"network", "pass", "builds run in the default VPC vpc-3ddaef0a26ef866aa of us-east-1", "-"}},
	}
	got := writeTable(t, tb, Layout{Width: 60})
	want := `CHECK    STATUS  MESSAGE
network  pass    builds run in the default VPC
                 vpc-3ddaef0a26ef866aa of us-east-1
`
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestTableWideColumns: Wide columns only with -o wide.
func TestTableWideColumns(t *testing.T) {
	t.Parallel()
	tb := Table{Header: []string{"NAME", "ACTION", "ARN"}, Wide: []string{"ARN"}, Rows: [][]string{{"web", "update", "arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/web"}}}
	if got, want := writeTable(t, tb, Layout{Width: DefaultWidth}), "NAME  ACTION\nweb   update\n"; got != want {
		t.Errorf("table:\n%s\nwant:\n%s", got, want)
	}
	if got, want := writeTable(t, tb, Layout{Width: 20, Wide: true}), "NAME  ACTION  ARN\nweb   update  arn:aws:imagebuilder:us-east-1:123456789012:image-pipeline/web\n"; got != want {
		t.Errorf("wide:\n%s\nwant:\n%s", got, want)
	}
}

// TestTableCellsArePrintable: a value from AWS or a cluster cannot break the table into
// forged rows or send a terminal escape.
func TestTableCellsArePrintable(t *testing.T) {
	t.Parallel()
	tb := Table{Header: []string{"NAME", "STATE"}, Rows: [][]string{{"evil\nami-0000\tdeleted", "ok\x1b[2J"}}}
	got := writeTable(t, tb, Layout{Width: DefaultWidth})
	if want := "NAME                   STATE\nevil ami-0000 deleted  ok\uFFFD[2J\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestWrapText: lines within the width, at spaces; a long word split after / : , ; - _.
func TestWrapText(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s     string
		width int
		want  []string
	}{
		{"a b c", 10, []string{"a b c"}},
		{"older than the newest 1 and not in use", 21, []string{"older than the newest", "1 and not in use"}},
		{"parent ssm:/aws/service/ami-windows-latest/Windows_Server-2022-English-Core/image_id is ami-1", 40,
			[]string{"parent ssm:/aws/service/ami-windows-", "latest/Windows_Server-2022-English-Core/", "image_id is ami-1"}},
		{strings.Repeat("x", 50), 20, []string{strings.Repeat("x", 20), strings.Repeat("x", 20), strings.Repeat("x", 10)}},
		{"", 20, []string{""}},
	} {
		got := wrapText(c.s, c.width)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrapText(%q, %d) = %q, want %q", c.s, c.width, got, c.want)
		}
	}
}

// TestParagraph: a message under a table wraps with a hanging indent, unless -o wide.
func TestParagraph(t *testing.T) {
	t.Parallel()
	msg := "run one AMI on every Windows node: point every node group and Karpenter node pool at the same AMI"
	if got, want := (Layout{Width: 50}).Paragraph("        fix: ", msg),
		"        fix: run one AMI on every Windows node:\n"+
			"             point every node group and Karpenter\n"+
			"             node pool at the same AMI\n"; got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	if got := (Layout{Width: 50, Wide: true}).Paragraph("fix: ", msg); got != "fix: "+msg+"\n" {
		t.Errorf("wide: %q", got)
	}
}

// TestWidth: COLUMNS, else the terminal's width, else DefaultWidth.
func TestWidth(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		columns  string
		terminal int
		want     int
	}{
		{"", 0, DefaultWidth},
		{"", 93, 93},
		{"200", 93, 200},
		{"77", 0, 77},
		{"0", 93, 93},
		{"wide", 0, DefaultWidth},
		{"-5", 0, DefaultWidth},
	} {
		if got := width(c.columns, c.terminal); got != c.want {
			t.Errorf("width(COLUMNS=%q, terminal %d) = %d, want %d", c.columns, c.terminal, got, c.want)
		}
	}
}

// TestStreamsWidthFromCOLUMNS: NewIOStreams reads COLUMNS (not parallel: it sets the
// process's environment).
func TestStreamsWidthFromCOLUMNS(t *testing.T) {
	t.Setenv("COLUMNS", "77")
	s := NewIOStreams(nil, &bytes.Buffer{}, &bytes.Buffer{})
	if s.StdoutWidth() != 77 || s.StderrWidth() != 77 {
		t.Errorf("COLUMNS=77: widths %d, %d", s.StdoutWidth(), s.StderrWidth())
	}
	t.Setenv("COLUMNS", "")
	s = NewIOStreams(nil, &bytes.Buffer{}, &bytes.Buffer{})
	if s.StdoutWidth() != DefaultWidth {
		t.Errorf("a pipe without COLUMNS: width %d, want %d", s.StdoutWidth(), DefaultWidth)
	}
}

// TestGoldenTablesFitDefaultWidth: every command's piped table fits DefaultWidth, but
// for the tables whose columns are all names and ids (nothing to wrap or move): they
// are as narrow as their columns allow.
func TestGoldenTablesFitDefaultWidth(t *testing.T) {
	t.Parallel()
	over := map[string]string{
		"build":           "REGION, IMAGE ID, FAST LAUNCH, PARAMETER: ids and a parameter name",
		"resolve":         "--details: ids, versions and dates; the AMI name is moved under the row",
		"rollout":         "KIND … NODES: names and AMI ids; CHANGE is moved under the row, FROM wrapped at its space",
		"rollout-cluster": "KIND … NODES: names and AMI ids; CHANGE is moved under the row, FROM wrapped at its space",
	}
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.pipe.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".pipe.txt")
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		widest := 0
		for _, line := range strings.Split(string(b), "\n") {
			widest = max(widest, utf8.RuneCountInString(line))
		}
		switch _, known := over[name]; {
		case widest > DefaultWidth && !known:
			t.Errorf("%s: a line of %d columns, wider than %d", name, widest, DefaultWidth)
		case widest <= DefaultWidth && known:
			t.Errorf("%s now fits (%d columns): remove it from the exceptions", name, widest)
		}
	}
}

// goldenWorld returns the world of the golden command named name.
func goldenWorld(t *testing.T, name string) goldenCommand {
	t.Helper()
	for _, c := range goldenCommands {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no golden command %s", name)
	return goldenCommand{}
}

// runGolden runs the golden command name in a fresh world with extra arguments, to a
// pipe, and checks its exit code.
func runGolden(t *testing.T, name string, edit func([]string) []string, extra ...string) string {
	t.Helper()
	c := goldenWorld(t, name)
	args := c.world(t)
	if edit != nil {
		args = edit(args)
	}
	out, stderr, code := runTTY(t, false, append(args, extra...)...)
	if code != c.code {
		t.Fatalf("winami %s: exit %d, want %d\n%s%s", strings.Join(append(args, extra...), " "), code, c.code, out, stderr)
	}
	return out
}

// TestOutputWide: -o wide prints a command's table in full, one line per row, with its
// Wide columns: doctor's FIX column on each check's line, plan's ARN, prune's snapshots,
// resolve's details without --details.
func TestOutputWide(t *testing.T) {
	t.Parallel()
	t.Run("doctor", func(t *testing.T) {
		t.Parallel()
		out := runGolden(t, "doctor", nil, "-o", "wide")
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if !strings.HasPrefix(lines[0], "CHECK ") || !strings.HasSuffix(lines[0], "  FIX") {
			t.Errorf("header %q: want CHECK … FIX", lines[0])
		}
		for _, l := range lines[1:] {
			if strings.HasPrefix(l, " ") {
				t.Errorf("-o wide folded a row: %q", l)
			}
		}
		if !strings.Contains(out, "instance profile Missing does not exist") || !strings.Contains(out, "create it with a role") {
			t.Errorf("-o wide:\n%s", out)
		}
		// The table folds the same checks: FIX under its row.
		if table := runGolden(t, "doctor", nil); !strings.Contains(table, "\n    fix: create it with a role") {
			t.Errorf("-o table:\n%s", table)
		}
	})
	t.Run("plan", func(t *testing.T) {
		t.Parallel()
		if out := runGolden(t, "plan", nil, "-o", "wide"); !strings.Contains(strings.SplitN(out, "\n", 2)[0], "  ARN") || !strings.Contains(out, "arn:aws:imagebuilder:") {
			t.Errorf("plan -o wide: no ARN column:\n%s", out)
		}
		if out := runGolden(t, "plan", nil); strings.Contains(out, "ARN") {
			t.Errorf("plan -o table has the wide ARN column:\n%s", out)
		}
	})
	t.Run("prune", func(t *testing.T) {
		t.Parallel()
		out := runGolden(t, "prune", nil, "-o", "wide")
		if h := strings.Fields(strings.SplitN(out, "\n", 2)[0]); !slices.Equal(h[len(h)-3:], []string{"SNAPSHOTS", "SHARED", "WITH"}) || !strings.Contains(out, "snap-") {
			t.Errorf("prune -o wide: no snapshots:\n%s", out)
		}
	})
	t.Run("resolve", func(t *testing.T) {
		t.Parallel()
		noDetails := func(args []string) []string {
			var out []string
			for _, a := range args {
				if a != "--details" {
					out = append(out, a)
				}
			}
			return out
		}
		if out := runGolden(t, "resolve", noDetails, "-o", "wide"); !strings.Contains(out, "  RELEASE  ") || !strings.Contains(out, "Windows_Server-2022-English-Core-EKS_Optimized-1.35-2026.11.12") {
			t.Errorf("resolve -o wide: no details:\n%s", out)
		}
		if out := runGolden(t, "resolve", noDetails); strings.Contains(out, "RELEASE") {
			t.Errorf("resolve without --details has them:\n%s", out)
		}
	})
}

// TestNoHeaders: --no-headers drops the header line of a command's table (and of -o
// wide's); JSON is unchanged.
func TestNoHeaders(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"doctor", "fast-launch-status", "prune", "version"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			with := runGolden(t, name, nil, "--no-headers")
			without := runGolden(t, name, nil)
			first := strings.SplitN(without, "\n", 2)[0]
			if strings.Contains(with, first) && name != "version" {
				t.Errorf("--no-headers printed the header %q:\n%s", first, with)
			}
			if name == "version" && with != without {
				t.Errorf("version has no header: --no-headers changed it:\n%s", with)
			}
			if name == "doctor" && !strings.HasPrefix(with, "credentials ") {
				t.Errorf("--no-headers:\n%s", with)
			}
			wide := runGolden(t, name, nil, "--no-headers", "-o", "wide")
			if name != "version" && strings.HasPrefix(wide, strings.Fields(first)[0]+" ") {
				t.Errorf("-o wide --no-headers printed the header:\n%s", wide)
			}
		})
	}
}

// TestPromptTableFitsStderr: the plan apply shows before its prompt is fitted to
// stderr's width (REASON under each row), and printed in full with -o wide.
func TestPromptTableFitsStderr(t *testing.T) {
	t.Parallel()
	useBuildWorld(t)
	useTerminal(t, true)
	spec := writeSpec(t, t.TempDir(), appV1, "EC2InstanceProfileForImageBuilder")
	for _, wide := range []bool{false, true} {
		var out, errb bytes.Buffer
		f := testFactory(t, strings.NewReader("n\n"), &out, &errb)
		f.SetWidth(80)
		args := []string{"apply", "-f", spec, "--no-registry"}
		if wide {
			args = append(args, "-o", "wide")
		}
		if code := Execute(t.Context(), f, args); code != ExitProblem {
			t.Fatalf("apply answered n: exit %d\n%s", code, errb.String())
		}
		before, _, ok := strings.Cut(errb.String(), "Apply these changes")
		i := strings.Index(before, "RESOURCE ")
		if !ok || i < 0 {
			t.Fatalf("no plan before the prompt:\n%s", errb.String())
		}
		table := before[i:] // after the progress lines
		widest := 0
		for _, l := range strings.Split(table, "\n") {
			widest = max(widest, utf8.RuneCountInString(l))
		}
		switch folded := strings.Contains(table, "\n    reason: "); {
		case !wide && (!folded || widest > 80):
			t.Errorf("at 80 columns: widest line %d, reasons under the rows %v:\n%s", widest, folded, table)
		case wide && (folded || widest <= 80):
			t.Errorf("-o wide: widest line %d, reasons under the rows %v:\n%s", widest, folded, table)
		}
	}
}
