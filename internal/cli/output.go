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
	if len(t.Header) > 0 {
		fmt.Fprintln(tw, strings.Join(t.Header, "\t"))
	}
	for _, r := range t.Rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

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
