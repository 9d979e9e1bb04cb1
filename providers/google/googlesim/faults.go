package googlesim

import (
	"io"
	"net/http"
	"strconv"
)

// Fault makes matching requests fail instead of being served.
type Fault struct {
	// Path is the decoded request path to match exactly (e.g.
	// "/admin/directory/v1/groups/eng@acme.com/members" or "/token"); empty
	// matches every request.
	Path string
	// After lets this many matching requests through before failing.
	After int
	// Times is how many matching requests fail; 0 means all from then on.
	Times int
	// Status is the HTTP status; default 503.
	Status int
	// Reason is the Google error reason (userRateLimitExceeded, forbidden,
	// backendError, …); default the usual one for Status.
	Reason string
	// Message overrides Google's wording for Reason.
	Message string
	// Body, when set, is sent verbatim as text/html instead of Google's JSON
	// error envelope, like a proxy in the way would.
	Body string
	// RetryAfter, when positive, is sent as a Retry-After header (seconds).
	RetryAfter int
	// Drop closes the connection without answering, like a crashed
	// backend or a proxy timing out.
	Drop bool
	// Stall holds the request, answering nothing, until the client gives
	// up or the channel is closed, and then drops the connection: a
	// connection that has stalled. Close it when the test ends. With
	// AfterHeaders the server first sends 200 and its headers, then stalls
	// before the body.
	Stall        <-chan struct{}
	AfterHeaders bool
	// EchoAuthorization appends the request's Authorization header to Body,
	// like a misbehaving proxy: for tests that credentials never surface.
	EchoAuthorization bool
	// JSON, when set, is sent verbatim as the body with Status and
	// Content-Type application/json: a malformed answer such as "200 null"
	// or a member list holding a null row.
	JSON string
	// Location, with a 3xx Status, answers with a redirect there, as a
	// proxy or a captive portal in the way might.
	Location string
	// EchoForm, on the token endpoint, answers with an OAuth error whose
	// description quotes the posted form, signed assertion included, as
	// some servers echo a request they refuse.
	EchoForm bool
}

type faultState struct {
	Fault
	seen, fired int
}

// Inject adds a fault. Faults are checked in the order they were added and
// the first that fires wins.
func (s *Server) Inject(f Fault) {
	if f.Status == 0 {
		f.Status = http.StatusServiceUnavailable
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes all injected faults.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// matchFault returns the fault that fires for path, if any. Callers hold mu.
func (s *Server) matchFault(path string) *faultState {
	var hit *faultState
	for _, f := range s.faults {
		if f.Path != "" && f.Path != path {
			continue
		}
		f.seen++
		if hit != nil || f.seen <= f.After || (f.Times > 0 && f.fired >= f.Times) {
			continue
		}
		f.fired++
		hit = f
	}
	return hit
}

func (f *faultState) write(w http.ResponseWriter, r *http.Request) {
	if f.Stall != nil {
		if f.AfterHeaders {
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			w.WriteHeader(http.StatusOK)
			_ = http.NewResponseController(w).Flush()
		}
		select {
		case <-f.Stall:
		case <-r.Context().Done():
		}
		panic(http.ErrAbortHandler) // closes the connection without a reply
	}
	if f.Drop {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // HTTP/2: abort the stream instead
	}
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	if f.Location != "" {
		w.Header().Set("Location", f.Location)
		w.WriteHeader(f.Status)
		return
	}
	if f.JSON != "" {
		w.Header().Set("Content-Type", "application/json; charset=UTF-8")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(f.JSON))
		return
	}
	if f.EchoForm {
		form, _ := io.ReadAll(r.Body)
		reason := f.Reason
		if reason == "" {
			reason = "invalid_request"
		}
		writeJSON(w, f.Status, map[string]string{"error": reason, "error_description": "Bad request: " + string(form)})
		return
	}
	if f.Body != "" || f.EchoAuthorization {
		body := f.Body
		if f.EchoAuthorization {
			body += "\nAuthorization: " + r.Header.Get("Authorization")
		}
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(f.Status)
		_, _ = w.Write([]byte(body))
		return
	}
	if r.URL.Path == "/token" {
		reason := f.Reason
		if reason == "" {
			reason = "internal_failure"
		}
		writeJSON(w, f.Status, map[string]string{"error": reason, "error_description": f.Message})
		return
	}
	writeError(w, f.Status, f.Reason, f.Message)
}
