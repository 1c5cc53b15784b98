package awsjson

import (
	"net/http"

	"github.com/winami/winami/awsemu"
)

// Protocol implements the parts of awsemu.Service that the awsJson services (SSM, ECR)
// answer alike; a service embeds it, sets Handlers and adds Name.
type Protocol struct {
	// Handlers answer the operations, by name.
	Handlers map[string]Handler
}

// Operation names the operation from the X-Amz-Target header.
func (p *Protocol) Operation(r *awsemu.Request) string { return Operation(r) }

// Serve answers one request with the operation's handler.
func (p *Protocol) Serve(w http.ResponseWriter, r *awsemu.Request, op string) {
	Serve(w, r, op, p.Handlers)
}

// WriteError answers an error in the awsJson shape.
func (p *Protocol) WriteError(w http.ResponseWriter, r *awsemu.Request, status int, code, message string) {
	WriteError(w, r, status, code, message)
}

// Throttle is the awsJson services' throttling answer: 400 ThrottlingException.
func (p *Protocol) Throttle() (int, string) { return http.StatusBadRequest, "ThrottlingException" }
