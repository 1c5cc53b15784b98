package query

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// Values is a decoded form body. Keys keep their full dotted spelling
// ("Filter.1.Value.2"); the accessors read lists, structures and maps out of them.
type Values map[string]string

// Parse decodes an application/x-www-form-urlencoded body. When a key repeats, the
// last value wins (the SDKs never repeat keys).
func Parse(body []byte) (Values, error) {
	uv, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, fmt.Errorf("parsing query body: %w", err)
	}
	v := make(Values, len(uv))
	for k, vals := range uv {
		if len(vals) > 0 {
			v[k] = vals[len(vals)-1]
		}
	}
	return v, nil
}

// Action returns the Action parameter of a body, "" when there is none or the body
// cannot be parsed. It is what a Service's Operation method returns.
func Action(body []byte) string {
	v, err := Parse(body)
	if err != nil {
		return ""
	}
	return v.Get("Action")
}

// Action is the operation the request calls.
func (v Values) Action() string { return v["Action"] }

// Version is the API version the request names.
func (v Values) Version() string { return v["Version"] }

// Get returns the value of key, "" when absent.
func (v Values) Get(key string) string { return v[key] }

// Has reports whether key was sent (even with an empty value).
func (v Values) Has(key string) bool {
	_, ok := v[key]
	return ok
}

// Bool returns key as a boolean; ok is false when the key is absent. Anything other
// than "true" (case-insensitive) is false.
func (v Values) Bool(key string) (b, ok bool) {
	s, ok := v[key]
	if !ok {
		return false, false
	}
	return strings.EqualFold(s, "true"), true
}

// Int returns key as an integer; ok is false when the key is absent, err is set when
// it is present but not an integer.
func (v Values) Int(key string) (n int64, ok bool, err error) {
	s, ok := v[key]
	if !ok {
		return 0, false, nil
	}
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, true, fmt.Errorf("parsing %s: %q is not an integer", key, s)
	}
	return n, true, nil
}

// indices returns, sorted, the distinct N of every key starting with prefix+"." followed
// by a number N (and then the end of the key or a dot).
func (v Values) indices(prefix string) []int {
	p := prefix + "."
	seen := map[int]bool{}
	for k := range v {
		if !strings.HasPrefix(k, p) {
			continue
		}
		rest := k[len(p):]
		if i := strings.IndexByte(rest, '.'); i >= 0 {
			rest = rest[:i]
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			continue
		}
		seen[n] = true
	}
	out := make([]int, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Ints(out)
	return out
}

// List returns the values of an ec2-style flattened list of scalars, prefix.1,
// prefix.2, …, in index order ("ImageId" reads ImageId.1, ImageId.2).
func (v Values) List(prefix string) []string {
	var out []string
	for _, n := range v.indices(prefix) {
		if s, ok := v[prefix+"."+strconv.Itoa(n)]; ok {
			out = append(out, s)
		}
	}
	return out
}

// Members returns the values of an awsQuery list of scalars, prefix.member.1, … in
// index order.
func (v Values) Members(prefix string) []string { return v.List(prefix + ".member") }

// Struct returns the keys under prefix+"." with that prefix removed: the members of a
// nested structure ("LaunchTemplateData" gives {"ImageId": …, "InstanceType": …}).
func (v Values) Struct(prefix string) Values {
	p := prefix + "."
	out := Values{}
	for k, s := range v {
		if strings.HasPrefix(k, p) {
			out[k[len(p):]] = s
		}
	}
	return out
}

// Structs returns the elements of an ec2-style list of structures, prefix.1.*,
// prefix.2.*, … each as its own Values ("Filter" gives one Values per filter, with keys
// "Name", "Value.1", …). For awsQuery lists pass prefix+".member".
func (v Values) Structs(prefix string) []Values {
	var out []Values
	for _, n := range v.indices(prefix) {
		out = append(out, v.Struct(prefix+"."+strconv.Itoa(n)))
	}
	return out
}

// Map returns an awsQuery map, prefix.entry.N.key / prefix.entry.N.value. Maps with other
// key/value names (locationName in the model) are read with Structs.
func (v Values) Map(prefix string) map[string]string {
	out := map[string]string{}
	for _, e := range v.Structs(prefix + ".entry") {
		out[e.Get("key")] = e.Get("value")
	}
	return out
}
