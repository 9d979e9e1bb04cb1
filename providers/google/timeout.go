package google

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// timeoutTransport bounds each request, from sending it to the last byte
// of the answer, so a stalled connection fails (and is retried) instead of
// hanging a run that has no deadline of its own. The body is read into
// memory before the deadline's context is released, because the library
// reads it only after RoundTrip returns.
//
// It stands in for http.Client.Timeout, which under the oauth2 layer also
// calls that layer's deprecated CancelRequest (a log line per timeout) and
// words the same timeout in more than one way.
type timeoutTransport struct {
	base    http.RoundTripper
	timeout time.Duration
}

func (t *timeoutTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx, cancel := context.WithTimeout(req.Context(), t.timeout)
	defer cancel()
	resp, err := t.base.RoundTrip(req.WithContext(ctx))
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
		return nil, &timeoutError{after: t.timeout}
	}
	return nil, err
}

// timeoutError is a request that got no complete answer in time. Its
// Timeout method makes the *url.Error around it a timeout, which call
// retries.
type timeoutError struct{ after time.Duration }

func (e *timeoutError) Error() string { return fmt.Sprintf("request timed out after %v", e.after) }

// Timeout reports true, as net.Error's Timeout does.
func (e *timeoutError) Timeout() bool { return true }
