package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"unicode"
)

// CLIInputJSON writes an aws-sdk-go-v2 input struct as the AWS CLI's --cli-input-json
// document: members named as in the service model, nil and zero members left out, keys
// sorted, indented by two spaces, with a final newline. Image Builder's model names
// members in lowerCamelCase (the Go field name with its first letter lowered:
// SemanticVersion → semanticVersion); IAM's in UpperCamelCase, as the Go fields are
// (RoleName), so the requests of package service/iam keep the Go names.
func CLIInputJSON(input any) ([]byte, error) {
	t := reflect.TypeOf(input)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := memberName
	if t != nil && strings.HasSuffix(t.PkgPath(), "/service/iam") {
		name = func(field string) string { return field }
	}
	v, err := toJSONValue(reflect.ValueOf(input), name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encoding CLI input JSON: %w", err)
	}
	return buf.Bytes(), nil
}

// memberName is the service model's member name for a Go SDK field.
func memberName(field string) string {
	r := []rune(field)
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

func toJSONValue(v reflect.Value, memberName func(string) string) (any, error) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, nil
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		out := map[string]any{}
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			fv := v.Field(i)
			if fv.IsZero() {
				continue
			}
			x, err := toJSONValue(fv, memberName)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			if x != nil {
				out[memberName(f.Name)] = x
			}
		}
		return out, nil
	case reflect.Slice:
		out := make([]any, v.Len())
		for i := range out {
			x, err := toJSONValue(v.Index(i), memberName)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	case reflect.Map:
		out := map[string]any{}
		iter := v.MapRange()
		for iter.Next() {
			x, err := toJSONValue(iter.Value(), memberName)
			if err != nil {
				return nil, err
			}
			out[iter.Key().String()] = x
		}
		return out, nil
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Float32, reflect.Float64:
		return v.Float(), nil
	}
	return nil, fmt.Errorf("cannot write a %s as CLI input JSON", v.Type())
}
