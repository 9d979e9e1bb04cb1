package bksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// maxBody bounds a request body.
const maxBody = 1 << 20

// gqlRequest is the POST body GraphQL clients send.
type gqlRequest struct {
	Query         string         `json:"query"`
	OperationName string         `json:"operationName"`
	Variables     map[string]any `json:"variables"`
}

// gqlResponse is the body the server answers. Data is omitted when the
// operation never ran.
type gqlResponse struct {
	Data   json.RawMessage `json:"data,omitempty"`
	Errors []gqlError      `json:"errors,omitempty"`
	Stats  *queryStats     `json:"stats,omitempty"`
}

// queryStats is sent when the request carries
// "Buildkite-Include-Query-Stats: true".
type queryStats struct {
	RequestedComplexity int `json:"requestedComplexity"`
	ActualComplexity    int `json:"actualComplexity"`
}

// reply is what ServeHTTP will send.
type reply struct {
	status    int
	body      gqlResponse
	raw       string // a fault's verbatim body, sent instead of body
	empty     bool   // send no body at all
	location  string // a Location header
	stall     time.Duration
	fault     *Fault // the fault that answered, for its headers
	requested int
	actual    int
}

// ServeHTTP answers one GraphQL request. Checks run in this order: method
// (405), bearer token (401), JSON body (400), parse and validation (200 with
// errors), faults, depth and requested complexity (200 with errors), rate
// limit (429), then execution.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, readErr := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	includeStats := strings.EqualFold(r.Header.Get("Buildkite-Include-Query-Stats"), "true")
	// The answer is built under the lock and written after it is released,
	// so a client that stops reading cannot stall every other request.
	status, header, payload, stall := s.answer(r, body, readErr, includeStats)
	if stall > 0 {
		t := time.NewTimer(stall)
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
		t.Stop()
	}
	for k, v := range header {
		w.Header()[k] = v
	}
	w.WriteHeader(status)
	_, _ = w.Write(payload)
}

// answer handles one request under s.mu and returns what to send, and how
// long to hold it back first.
func (s *Server) answer(r *http.Request, body []byte, readErr error, includeStats bool) (int, http.Header, []byte, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.Requests++
	now := s.now()
	s.limits.roll(now)

	rep := s.handle(r, body, readErr, now)
	h := http.Header{}
	s.limits.setHeaders(h, now, rep.requested, rep.actual)
	if rep.fault != nil && rep.fault.Status == http.StatusTooManyRequests {
		h.Set("RateLimit-Remaining", "0")
		h.Set("RateLimit-Reset", strconv.Itoa(retryAfter(rep.fault)))
	}
	if rep.status == http.StatusMethodNotAllowed {
		h.Set("Allow", http.MethodPost)
	}
	s.log.Debug("bksim: request", "status", rep.status, "errors", len(rep.body.Errors), "requested", rep.requested, "actual", rep.actual)
	if rep.location != "" {
		h.Set("Location", rep.location)
	}
	if rep.empty {
		return rep.status, h, nil, rep.stall
	}
	if rep.raw != "" {
		ct := "application/json; charset=utf-8"
		if strings.HasPrefix(strings.TrimSpace(rep.raw), "<") {
			ct = "text/html; charset=utf-8"
		}
		h.Set("Content-Type", ct)
		return rep.status, h, []byte(rep.raw), rep.stall
	}
	if includeStats && rep.body.Data != nil {
		rep.body.Stats = &queryStats{RequestedComplexity: rep.requested, ActualComplexity: rep.actual}
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(rep.body)
	return rep.status, h, buf.Bytes(), rep.stall
}

func errorReply(status int, format string, args ...any) reply {
	return reply{status: status, body: gqlResponse{Errors: msgErrors(format, args...)}}
}

// handle does the work of ServeHTTP under s.mu and says what to answer.
// A fault's stall applies to whatever the request is answered.
func (s *Server) handle(r *http.Request, body []byte, readErr error, now time.Time) (rep reply) {
	if r.Method != http.MethodPost {
		return errorReply(http.StatusMethodNotAllowed, "Only POST requests are supported")
	}
	if msg := s.authError(r.Header.Get("Authorization")); msg != "" {
		return errorReply(http.StatusUnauthorized, "%s", msg)
	}
	if readErr != nil || len(body) > maxBody {
		return errorReply(http.StatusBadRequest, "Could not read the request body")
	}
	var req gqlRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&req); err != nil {
		return errorReply(http.StatusBadRequest, "Request body is not valid JSON: %s", err.Error())
	}
	ex, errs, rejected := s.prepare(req)
	if ex == nil {
		if rejected {
			s.stats.Rejected++
		}
		return reply{status: http.StatusOK, body: gqlResponse{Errors: errs}}
	}
	fields := ex.rootFields()
	if ex.op.Operation == ast.Mutation {
		s.stats.Mutations++
	} else {
		s.stats.Queries++
	}
	for _, f := range fields {
		s.stats.ByOperation[f]++
	}

	fault := s.dueFault(fields)
	if fault != nil {
		s.stats.Faults++
		defer func() { rep.stall = fault.Stall }()
		if fault.EchoAuthorization {
			f := *fault
			f.Message = s.faultMessage(fault) + " (Authorization: " + r.Header.Get("Authorization") + ")"
			fault = &f
		}
		if !fault.AfterExecute {
			if fault.Status == 0 && fault.Body == "" && !fault.Empty && fault.Location == "" && fault.Field != "" {
				ex.failField, ex.failMessage = fault.Field, s.faultMessage(fault)
			} else {
				return s.faultReply(fault, 0, 0)
			}
		}
	}

	requested, depth := ex.requested()
	if depth > DefaultMaxDepth {
		s.stats.Rejected++
		rep := errorReply(http.StatusOK, "Query has depth of %d, which exceeds max depth of %d", depth, DefaultMaxDepth)
		rep.requested = requested
		return rep
	}
	if requested > s.maxComplexity {
		s.stats.Rejected++
		rep := errorReply(http.StatusOK, "Query has complexity of %d, which exceeds max complexity of %d", requested, s.maxComplexity)
		rep.requested = requested
		return rep
	}
	if msg := s.limits.refusal(now); msg != "" {
		s.stats.RateLimited++
		rep := errorReply(http.StatusTooManyRequests, "%s", msg)
		rep.requested = requested
		return rep
	}

	data := ex.run()
	s.limits.charge(ex.actual)
	s.stats.ActualComplexity += ex.actual
	if fault != nil && fault.AfterExecute {
		return s.faultReply(fault, requested, ex.actual)
	}
	return reply{status: http.StatusOK, body: gqlResponse{Data: data, Errors: ex.errs}, requested: requested, actual: ex.actual}
}

// authError checks the bearer token; "" means authorized. The token itself
// never appears in a message.
func (s *Server) authError(header string) string {
	scheme, tok, ok := strings.Cut(header, " ")
	tok = strings.TrimSpace(tok)
	switch {
	case header == "":
		return "No access token was provided. Supply one in the Authorization header: Bearer <token>"
	case !ok || !strings.EqualFold(scheme, "Bearer") || tok == "":
		return "The Authorization header must be of the form: Bearer <token>"
	case s.token != "" && tok != s.token:
		return "The API access token is invalid or has been revoked"
	}
	return ""
}

// faultReply renders a fault that replaces the whole response.
func (s *Server) faultReply(f *Fault, requested, actual int) reply {
	rep := reply{fault: f, requested: requested, actual: actual}
	switch {
	case f.Location != "":
		rep.status = orDefaultInt(f.Status, http.StatusTemporaryRedirect)
		rep.location, rep.empty = f.Location, true
	case f.Empty:
		rep.status = orDefaultInt(f.Status, http.StatusOK)
		rep.empty = true
	case f.Body != "":
		rep.status = orDefaultInt(f.Status, http.StatusOK)
		rep.raw = f.Body
	case f.Status == 0:
		rep.status = http.StatusOK
		rep.body = gqlResponse{Data: json.RawMessage("null"), Errors: msgErrors("%s", s.faultMessage(f))}
	default:
		rep.status = f.Status
		rep.body = gqlResponse{Errors: msgErrors("%s", s.faultMessage(f))}
	}
	return rep
}

func (s *Server) faultMessage(f *Fault) string {
	switch {
	case f.Message != "":
		return f.Message
	case f.Status == http.StatusTooManyRequests:
		return fmt.Sprintf("Your organization has exceeded the limit of %d complexity points. Please try again in %d seconds.", s.limits.org.limit, retryAfter(f))
	case f.Status == 0:
		return busyMessage
	}
	return http.StatusText(f.Status)
}

func retryAfter(f *Fault) int { return orDefaultInt(f.RetryAfter, 60) }

func orDefaultInt(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
