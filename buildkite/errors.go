package buildkite

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/teamsync/teamsync/sync/model"
)

// HTTPError is a final non-2xx answer from the GraphQL endpoint. The
// machinebox client ignores HTTP status, so the transport turns it into
// this error. Message is the first GraphQL error message of a JSON body, or
// the status text; never the body itself.
type HTTPError struct {
	Status  int
	Message string
}

// Error says the status and Buildkite's message.
func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
}

// MaxWaitError says a call gave up because the next retry, or the wait
// for the rate-limit window to reset that pacing asked for, would have
// taken its total waiting past Config.MaxWait, or past the context's
// deadline.
type MaxWaitError struct {
	// Wait is how long the call would have had to wait next.
	Wait time.Duration
	// Waited is how long the call had already waited.
	Waited time.Duration
	// MaxWait is the bound that would have been exceeded: Config.MaxWait,
	// or less when the context's deadline came sooner.
	MaxWait time.Duration
	// Err is the failure that asked for the retry.
	Err error
}

// Error says how long the call would have waited and why.
func (e *MaxWaitError) Error() string {
	return fmt.Sprintf("gave up: retrying would mean waiting %s more (already waited %s, limit %s): %v",
		e.Wait, e.Waited, e.MaxWait, e.Err)
}

// Unwrap returns the failure that asked for the retry.
func (e *MaxWaitError) Unwrap() error { return e.Err }

// GraphQLError is an error that Buildkite reported in the response's
// errors array (usually with HTTP 200). Message is the first error's text;
// Buildkite has only prose messages, no codes.
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

func (e *opError) Error() string { return "buildkite: " + e.op + ": " + e.err.Error() }

func (e *opError) Unwrap() []error {
	if e.kind == nil {
		return []error{e.err}
	}
	return []error{e.kind, e.err}
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
