package oktasim

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"time"
)

// Fault makes the server misbehave on chosen requests to one path. Exactly
// one of Status, Malformed, Hangup, Stall, EchoAuthorization, NullPage,
// PageAsObject, MemberStatus, NoMemberStatus, ContentType and Link should
// be set.
type Fault struct {
	// Path is the URL path it applies to, e.g. "/api/v1/groups/00g…/users";
	// empty means every path.
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
	// EchoAuthorization answers 401 with Okta's E0000011 body, its
	// errorSummary quoting the request's Authorization header and one
	// errorCause quoting the credential alone, as a proxy or WAF that
	// echoes the request might.
	EchoAuthorization bool

	// The faults below let the request through (authentication, rate
	// limit, routing) and then reshape a 200 list answer: the page still
	// carries its Link headers, so a client that trusts it reads on.

	// NullPage replaces the page with the JSON literal null.
	NullPage bool
	// PageAsObject replaces the page with its first item alone, a JSON
	// object where an array belongs ({} when the page is empty).
	PageAsObject bool
	// MemberStatus replaces the status of every item on the page with
	// this value, which need not be one Okta documents.
	MemberStatus string
	// NoMemberStatus drops the status of every item on the page.
	NoMemberStatus bool
	// ContentType sends a 2xx answer, body unchanged, with this
	// Content-Type instead of application/json.
	ContentType string
	// Link adds this value as one more Link header line to the answer,
	// whatever its status, e.g. `<%zz>; rel="self"`.
	Link string
}

// reshapes reports whether f lets the request through and rewrites the
// answer.
func (f Fault) reshapes() bool {
	return f.reshapesBody() || f.ContentType != "" || f.Link != ""
}

// reshapesBody reports whether f rewrites a 200 list answer's body.
func (f Fault) reshapesBody() bool {
	return f.NullPage || f.PageAsObject || f.MemberStatus != "" || f.NoMemberStatus
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
		if f.Path != "" && f.Path != path {
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
	if f.EchoAuthorization {
		auth := r.Header.Get("Authorization")
		_, cred, _ := strings.Cut(auth, " ")
		writeJSON(w, http.StatusUnauthorized, errorJSON{
			ErrorCode: "E0000011", ErrorSummary: "Invalid token provided: Authorization: " + auth,
			ErrorLink: "E0000011", ErrorID: "oae" + h.Get("X-Okta-Request-Id"),
			ErrorCauses: []map[string]any{{"errorSummary": "rejected credential " + cred}},
		})
		return
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

// serveReshaped serves r as usual into a buffer and sends the answer with
// its 200 list body, its 2xx Content-Type or its Link headers reshaped by
// f. A body or Content-Type fault leaves other answers (errors, 429s) as
// they came.
func (s *Server) serveReshaped(w http.ResponseWriter, r *http.Request, f Fault) {
	rec := httptest.NewRecorder()
	maps.Copy(rec.Header(), w.Header())
	s.mux.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	var items []map[string]any
	if f.reshapesBody() && rec.Code == http.StatusOK && json.Unmarshal(body, &items) == nil {
		body = reshape(items, f)
	}
	maps.Copy(w.Header(), rec.Header())
	if f.ContentType != "" && rec.Code >= 200 && rec.Code < 300 {
		w.Header().Set("Content-Type", f.ContentType)
	}
	if f.Link != "" {
		w.Header().Add("Link", f.Link)
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

func reshape(items []map[string]any, f Fault) []byte {
	var v any = items
	switch {
	case f.NullPage:
		v = nil
	case f.PageAsObject:
		v = map[string]any{}
		if len(items) > 0 {
			v = items[0]
		}
	default:
		for _, it := range items {
			if f.NoMemberStatus {
				delete(it, "status")
			} else {
				it["status"] = f.MemberStatus
			}
		}
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(v)
	return buf.Bytes()
}
