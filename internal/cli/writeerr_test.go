package cli

import (
	"errors"
	"testing"

	"github.com/winami/winami/audit"
	"github.com/winami/winami/images"
)

// failOnce fails its first write and accepts the rest, as a writer whose trouble is
// momentary would: a printer that checks only its last write misses it.
type failOnce struct{ failed bool }

var errFull = errors.New("no space left on device")

func (f *failOnce) Write(b []byte) (int, error) {
	if !f.failed {
		f.failed = true
		return 0, errFull
	}
	return len(b), nil
}

// The table printers return the first failed write, wherever it falls: the audit's header
// line and the coverage's headline used to be written unchecked, and a command whose
// output was lost exited 0.
func TestTablePrintersReturnWriteErrors(t *testing.T) {
	t.Parallel()
	covs := []images.Coverage{{ImageID: "ami-0123456789abcdef0", Region: "us-east-1", Nodes: 1, Windows: "10.0.20348"}}
	if err := writeCoverage(&failOnce{}, Layout{Width: DefaultWidth}, covs, nil); !errors.Is(err, errFull) {
		t.Errorf("writeCoverage = %v, want the failed write's error", err)
	}
	rep := &audit.Report{
		WindowsNodes: 1, Regions: []string{"us-east-1"},
		Findings: []audit.Finding{{Check: "skew", Severity: audit.SeverityWarning, Message: "m", Action: "a", Nodes: []string{"n1"}}},
		Warnings: 1,
	}
	if err := writeAuditTable(&failOnce{}, Layout{Width: DefaultWidth}, rep); !errors.Is(err, errFull) {
		t.Errorf("writeAuditTable = %v, want the failed write's error", err)
	}
	if err := (Table{Header: []string{"A", "B"}, Rows: [][]string{{"1", "2"}}}).Write(&failOnce{}, Layout{Width: DefaultWidth}); !errors.Is(err, errFull) {
		t.Errorf("Table.Write = %v, want the failed write's error", err)
	}
}
