// Package httpx holds the HTTP pieces teamsync's clients and its config
// check share: a per-request timeout transport and the loopback test that
// decides where plain http is allowed.
package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Timeout bounds each request sent through Base, from sending it to the
// last byte of the answer, so a stalled connection fails (and can be
// retried) instead of hanging a run that has no deadline of its own. The
// body is read into memory before the deadline's context is released,
// because SDKs read it only after RoundTrip returns.
//
// It stands in for http.Client.Timeout, which under an oauth2 transport
// calls that layer's deprecated CancelRequest (a log line per timeout) and
// words the same timeout in more than one way.
type Timeout struct {
	Base  http.RoundTripper
	After time.Duration
}

// RoundTrip sends req under the deadline; a request the deadline cut short
// fails with a *TimeoutError.
func (t *Timeout) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.After)
	defer cancel()
	resp, err := t.Base.RoundTrip(req.WithContext(ctx))
	if err == nil {
		var body []byte
		body, err = io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
	}
	if err == nil {
		return resp, nil
	}
	if req.Context().Err() == nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return nil, &TimeoutError{After: t.After}
	}
	return nil, err
}

// TimeoutError is a request that got no complete answer in time. Its
// Timeout method makes a *url.Error around it a timeout, as net.Error's
// is.
type TimeoutError struct{ After time.Duration }

// Error says how long the request was given.
func (e *TimeoutError) Error() string { return fmt.Sprintf("request timed out after %v", e.After) }

// Timeout reports true.
func (e *TimeoutError) Timeout() bool { return true }
