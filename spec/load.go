package spec

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"go.yaml.in/yaml/v3"
)

// MaxFileSize is the largest spec file read; bigger files are refused before parsing.
const MaxFileSize = 1 << 20

// Load reads, parses, defaults and validates the spec file at path. Problems with the
// content are returned as Errors (every one found, each with its line and field path).
func Load(path string) (*WindowsImage, error) {
	data, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	return LoadBytes(data, path)
}

// ReadFile reads a spec file, refusing one that is unreadable, empty or bigger than
// MaxFileSize before anything parses it.
func ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, Errors{{File: path, Message: fmt.Sprintf("reading the spec file: %v", unwrapPath(err))}}
	}
	defer func() { _ = f.Close() }() // opened to read: closing loses nothing
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, Errors{{File: path, Message: "reading the spec file: is a directory, want a winami.yaml file"}}
		}
		if st.Size() > MaxFileSize {
			return nil, Errors{{File: path, Message: fmt.Sprintf("the spec file is %d bytes, more than the %d (1 MiB) accepted", st.Size(), MaxFileSize)}}
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, Errors{{File: path, Message: fmt.Sprintf("reading the spec file: %v", unwrapPath(err))}}
	}
	if len(data) > MaxFileSize {
		return nil, Errors{{File: path, Message: fmt.Sprintf("the spec file is more than the %d bytes (1 MiB) accepted", MaxFileSize)}}
	}
	return data, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// LoadBytes parses, defaults and validates a spec; file names it in messages.
func LoadBytes(data []byte, file string) (*WindowsImage, error) {
	img, perrs := Parse(data, file)
	if img == nil {
		return nil, perrs
	}
	img.Default()
	var errs Errors
	if perrs != nil {
		errs = append(errs, perrs.(Errors)...)
	}
	if verr := img.validate(badPaths(errs)); verr != nil {
		errs = append(errs, verr...)
	}
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	return img, nil
}

func badPaths(errs Errors) map[string]bool {
	m := map[string]bool{}
	for _, e := range errs {
		m[e.Path] = true
	}
	return m
}

// Parse parses a spec strictly: every unknown field and every value of the wrong type
// is an error with its line. It returns the spec (nil when the file is not a YAML
// mapping at all) and the errors, as Errors, or nil. Parse does not fill defaults
// or validate.
func Parse(data []byte, file string) (*WindowsImage, error) {
	if len(data) > MaxFileSize {
		return nil, Errors{{File: file, Message: fmt.Sprintf("the spec file is %d bytes, more than the %d (1 MiB) accepted", len(data), MaxFileSize)}}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, Errors{{File: file, Message: "the spec file is empty: want a WindowsImage (apiVersion: " + APIVersion + ", kind: " + Kind + ", metadata, spec)"}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errors{{File: file, Message: "the spec file is empty (no YAML document, only comments): want a WindowsImage mapping"}}
		}
		return nil, Errors{yamlError(file, data, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, Errors{{File: file, Line: extra.Line, Message: "the spec file has more than one YAML document: want exactly one WindowsImage"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, Errors{yamlError(file, data, err)}
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind != yaml.MappingNode {
		// The empty document of a file that is only "---" is placed on the line after the
		// last (FuzzParse): name the file's last line.
		line := min(root.Line, lastLine(data))
		return nil, Errors{{File: file, Line: line, Message: fmt.Sprintf("the spec file is a YAML %s, want a mapping (apiVersion: %s, kind: %s, metadata, spec)", kindName(root), APIVersion, Kind)}}
	}
	img := &WindowsImage{file: file, lines: map[string]int{}, given: map[string]bool{}}
	d := &decoder{img: img}
	d.value(root, reflect.ValueOf(img).Elem(), "")
	if len(d.errs) > 0 {
		return img, d.errs.sorted()
	}
	return img, nil
}

// yamlError is the problem of a file YAML cannot parse. YAML indents with spaces only, and
// the parser's words for a tab ("found character that cannot start any token", or a line
// before the tab's) do not say so: when a line of the file from the reported one on is
// indented with a tab, the message names that line and says "tab".
func yamlError(file string, data []byte, err error) FieldError {
	line := yamlErrorLine(err)
	msg := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "yaml: "), fmt.Sprintf("line %d: ", line))
	// The parser reports the end of a file without a final line break on the line after
	// it (FuzzParse: "line 2: found unexpected end of stream" for a one-line file).
	line = min(line, lastLine(data))
	if t := tabLine(data, max(line, 1)); t > 0 && (strings.Contains(msg, "tab") || strings.Contains(msg, "cannot start any token")) {
		return FieldError{File: file, Line: t, Message: fmt.Sprintf("parsing YAML: this line is indented with a tab: YAML indents with spaces only; replace the tab with spaces (%s)", msg)}
	}
	if line > 0 {
		msg = fmt.Sprintf("line %d: %s", line, msg)
	}
	return FieldError{File: file, Line: line, Message: "parsing YAML: " + msg}
}

// lastLine is the number of the file's last line as YAML counts lines: line breaks are
// LF, CR, CRLF, NEL, LS and PS (YAML 1.2, 5.4 Line Break Characters; libyaml's is_break,
// which the parser follows).
func lastLine(data []byte) int {
	n := 1
	for i := 0; i < len(data); i++ {
		switch {
		case data[i] == '\n':
			n++
		case data[i] == '\r':
			if i+1 >= len(data) || data[i+1] != '\n' {
				n++
			}
		case bytes.HasPrefix(data[i:], []byte("\u0085")), bytes.HasPrefix(data[i:], []byte("\u2028")), bytes.HasPrefix(data[i:], []byte("\u2029")):
			n++
		}
	}
	return n
}

// tabLine is the first line, from line from on, whose indentation holds a tab (0: none).
func tabLine(data []byte, from int) int {
	for i, l := range bytes.Split(data, []byte("\n")) {
		if i+1 < from {
			continue
		}
		indent := l[:len(l)-len(bytes.TrimLeft(l, " \t"))]
		if bytes.IndexByte(indent, '\t') >= 0 {
			return i + 1
		}
	}
	return 0
}

func yamlErrorLine(err error) int {
	s := err.Error()
	if i := strings.Index(s, "line "); i >= 0 {
		rest := s[i+5:]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(rest[:j]); err == nil {
			return n
		}
	}
	return 0
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "sequence"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null value"
		}
		// A tag is the file's text (`!%00` is a tag with a NUL): quoted when a terminal
		// would not show it as written (FuzzParse).
		tag := strings.TrimPrefix(n.Tag, "!!")
		if strings.IndexFunc(tag, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
			tag = strconv.Quote(tag)
		}
		return "scalar (" + tag + ")"
	case yaml.AliasNode:
		return "alias"
	}
	return "mapping"
}

// decoder walks the YAML node tree against the Go types, using their json tags.
type decoder struct {
	img  *WindowsImage
	errs Errors
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, FieldError{File: d.img.file, Line: n.Line, Path: path, Message: fmt.Sprintf(format, args...)})
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// join appends a mapping key to a field path. A key with characters a terminal would not
// print as themselves (tabs, newlines, escape sequences, bidirectional overrides: YAML's
// quoted keys carry any of them) is written quoted, as %q does, so that an error's path is
// one line that shows what the file says (FuzzParse found a tab printed raw).
func join(path, key string) string {
	if strings.IndexFunc(key, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		key = strconv.Quote(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	d.img.lines[path] = n.Line
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value leaves the field unset
	}
	d.img.given[path] = true
	if v.Kind() == reflect.Pointer {
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	if reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.fail(n, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "is a %s, want a mapping with the fields %s", kindName(n), strings.Join(fieldNames(v.Type()), ", "))
			return
		}
		fields := fieldIndex(v.Type())
		seen := map[string]bool{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			key := k.Value
			if seen[key] {
				d.fail(k, join(path, key), "is given twice")
				continue
			}
			seen[key] = true
			idx, ok := fields[key]
			if !ok {
				msg := fmt.Sprintf("unknown field %q", key)
				if s := closest(key, fieldNames(v.Type())); s != "" {
					msg += fmt.Sprintf(" (did you mean %q?)", s)
				}
				msg += "; accepted here: " + strings.Join(fieldNames(v.Type()), ", ")
				d.fail(k, join(path, key), "%s", msg)
				continue
			}
			d.img.lines[join(path, key)] = k.Line
			d.value(val, v.Field(idx), join(path, key))
			d.img.lines[join(path, key)] = k.Line
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.fail(n, path, "is a %s, want a list", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.value(item, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
		}
		v.Set(s)
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			d.fail(n, path, "is a %s, want a mapping", kindName(n))
			return
		}
		m := reflect.MakeMap(v.Type())
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				d.fail(k, p, "is given twice")
				continue
			}
			ev := reflect.New(v.Type().Elem()).Elem()
			d.value(val, ev, p)
			d.img.lines[p] = k.Line
			m.SetMapIndex(reflect.ValueOf(k.Value), ev)
		}
		v.Set(m)
	default:
		if n.Kind != yaml.ScalarNode {
			d.fail(n, path, "is a %s, want a %s", kindName(n), scalarName(v.Kind()))
			return
		}
		if v.Kind() == reflect.String {
			switch n.Tag {
			case "!!str", "!!int", "!!float", "!!timestamp":
				v.SetString(n.Value) // as written: 1.30 stays "1.30", 2026-10-15 a date string
			default:
				d.fail(n, path, "is a %s, want a string", kindName(n))
			}
			return
		}
		if isInt(v.Kind()) && n.Tag != "!!int" {
			// yaml.v3 would truncate 2.9 to 2 (and read 6.0 as 6): a number is taken only
			// as the user wrote it, a whole number.
			d.fail(n, path, "%q is not a %s", n.Value, scalarName(v.Kind()))
			return
		}
		if err := n.Decode(v.Addr().Interface()); err != nil {
			d.fail(n, path, "%q is not a %s", n.Value, scalarName(v.Kind()))
		}
	}
}

func isInt(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

func scalarName(k reflect.Kind) string {
	switch k {
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "whole number"
	}
	return "string"
}

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "" || tag == "-" {
		return ""
	}
	return strings.Split(tag, ",")[0]
}

func fieldIndex(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if name := jsonName(t.Field(i)); name != "" && t.Field(i).IsExported() {
			m[name] = i
		}
	}
	return m
}

func fieldNames(t reflect.Type) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		if name := jsonName(t.Field(i)); name != "" && t.Field(i).IsExported() {
			out = append(out, name)
		}
	}
	return out
}

// closest suggests the accepted name nearest to key, when one is near enough.
func closest(key string, names []string) string {
	best, bestD := "", 1<<30
	for _, n := range names {
		d := distance(strings.ToLower(key), strings.ToLower(n))
		if d < bestD {
			best, bestD = n, d
		}
	}
	if bestD <= 2 || (bestD <= len(key)/3 && bestD <= 4) {
		return best
	}
	return ""
}

func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// Line returns the line of the field at path, or of its nearest parent that the file
// has (0 when none).
func (img *WindowsImage) Line(path string) int {
	for p := path; p != ""; {
		if l, ok := img.lines[p]; ok {
			return l
		}
		i := strings.LastIndexAny(p, ".[")
		if i < 0 {
			break
		}
		p = p[:i]
	}
	return 0
}

// Given tells whether the file gave the field at path a value (not absent, not empty),
// so that an explicit 0 is told from a field left out.
func (img *WindowsImage) Given(path string) bool { return img.given[path] }

// File is the name the spec was loaded from.
func (img *WindowsImage) File() string { return img.file }

// Paths lists the field paths present in the file, sorted (for tests and tools).
func (img *WindowsImage) Paths() []string {
	out := make([]string, 0, len(img.lines))
	for p := range img.lines {
		if p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}
