package httpx

import (
	"errors"
	"fmt"
	"time"
)

// Error is a request that failed at the edge: it got no usable answer
// within its attempts and deadline, or it was not sent. Its text is
// redacted.
type Error struct {
	// API is the API's name (buildkite, okta, google).
	API string
	// Operation names the request, as the policy's Operation does.
	Operation string
	// Reason is the last attempt's failure: one of the Reason constants
	// or an API's own word.
	Reason string
	// Attempts is how many times the request was sent; 0 when it was not.
	Attempts int
	// Elapsed is the time from the first attempt to giving up.
	Elapsed time.Duration
	// MayHaveRun says the API may have acted on the request although no
	// answer says so (a timeout or a 5xx after a write): the caller must
	// look before it counts the write as failed or sends it again.
	MayHaveRun bool
	// Err is the last attempt's failure.
	Err error

	secrets *Secrets
	silent  bool // the API gave no answer at all
	streak  int  // the requests in a row that had failed when this one did
}

// breakerWhy says why the breaker opened with e.
func (e *Error) breakerWhy() string {
	if e.silent {
		return "stopped answering"
	}
	return fmt.Sprintf("failed %d requests in a row", e.streak)
}

// Error reads "<operation>: <failure>", with "(gave up after N attempts)"
// when it was sent more than once. It leaves out the time taken, so a
// plan that reports the error reads the same however slow the API was
// (Elapsed has it).
func (e *Error) Error() string {
	s := fmt.Sprintf("%s: %v", e.Operation, e.Err)
	if e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return e.secrets.Redact(s)
}

// Unwrap returns the last attempt's failure.
func (e *Error) Unwrap() error { return e.Err }

// Timeout reports whether the request failed for want of an answer in
// time, as net.Error's Timeout does.
func (e *Error) Timeout() bool { return e.Reason == ReasonTimeout }

// MayHaveRun reports whether err is a request that the API may have acted
// on although it failed: after a timeout, a dropped connection or a 5xx.
// A write that fails this way must be checked by reading, never assumed
// failed or sent again.
func MayHaveRun(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.MayHaveRun
}
