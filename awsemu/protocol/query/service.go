package query

import (
	"net/http"

	"github.com/winami/winami/awsemu"
)

// Operation is the Action of an awsQuery or ec2 query request: from the form body, else
// from the URL's query string.
func Operation(r *awsemu.Request) string {
	if a := Action(r.Body); a != "" {
		return a
	}
	return r.HTTP.URL.Query().Get("Action")
}

// Protocol implements the parts of awsemu.Service that the awsQuery services (IAM, STS)
// answer alike; a service embeds it and adds Name and Serve.
type Protocol struct{}

// Operation is the query Action of the request.
func (Protocol) Operation(r *awsemu.Request) string { return Operation(r) }

// WriteError answers an error in the awsQuery shape.
func (Protocol) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	WriteQueryError(w, status, code, message, r.ID)
}

// Throttle is the awsQuery services' throttling answer: 400 Throttling.
func (Protocol) Throttle() (int, string) { return http.StatusBadRequest, "Throttling" }
