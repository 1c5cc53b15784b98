package awsemu

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// ControlPrefix is the URL path under which the endpoint takes commands from tests and
// benchmarks that run it out of process (faults, counts, clock).
const ControlPrefix = "/_awsemu/"

// ControlFaults is the body of POST /_awsemu/faults.
type ControlFaults struct {
	// LatencyMS delays every request.
	LatencyMS int `json:"latencyMs"`
	// ThrottleRate answers that share (0..1) of requests with the service's throttling error.
	ThrottleRate float64 `json:"throttleRate"`
	// Seed reseeds the random source that picks throttled requests (0 leaves it).
	Seed int64 `json:"seed"`
	// FailNext scripts errors for named operations.
	FailNext []ControlFailure `json:"failNext"`
	// ThrottleOperations limits ThrottleRate to these operations (every operation when empty).
	ThrottleOperations []ControlOperation `json:"throttleOperations,omitempty"`
	// OperationLatency delays the named operations, in addition to LatencyMS.
	OperationLatency []ControlLatency `json:"operationLatency,omitempty"`
}

// ControlOperation names one operation of one service ("ssm", "GetParameters").
type ControlOperation struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
}

// ControlLatency delays one operation.
type ControlLatency struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	LatencyMS int    `json:"latencyMs"`
}

// ControlFailure scripts one error for one operation.
type ControlFailure struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
	Status    int    `json:"status"`
	Code      string `json:"code"`
	Message   string `json:"message"`
}

// serveControl answers:
//
//	POST /_awsemu/faults        ControlFaults (replaces the faults)
//	GET  /_awsemu/counts        [{"service","operation","region","count"}]
//	POST /_awsemu/counts/reset
//	POST /_awsemu/clock/advance?by=90s   (ManualClock only)
//	GET  /_awsemu/clock         {"now": RFC 3339 time, "manual": bool}
//
// and the paths services add with HandleControl, of the endpoint's own account or, with
// ?account=<id>, of that peer account's world (Server.Peer).
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path == ControlPrefix+"faults" && r.Method == http.MethodPost:
		var c ControlFaults
		if err := json.NewDecoder(r.Body).Decode(&c); err != nil {
			http.Error(w, fmt.Sprintf(`{"error":%q}`, "decoding faults: "+err.Error()), http.StatusBadRequest)
			return
		}
		s.Faults.Reset()
		s.Faults.SetLatency(time.Duration(c.LatencyMS) * time.Millisecond)
		var ops []OpKey
		for _, o := range c.ThrottleOperations {
			ops = append(ops, OpKey(o))
		}
		s.Faults.SetThrottle(c.ThrottleRate, ops...)
		for _, l := range c.OperationLatency {
			s.Faults.SetOperationLatency(l.Service, l.Operation, time.Duration(l.LatencyMS)*time.Millisecond)
		}
		if c.Seed != 0 {
			s.Faults.SetSeed(c.Seed)
		}
		for _, f := range c.FailNext {
			s.Faults.FailNext(f.Service, f.Operation, FaultError{Status: f.Status, Code: f.Code, Message: f.Message})
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	case r.URL.Path == ControlPrefix+"counts" && r.Method == http.MethodGet:
		type row struct {
			Service   string `json:"service"`
			Operation string `json:"operation"`
			Region    string `json:"region"`
			Count     int    `json:"count"`
		}
		rows := []row{}
		for _, c := range s.Faults.Counts() {
			rows = append(rows, row{c.Service, c.Operation, c.Region, c.Count})
		}
		_ = json.NewEncoder(w).Encode(rows)
	case r.URL.Path == ControlPrefix+"counts/reset" && r.Method == http.MethodPost:
		s.Faults.ResetCounts()
		_, _ = w.Write([]byte(`{"ok":true}`))
	case r.URL.Path == ControlPrefix+"clock" && r.Method == http.MethodGet:
		_, manual := s.Clock.(*ManualClock)
		_ = json.NewEncoder(w).Encode(struct {
			Now    time.Time `json:"now"`
			Manual bool      `json:"manual"`
		}{s.Clock.Now().UTC(), manual})
	case r.URL.Path == ControlPrefix+"clock/advance" && r.Method == http.MethodPost:
		mc, ok := s.Clock.(*ManualClock)
		if !ok {
			http.Error(w, `{"error":"the clock is not manual"}`, http.StatusConflict)
			return
		}
		d, err := time.ParseDuration(r.URL.Query().Get("by"))
		if err != nil {
			http.Error(w, fmt.Sprintf(`{"error":%q}`, "parsing by: "+err.Error()), http.StatusBadRequest)
			return
		}
		mc.Advance(d)
		_, _ = w.Write([]byte(`{"ok":true}`))
	default:
		world := s
		if acct := r.URL.Query().Get("account"); acct != "" {
			p, ok := s.Peer(acct)
			if !ok {
				http.Error(w, fmt.Sprintf(`{"error":%q}`, "the endpoint serves no account "+acct+" (served: "+fmt.Sprint(s.Accounts())+")"), http.StatusNotFound)
				return
			}
			world = p
		}
		world.mu.RLock()
		h := world.controls[r.URL.Path]
		world.mu.RUnlock()
		if h != nil {
			h.ServeHTTP(w, r)
			return
		}
		http.Error(w, `{"error":"unknown control path"}`, http.StatusNotFound)
	}
}
