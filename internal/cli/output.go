package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// Output formats.
const (
	FormatTable = "table"
	FormatJSON  = "json"
	FormatYAML  = "yaml"
)

// Table is tabular data for people: a header and rows.
type Table struct {
	Header []string
	Rows   [][]string
}

// Write prints the table aligned in columns.
func (t Table) Write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	ew := &errWriter{w: tw}
	if len(t.Header) > 0 {
		ew.println(strings.Join(t.Header, "\t"))
	}
	for _, r := range t.Rows {
		ew.println(strings.Join(r, "\t"))
	}
	if ew.err != nil {
		return ew.err
	}
	return tw.Flush()
}

// errWriter writes to w until a write fails, then keeps that first error and writes
// nothing more: a printer of many lines checks err once, at the end.
type errWriter struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

// printf and println format as fmt does; a write error is kept in e.err.
func (e *errWriter) printf(format string, args ...any) { _, _ = fmt.Fprintf(e, format, args...) }
func (e *errWriter) println(args ...any)               { _, _ = fmt.Fprintln(e, args...) }

// printData writes data as JSON or YAML, or calls table for the table format.
func printData(w io.Writer, format string, data any, table func() Table) error {
	switch format {
	case FormatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return enc.Encode(data)
	case FormatYAML:
		b, err := yaml.Marshal(data)
		if err != nil {
			return fmt.Errorf("encoding yaml: %w", err)
		}
		_, err = w.Write(b)
		return err
	case FormatTable, "":
		if table == nil {
			return printData(w, FormatYAML, data, nil)
		}
		return table().Write(w)
	}
	return Usagef("-o %q: use table, json or yaml", format)
}

func checkFormat(f string) error {
	switch f {
	case FormatTable, FormatJSON, FormatYAML:
		return nil
	}
	return Usagef("flag -o/--output %q: use table, json or yaml", f)
}
