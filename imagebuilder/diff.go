package imagebuilder

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// toJSONMap turns an SDK struct into a generic JSON value with lowerCamel keys (the
// API's own field names) and drops the keys in skip.
func toJSONMap(v any, skip ...string) map[string]any {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("encoding %T: %v", v, err))
	}
	var m any
	_ = json.Unmarshal(b, &m)
	out, _ := camel(m).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	for _, k := range skip {
		delete(out, k)
	}
	return out
}

// camel lower-cases the first letter of every object key, turning the SDK's Go field
// names into the API's member names. Keys of user maps (tags) are changed the same way on
// both sides of a comparison, so comparisons stay exact; only how a path reads is affected.
func camel(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[lowerFirst(k)] = camel(e)
		}
		return out
	case []any:
		for i := range t {
			t[i] = camel(t[i])
		}
		return t
	}
	return v
}

func lowerFirst(s string) string {
	if s == "" || !unicode.IsUpper(rune(s[0])) {
		return s
	}
	// Keep acronyms readable: "SubnetId" → "subnetId", "S3Logs" → "s3Logs".
	return strings.ToLower(s[:1]) + s[1:]
}

// exactKeys are user maps compared whole: a tag removed from the spec is a change.
var exactKeys = map[string]bool{"amiTags": true, "resourceTags": true, "imageTags": true}

// clearableKeys are settings the spec manages that the service never fills by itself:
// when the spec leaves one out and the resource has it, the spec removed it (a region's
// Fast Launch or published parameter, its target accounts or copy key, a subnet, a key
// pair, launch permissions, the build's logs or topic, the pipeline's execution role).
var clearableKeys = map[string]bool{
	"fastLaunchConfigurations": true, "ssmParameterConfigurations": true, "launchTemplateConfigurations": true,
	"launchPermission": true, "targetAccountIds": true, "licenseConfigurationArns": true, "kmsKeyId": true,
	"subnetId": true, "securityGroupIds": true, "keyPair": true, "snsTopicArn": true, "logging": true,
	"schedule": true, "imageTags": true, "resourceTags": true, "executionRole": true,
}

// isEmpty reports whether a desired value says nothing (nil, "", empty list or map).
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case []any:
		return len(t) == 0
	case map[string]any:
		for _, e := range t {
			if !isEmpty(e) {
				return false
			}
		}
		return true
	}
	return false
}

// diffSubset lists the paths where want (the desired request) says something that got
// (the current resource) does not: fields want leaves empty are not compared, so values
// the service fills in by default are not reported as changes.
func diffSubset(path string, want, got any) []string {
	if isEmpty(want) {
		return nil
	}
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path}
		}
		var out []string
		for _, k := range slices.Sorted(maps.Keys(w)) {
			if exactKeys[k] {
				if !isEmpty(w[k]) && !reflect.DeepEqual(w[k], g[k]) {
					out = append(out, join(path, k))
				}
				continue
			}
			out = append(out, diffSubset(join(path, k), w[k], g[k])...)
		}
		for _, k := range slices.Sorted(maps.Keys(g)) {
			if clearableKeys[k] && isEmpty(w[k]) && !isEmpty(g[k]) {
				out = append(out, join(path, k))
			}
		}
		sort.Strings(out)
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return []string{path}
		}
		var out []string
		for i := range w {
			out = append(out, diffSubset(fmt.Sprintf("%s[%d]", path, i), w[i], g[i])...)
		}
		return out
	}
	if !reflect.DeepEqual(want, got) {
		return []string{path}
	}
	return nil
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// describeDiff renders changed paths as a reason: "data changed", "instanceTypes,
// subnetId changed"; scalar changes show the old and new value when short.
func describeDiff(paths []string, want, got map[string]any) string {
	if len(paths) == 0 {
		return ""
	}
	sort.Strings(paths)
	var parts []string
	for _, p := range paths {
		w, g := lookup(want, p), lookup(got, p)
		ws, wok := w.(string)
		gs, gok := g.(string)
		switch {
		case wok && gok && len(ws) <= 160 && len(gs) <= 160:
			parts = append(parts, fmt.Sprintf("%s: %s → %s", p, shortARN(gs), shortARN(ws)))
		case wok && g == nil && len(ws) <= 160:
			parts = append(parts, fmt.Sprintf("%s: (none) → %s", p, shortARN(ws)))
		default:
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "; ") + " changed"
}

// lookup follows a path written by diffSubset ("a.b[2].c").
func lookup(v any, path string) any {
	for _, seg := range strings.Split(path, ".") {
		name, idx := seg, -1
		if i := strings.IndexByte(seg, '['); i >= 0 {
			name = seg[:i]
			num, _, _ := strings.Cut(seg[i+1:], "]")
			if n, err := strconv.Atoi(num); err == nil {
				idx = n
			}
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[name]
		if idx >= 0 {
			l, ok := v.([]any)
			if !ok || idx >= len(l) {
				return nil
			}
			v = l[idx]
		}
	}
	return v
}

// shortARN writes an Image Builder ARN of the caller's account as its resource path
// ("image-recipe/prod-win2022/1.0.1"); anything else is returned as is.
func shortARN(s string) string {
	f := strings.SplitN(s, ":", 6)
	if len(f) == 6 && f[0] == "arn" && f[2] == "imagebuilder" && f[4] != "aws" {
		return f[5]
	}
	return s
}
