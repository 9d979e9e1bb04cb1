package buildkite

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/sync/model"
)

// HTTPError is a final non-2xx answer from the GraphQL endpoint; the edge's
// *httpx.Error wraps it. Message is the first GraphQL error message of a
// JSON body, or the status text, never the body itself; it is redacted
// before it is clipped.
type HTTPError struct {
	Status  int
	Message string
}

// Error says the status and Buildkite's message.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
}

// GraphQLError is an error that Buildkite reported in the response's
// errors array (usually with HTTP 200). Message is the first error's text,
// redacted and clipped; Buildkite has only prose messages, no codes.
type GraphQLError struct {
	Message string
	// Path is the first error's response path, when it had one.
	Path []string
}

// Error is the message with a "graphql:" prefix.
func (e *GraphQLError) Error() string { return "graphql: " + e.Message }

// opError wraps a failed mutation with what it did and, when Buildkite's
// prose says so, model.ErrAlreadyExists or model.ErrNotFound, so that
// errors.Is finds both the sentinel and the underlying error.
type opError struct {
	op   string
	kind error // nil, model.ErrAlreadyExists or model.ErrNotFound
	err  error
}

func (e *opError) Error() string {
	// The edge's errors start with the operation already.
	if he := (*httpx.Error)(nil); errors.As(e.err, &he) && he.Operation == e.op {
		return "buildkite: " + e.err.Error()
	}
	return "buildkite: " + e.op + ": " + e.err.Error()
}

func (e *opError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
}

// unsettledError is a write whose answer was lost (a timeout, a dropped
// connection, a 5xx, a malformed answer) and that the client then checked
// by reading. Either the check showed that the write did not take effect
// (and, with gone, that its object is gone, which it unwraps to), or the
// check failed too and the outcome is unknown; only then does it unwrap
// to the write's failure, so httpx.MayHaveRun still says the write may
// have run.
type unsettledError struct {
	op       string
	err      error // the write's failure
	checkErr error // nil: the check showed the write did not happen
	gone     error // the check's reason it did not and never will: wrapping model.ErrNotFound, or invitationAccepted
}

func (e *unsettledError) Error() string {
	failed := (&opError{op: e.op, err: e.err}).Error()
	switch {
	case e.checkErr != nil:
		return fmt.Sprintf("%s; outcome unknown: reading whether it took effect failed too: %v", failed, e.checkErr)
	case e.gone != nil:
		return fmt.Sprintf("%s; reading back shows it did not take effect: %v", failed, e.gone)
	}
	return failed + "; reading back shows it did not take effect"
}

func (e *unsettledError) Unwrap() []error {
	switch {
	case e.checkErr != nil:
		return []error{e.err, e.checkErr}
	case e.gone != nil:
		return []error{e.gone}
	}
	return nil
}

// notFoundNoun matches Buildkite's "No <thing> found" phrasing.
var notFoundNoun = regexp.MustCompile(`\bno\b[^.]*\bfound\b`)

// classify maps a GraphQL error message to the model sentinel it means, or
// nil. Only messages from the errors array are classified: an HTTP 404 from
// a wrong URL must never read as "the member is already gone".
func classify(message string) error {
	m := strings.ToLower(message)
	for _, s := range []string{"already been added", "already exists", "already been taken", "already a member", "already been invited"} {
		if strings.Contains(m, s) {
			return model.ErrAlreadyExists
		}
	}
	if strings.Contains(m, "not found") || strings.Contains(m, "no longer exists") || notFoundNoun.MatchString(m) {
		return model.ErrNotFound
	}
	return nil
}
