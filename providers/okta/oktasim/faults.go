package oktasim

import (
	"net/http"
	"strconv"
	"time"
)

// Fault makes the server misbehave on chosen requests to one path. Exactly
// one of Status, Malformed, Hangup and Stall should be set.
type Fault struct {
	// Path is the URL path it applies to, e.g. "/api/v1/groups/00g…/users".
	Path string
	// Nth is the first request to Path it applies to, counting from 1 as
	// Requests does; 0 means every request.
	Nth int
	// Times is how many consecutive requests from Nth it applies to
	// (default 1). Ignored when Nth is 0.
	Times int
	// Status answers with this status and Okta's error body for it (a 429
	// carries the rate-limit headers with Remaining 0).
	Status int
	// NoRateHeaders drops Date and the X-Rate-Limit-* headers from the
	// answer, as some proxies do.
	NoRateHeaders bool
	// Malformed answers 200 with a truncated JSON body.
	Malformed bool
	// Hangup closes the connection without answering.
	Hangup bool
	// Stall holds the request, answering nothing, until the client gives
	// up or the channel is closed, and then drops the connection: a
	// connection that has stalled. Close it when the test ends. With
	// AfterHeaders the server first sends 200 and its headers, then stalls
	// before the body.
	Stall        <-chan struct{}
	AfterHeaders bool
}

// Inject adds a fault. Faults are checked in the order they were added;
// the first that matches a request wins.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// ClearFaults removes every injected fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// faultLocked returns the fault for the nth request to path.
func (s *Server) faultLocked(path string, n int) (Fault, bool) {
	for _, f := range s.faults {
		if f.Path != path {
			continue
		}
		times := max(f.Times, 1)
		if f.Nth == 0 || (n >= f.Nth && n < f.Nth+times) {
			return f, true
		}
	}
	return Fault{}, false
}

func (s *Server) serveFault(w http.ResponseWriter, r *http.Request, f Fault, now time.Time) {
	h := w.Header()
	if f.Hangup {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // closes the connection without a reply
	}
	if f.NoRateHeaders {
		h["Date"] = nil // nil suppresses the server's automatic Date
	} else {
		remaining, reset := s.peek(bucketOf(r.URL.Path), now)
		if f.Status == http.StatusTooManyRequests {
			remaining = 0
		}
		h.Set("X-Rate-Limit-Limit", strconv.Itoa(s.opts.RateLimit))
		h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
		h.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset, 10))
	}
	if f.Stall != nil {
		if f.AfterHeaders {
			h.Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_ = http.NewResponseController(w).Flush()
		}
		select {
		case <-f.Stall:
		case <-r.Context().Done():
		}
		panic(http.ErrAbortHandler) // closes the connection without a reply
	}
	if f.Malformed {
		h.Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(`[{"id":"00u`))
		return
	}
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	writeError(w, status, h.Get("X-Okta-Request-Id"))
}
