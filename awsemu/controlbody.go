package awsemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// MaxControlBody bounds the body of a control request (the largest, a scan findings seed,
// is a few kilobytes).
const MaxControlBody = 1 << 20

// ControlError answers a control request with status and {"error": message}.
func ControlError(w http.ResponseWriter, status int, format string, args ...any) {
	b, _ := json.Marshal(map[string]string{"error": fmt.Sprintf(format, args...)})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// DecodeControl decodes the JSON body of a control request into v (a pointer to a
// struct) strictly, and answers the request itself when the body is not what v
// describes: 413 beyond MaxControlBody; 400 for an empty body, a body that is not one
// JSON object, a field v does not have (names are matched exactly, where encoding/json
// would match any case and ignore unknown fields), a value of the wrong JSON type, or a
// number that does not fit (a fraction for an integer field). The message names the
// field by its path, such as failNext[0].status, and what it accepts. It returns whether
// v was decoded.
func DecodeControl(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxControlBody))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		ControlError(w, http.StatusRequestEntityTooLarge, "the body is larger than %d bytes", MaxControlBody)
		return false
	case err != nil:
		ControlError(w, http.StatusBadRequest, "reading the body: %v", err)
		return false
	}
	if err := checkControlBody(body, reflect.TypeOf(v).Elem()); err != nil {
		ControlError(w, http.StatusBadRequest, "%v", err)
		return false
	}
	if err := json.Unmarshal(body, v); err != nil {
		ControlError(w, http.StatusBadRequest, "decoding the body: %v", err)
		return false
	}
	return true
}

// checkControlBody checks that body is one JSON object of the shape of t.
func checkControlBody(body []byte, t reflect.Type) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("the body is empty: POST a JSON object with the fields %s", strings.Join(jsonFields(t), ", "))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var raw any
	if err := dec.Decode(&raw); err != nil {
		return fmt.Errorf("the body is not JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the body has more than one JSON value: POST one object")
	}
	return checkShape(raw, t, "")
}

// checkShape checks the decoded JSON value raw against the Go type t at path.
func checkShape(raw any, t reflect.Type, path string) error {
	if raw == nil {
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
			return nil
		}
		return fmt.Errorf("%s: null is not %s: give a value or leave the field out", path, kindName(t))
	}
	switch t.Kind() {
	case reflect.Pointer:
		return checkShape(raw, t.Elem(), path)
	case reflect.Interface:
		return nil
	case reflect.Struct:
		obj, ok := raw.(map[string]any)
		if !ok {
			return wrongType(raw, t, path)
		}
		fields := map[string]reflect.StructField{}
		for i := range t.NumField() {
			if name := jsonName(t.Field(i)); name != "" {
				fields[name] = t.Field(i)
			}
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := fields[k]
			if !ok {
				where := ""
				if path != "" {
					where = " in " + path
				}
				return fmt.Errorf("unknown field %q%s: use %s", clip(k), where, strings.Join(jsonFields(t), ", "))
			}
			if err := checkShape(obj[k], f.Type, join(path, k)); err != nil { // k is a field name: short
				return err
			}
		}
		return nil
	case reflect.Map:
		obj, ok := raw.(map[string]any)
		if !ok || t.Key().Kind() != reflect.String {
			return wrongType(raw, t, path)
		}
		for k, v := range obj {
			if err := checkShape(v, t.Elem(), join(path, clip(k))); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		arr, ok := raw.([]any)
		if !ok {
			return wrongType(raw, t, path)
		}
		for i, v := range arr {
			if err := checkShape(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
		return nil
	case reflect.String:
		if _, ok := raw.(string); !ok {
			return wrongType(raw, t, path)
		}
		return nil
	case reflect.Bool:
		if _, ok := raw.(bool); !ok {
			return wrongType(raw, t, path)
		}
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := raw.(json.Number)
		if !ok {
			return wrongType(raw, t, path)
		}
		i, err := strconv.ParseInt(n.String(), 10, 64)
		if err != nil || reflect.Zero(t).OverflowInt(i) {
			return fmt.Errorf("%s: %s is not a whole number of %d bits: use an integer such as 500", path, n, t.Bits())
		}
		return nil
	case reflect.Float32, reflect.Float64:
		n, ok := raw.(json.Number)
		if !ok {
			return wrongType(raw, t, path)
		}
		if f, err := n.Float64(); err != nil || math.IsInf(f, 0) {
			return fmt.Errorf("%s: %s is not a number: use a decimal such as 0.5", path, n)
		}
		return nil
	}
	return fmt.Errorf("%s: the control API cannot decode %s", path, t)
}

// clip shortens a name the client sent for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:61] + "..."
	}
	return s
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// jsonName is the JSON name of a struct field ("" when encoding/json skips it).
func jsonName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

func jsonFields(t reflect.Type) []string {
	var out []string
	for i := range t.NumField() {
		if name := jsonName(t.Field(i)); name != "" {
			out = append(out, name)
		}
	}
	return out
}

func kindName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice:
		return "an array"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	}
	return t.String()
}

func jsonKind(raw any) string {
	switch raw.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	}
	return "null"
}

func wrongType(raw any, t reflect.Type, path string) error {
	shown, _ := json.Marshal(raw)
	if len(shown) > 40 {
		shown = append(shown[:37], "..."...)
	}
	if path == "" {
		return fmt.Errorf("the body is %s (%s): POST a JSON object", jsonKind(raw), shown)
	}
	return fmt.Errorf("%s: %s is %s: use %s", path, shown, jsonKind(raw), kindName(t))
}
