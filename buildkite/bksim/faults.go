package bksim

import (
	"slices"
	"time"
)

// Fault makes matching requests fail. Faults are checked in the order they
// were injected after a request has been parsed and validated; the first
// one due answers the request. A request matches when Field is "" or names
// one of its top-level fields.
type Fault struct {
	// Field is the top-level field the fault applies to ("" = any request),
	// e.g. "teamMemberCreate" or "team".
	Field string
	// After skips this many matching requests first.
	After int
	// Times is how many matching requests fail (0 = 1).
	Times int
	// Status is the HTTP status to answer (e.g. 500, 502, 429). 0 answers
	// 200 with a GraphQL error: with Field set, each top-level field of that
	// name gives null plus an error at its path while the other fields run
	// normally; with Field "" the whole request answers {"data":null,…}.
	Status int
	// Message is the GraphQL error message. The default depends on Status:
	// 429 gives Buildkite's rate-limit text, 0 gives its transient
	// "… is currently busy, please try again." text, others the status text.
	Message string
	// RetryAfter is, for 429, the RateLimit-Reset seconds (default 60).
	RetryAfter int
	// Body is a raw body to send instead (e.g. malformed JSON, HTML), with
	// Status (default 200).
	Body string
	// AfterExecute runs the request for real and then answers with the
	// fault, as when a response is lost after the write took effect.
	AfterExecute bool
	// Empty answers Status (default 200) with a zero-length body.
	Empty bool
	// Location answers Status (default 307 Temporary Redirect) with this
	// Location header and no body: a redirect, for example to another host.
	Location string
	// EchoAuthorization appends the request's Authorization header to the
	// error message, as a careless proxy or error page might.
	EchoAuthorization bool
	// Stall holds the answer back this long, or until the client hangs up,
	// before sending it: an API that stopped answering. With AfterExecute
	// the request has run by then. Other requests are not held up.
	Stall time.Duration
}

// busyMessage is the transient error Buildkite sends inside a 200 body.
const busyMessage = "Buildkite is currently busy, please try again."

type faultState struct {
	f     Fault
	seen  int
	fired int
}

// Inject adds a fault. Faults stay until they have fired Times times.
func (s *Server) Inject(f Fault) {
	if f.Times <= 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{f: f})
}

// dueFault counts the request against every matching fault and returns the
// first one that fires, or nil. fields are the request's top-level field
// names. Caller holds s.mu.
func (s *Server) dueFault(fields []string) *Fault {
	var due *Fault
	for _, fs := range s.faults {
		if fs.f.Field != "" && !slices.Contains(fields, fs.f.Field) {
			continue
		}
		fs.seen++
		if due == nil && fs.seen > fs.f.After && fs.fired < fs.f.Times {
			fs.fired++
			f := fs.f
			due = &f
		}
	}
	return due
}
