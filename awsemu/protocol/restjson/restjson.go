package restjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Route maps one HTTP method and URI template to an operation name. Labels in the
// template are written {name}; a label matches one path segment.
type Route struct {
	Method string
	Path   string
	Op     string
}

// Router finds the operation a request calls.
type Router struct {
	routes []compiled
}

type compiled struct {
	method   string
	segments []string // literal segments, or "{label}"
	op       string
}

// NewRouter returns a router over routes; earlier routes win over later ones.
func NewRouter(routes ...Route) *Router {
	r := &Router{}
	for _, rt := range routes {
		r.routes = append(r.routes, compiled{method: rt.Method, segments: split(rt.Path), op: rt.Op})
	}
	return r
}

func split(path string) []string {
	path = strings.Trim(path, "/")
	if path == "" {
		return nil
	}
	return strings.Split(path, "/")
}

// Params are the URI label values of a matched request, unescaped.
type Params map[string]string

// Match returns the operation of the request and its URI labels; op is "" when no route
// matches. Labels are matched on the escaped path, so an ARN sent as one label
// (`/tags/arn%3Aaws%3A…%2Fname`) stays one label.
func (r *Router) Match(hr *http.Request) (op string, params Params) {
	segs := split(hr.URL.EscapedPath())
	for _, rt := range r.routes {
		if rt.method != hr.Method || len(rt.segments) != len(segs) {
			continue
		}
		p := Params{}
		ok := true
		for i, s := range rt.segments {
			if strings.HasPrefix(s, "{") && strings.HasSuffix(s, "}") {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				p[s[1:len(s)-1]] = v
				continue
			}
			if s != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return rt.op, p
		}
	}
	return "", nil
}

// Error is an error answered in restJson1 shape.
type Error struct {
	// Status is the HTTP status code the model gives the error.
	Status int
	// Code is the error shape name, such as "ResourceNotFoundException".
	Code string
	// Message is the human-readable message.
	Message string
	// Fields are extra members of the error shape (EKS's clusterName, for one).
	Fields map[string]any
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with a formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// WriteError writes an error: the code in X-Amzn-ErrorType, {"message": …} (plus any
// extra fields) in the body, and the status.
func WriteError(w http.ResponseWriter, e *Error) {
	body := map[string]any{}
	for k, v := range e.Fields {
		body[k] = v
	}
	body["message"] = e.Message
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	writeJSON(w, status, body)
}

// WriteJSON writes v as a 200 JSON response.
func WriteJSON(w http.ResponseWriter, v any) { writeJSON(w, http.StatusOK, v) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		w.Header().Set("X-Amzn-ErrorType", "InternalFailure")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, "{\"message\":%q}", "encoding response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// Decode reads a JSON request body into v; an empty body leaves v as it is. A body that
// is not JSON is answered with the code given (SerializationException or the service's
// own validation error).
func Decode(body []byte, v any, code string) *Error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return Errorf(http.StatusBadRequest, code, "decoding request body: %v", err)
	}
	return nil
}

// EpochSeconds renders t as restJson1's default timestamp format: fractional seconds
// since the Unix epoch (a JSON number), to the millisecond. A time before the epoch is
// the negative number of its distance from it (-1.5 for 1969-12-31T23:59:58.5Z).
func EpochSeconds(t time.Time) json.Number {
	ms := t.UnixMilli()
	sign := ""
	if ms < 0 {
		sign, ms = "-", -ms
	}
	s := fmt.Sprintf("%s%d.%03d", sign, ms/1000, ms%1000)
	return json.Number(strings.TrimSuffix(strings.TrimRight(s, "0"), "."))
}
