package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/winami/winami/awsemu"
)

// ContentType is the content type of every awsJson1_1 request and response.
const ContentType = "application/x-amz-json-1.1"

// Operation returns the operation an awsJson request calls: the part of its X-Amz-Target
// header after the last dot ("AmazonSSM.GetParameter" → "GetParameter"), "" when absent.
func Operation(r *awsemu.Request) string {
	t := r.HTTP.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		return t[i+1:]
	}
	return ""
}

// Error is an error answered in the protocol's shape. Handlers return it (or wrap it);
// any other error is answered as a 500 InternalFailure.
type Error struct {
	// Status is the HTTP status (400 when zero).
	Status int
	// Code is the error code that goes into "__type".
	Code string
	// Message is the error message; empty leaves "message" out, as some AWS errors do.
	Message string
	// Fields are extra members of the error structure (e.g. ECR's "registryId").
	Fields map[string]any
}

// Error implements error.
func (e *Error) Error() string {
	if e.Message == "" {
		return e.Code
	}
	return e.Code + ": " + e.Message
}

// Errorf returns a 400 error with code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Code: code, Message: fmt.Sprintf(format, args...)}
}

// Decode reads the request's JSON body into v. An empty body decodes as {}. A body
// that is not JSON of the right shape is a SerializationException, as AWS answers.
func Decode(r *awsemu.Request, v any) error {
	body := bytes.TrimSpace(r.Body)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "SerializationException", Message: "decoding request: " + err.Error()}
	}
	return nil
}

// Write answers 200 with v as the JSON body.
func Write(w http.ResponseWriter, r *awsemu.Request, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		WriteError(w, r, http.StatusInternalServerError, "InternalFailure", "encoding response: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// WriteError answers an error: the status, an X-Amzn-ErrorType header and a JSON body
// {"__type": code, "message": message}.
func WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	writeError(w, &Error{Status: status, Code: code, Message: message})
}

func writeError(w http.ResponseWriter, e *Error) {
	status := e.Status
	if status == 0 {
		status = http.StatusBadRequest
	}
	doc := map[string]any{"__type": e.Code}
	if e.Message != "" {
		doc["message"] = e.Message
	}
	for k, v := range e.Fields {
		doc[k] = v
	}
	body, _ := json.Marshal(doc)
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// Handler answers one operation: it returns the response document or an error.
type Handler func(r *awsemu.Request) (any, error)

// Serve calls the handler of op and writes its answer. An operation without a handler is
// answered as AWS does for an unknown target: 400 UnknownOperationException.
func Serve(w http.ResponseWriter, r *awsemu.Request, op string, handlers map[string]Handler) {
	h, ok := handlers[op]
	if !ok {
		writeError(w, &Error{Status: http.StatusBadRequest, Code: "UnknownOperationException"})
		return
	}
	out, err := h(r)
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			e = &Error{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: err.Error()}
		}
		writeError(w, e)
		return
	}
	Write(w, r, out)
}

// Time is a timestamp that encodes as epoch seconds with millisecond fractions, the
// awsJson encoding of a timestamp.
type Time time.Time

// MarshalJSON writes the time as epoch seconds.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := time.Time(t).UnixMilli()
	return []byte(strconv.FormatFloat(float64(ms)/1000, 'f', -1, 64)), nil
}

// UnmarshalJSON reads epoch seconds.
func (t *Time) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("decoding timestamp %s: %w", b, err)
	}
	*t = Time(time.UnixMilli(int64(f * 1000)).UTC())
	return nil
}

// TimePtr returns a pointer to t as a Time, or nil when t is zero.
func TimePtr(t time.Time) *Time {
	if t.IsZero() {
		return nil
	}
	v := Time(t)
	return &v
}
