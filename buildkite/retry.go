package buildkite

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/teamsync/teamsync/internal/backoff"
)

// busyMessage is the 200-body error Buildkite sends when it did not run
// the request and wants it sent again.
const busyMessage = "is currently busy, please try again"

// maxMessageLen bounds the server text kept in an error.
const maxMessageLen = 300

// retryTransport is the layer that makes machinebox usable against
// Buildkite: it buffers the request body so it can be sent again, retries
// what is safe to retry within MaxRetries and MaxWait, turns a final
// non-2xx answer into *HTTPError (machinebox ignores HTTP status), and
// hands the response's GraphQL errors, with their paths, to the call.
//
// What is retried:
//   - 429, after RateLimit-Reset (else Retry-After, else backoff): the
//     request was refused before it ran, so this is safe for mutations too;
//   - 502, 503, 504, connection refused (a dial error) and the 200-body
//     "currently busy" error: the request did not reach Buildkite's
//     application or was not run, so also safe for mutations;
//   - other 5xx and transport errors after the request was sent (reset
//     connection, attempt timeout): only for queries. A mutation may have
//     run, and sending it again is not generally safe, so it fails and the
//     next plan sees what really happened.
//
// It also paces: before each attempt it asks the pacer whether the
// organization's budget has fallen under the headroom, and if so waits
// for the window to reset. Pacing and retry waits share one MaxWait, so
// the layer that counts a call's waiting is the one that paces it.
type retryTransport struct {
	base           http.RoundTripper
	maxRetries     int
	maxWait        time.Duration
	attemptTimeout time.Duration // 0: none
	sleep          func(ctx context.Context, d time.Duration) error
	now            func() time.Time
	pacer          *pacer // nil: no pacing
	backoff        func(retry int) time.Duration
	redact         func(string) string
	logger         *slog.Logger
}

// waits is what one call has waited so far, across retries and pacing.
type waits struct {
	total time.Duration
	// until is when the last wait ended on the transport's clock. Pacing
	// counts from it, so a wait the call already made (a 429's wait for
	// the reset) is not made again for the same window.
	until time.Time
}

// outcome is one attempt's result as the retry loop sees it.
type outcome struct {
	resp  *http.Response // body already read and restored; nil on transport error
	err   error          // what to return if this is the last attempt
	retry bool
	wait  time.Duration // 0: use backoff
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	c := callFrom(ctx)
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, err
		}
		body = b
	}
	var w waits
	for retry := 0; ; retry++ {
		if err := t.pace(ctx, c, &w); err != nil {
			return nil, err
		}
		o := t.attempt(req, body, c)
		if !o.retry || retry >= t.maxRetries {
			if o.resp != nil {
				// A 200 still busy after the last retry: machinebox reports
				// its GraphQL error.
				return o.resp, nil
			}
			return nil, o.err
		}
		wait := o.wait
		if wait == 0 {
			wait = t.backoff(retry)
		}
		if o.resp != nil {
			o.resp.Body.Close()
		}
		if limit := t.waitLimit(ctx, w.total); w.total+wait > limit {
			return nil, &MaxWaitError{Wait: wait, Waited: w.total, MaxWait: limit, Err: o.err}
		}
		t.logger.LogAttrs(ctx, slog.LevelInfo, "buildkite: retrying request",
			slog.String("operation", c.name()), slog.Int("retry", retry+1),
			slog.Duration("wait", wait), slog.String("reason", t.redact(o.err.Error())))
		if err := t.wait(ctx, &w, wait); err != nil {
			return nil, err
		}
	}
}

// pace holds the call back until the organization's rate-limit window
// resets when less than the headroom is left of it. The headroom is a
// courtesy, not a limit: when the wait would not fit the call's waiting
// budget (a write's deadline, MaxWait), the call goes ahead and spends it
// rather than fail with budget left.
func (t *retryTransport) pace(ctx context.Context, c *call, w *waits) error {
	if t.pacer == nil {
		return nil
	}
	now := t.now()
	if now.Before(w.until) {
		now = w.until
	}
	d, win := t.pacer.delay(now)
	if d <= 0 {
		return nil
	}
	if limit := t.waitLimit(ctx, w.total); w.total+d > limit {
		t.logger.LogAttrs(ctx, slog.LevelInfo, "buildkite: rate-limit headroom reached; the wait for the reset does not fit this call, so it goes ahead",
			slog.String("operation", c.name()), slog.Int("remaining", win.remaining),
			slog.Int("limit", win.limit), slog.Duration("wait", d), slog.Duration("allowed", limit-w.total))
		return nil
	}
	t.logger.LogAttrs(ctx, slog.LevelInfo, "buildkite: pacing request to leave rate-limit headroom",
		slog.String("operation", c.name()), slog.Int("remaining", win.remaining),
		slog.Int("limit", win.limit), slog.Duration("wait", d))
	return t.wait(ctx, w, d)
}

// waitLimit is how long the call may have waited in all once its next wait
// is over: MaxWait, or less when the context's deadline comes sooner, so
// that a wait that cannot succeed ends the call now, with a reason.
func (t *retryTransport) waitLimit(ctx context.Context, waited time.Duration) time.Duration {
	limit := t.maxWait
	if dl, ok := ctx.Deadline(); ok {
		limit = min(limit, waited+time.Until(dl).Truncate(time.Second))
	}
	return limit
}

// wait sleeps d and counts it against the call.
func (t *retryTransport) wait(ctx context.Context, w *waits, d time.Duration) error {
	start := t.now()
	if err := t.sleep(ctx, d); err != nil {
		return err
	}
	w.total += d
	w.until = start.Add(d)
	return nil
}

// attempt sends the request once and decides what its answer means.
func (t *retryTransport) attempt(req *http.Request, body []byte, c *call) outcome {
	if c != nil {
		c.errs = nil // an earlier attempt's GraphQL errors must not outlive it
	}
	ctx := req.Context()
	actx := ctx
	if t.attemptTimeout > 0 {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, t.attemptTimeout)
		defer cancel()
	}
	r := req.Clone(actx)
	if body != nil {
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
	}
	idempotent := c != nil && !c.mutation
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		if ctx.Err() != nil {
			return outcome{err: ctx.Err()}
		}
		return outcome{err: err, retry: idempotent || isDialError(err)}
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		if ctx.Err() != nil {
			return outcome{err: ctx.Err()}
		}
		return outcome{err: err, retry: idempotent}
	}
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if t.pacer != nil {
		t.pacer.observe(resp.Header, t.now())
	}

	status := resp.StatusCode
	if status < 200 || status > 299 {
		herr := &HTTPError{Status: status, Message: t.redact(statusMessage(status, data))}
		o := outcome{err: herr}
		switch {
		case status == http.StatusTooManyRequests:
			o.retry, o.wait = true, rateLimitWait(resp.Header)
		case status == http.StatusBadGateway, status == http.StatusServiceUnavailable, status == http.StatusGatewayTimeout:
			o.retry, o.wait = true, retryAfter(resp.Header)
		case status >= 500:
			o.retry = idempotent
		}
		return o
	}

	errs := graphQLErrors(data)
	if c != nil {
		c.errs = errs
	}
	for _, e := range errs {
		if strings.Contains(e.Message, busyMessage) {
			return outcome{resp: resp, err: &GraphQLError{Message: t.redact(e.Message)}, retry: true}
		}
	}
	return outcome{resp: resp}
}

// isDialError reports whether err happened before the request was sent
// (connection refused, no route, DNS), so sending again cannot duplicate it.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// gqlError is one entry of a response's errors array.
type gqlError struct {
	Message string
	Path    []string
}

// graphQLErrors returns the errors array of a GraphQL response body, or nil.
func graphQLErrors(data []byte) []gqlError {
	if !bytes.Contains(data, []byte(`"errors"`)) {
		return nil
	}
	var body struct {
		Errors []struct {
			Message string `json:"message"`
			Path    []any  `json:"path"`
		} `json:"errors"`
	}
	if json.Unmarshal(data, &body) != nil {
		return nil
	}
	out := make([]gqlError, 0, len(body.Errors))
	for _, e := range body.Errors {
		ge := gqlError{Message: e.Message}
		for _, p := range e.Path {
			switch v := p.(type) {
			case string:
				ge.Path = append(ge.Path, v)
			case float64:
				ge.Path = append(ge.Path, strconv.Itoa(int(v)))
			}
		}
		out = append(out, ge)
	}
	return out
}

// statusMessage picks the text of a non-2xx answer: the first GraphQL
// error message (or a REST-style "message") of a JSON body, else the
// status text. The body itself is never used: it may be an HTML page.
func statusMessage(status int, data []byte) string {
	var body struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(data, &body) == nil {
		if len(body.Errors) > 0 {
			msg = body.Errors[0].Message
		} else {
			msg = body.Message
		}
	}
	msg = strings.TrimSpace(msg)
	if msg == "" {
		msg = http.StatusText(status)
	}
	if msg == "" {
		msg = "unexpected status"
	}
	if len(msg) > maxMessageLen {
		msg = msg[:maxMessageLen] + "…"
	}
	return msg
}

// rateLimitWait is how long a 429 asks us to wait: the reset of the
// exhausted window (org or per-user; the longest if both are), else the
// longest reset given, else Retry-After, else 0 (use backoff). A reset of
// 0 still waits a second, so a rounded-down reset does not hit the same
// window again.
func rateLimitWait(h http.Header) time.Duration {
	var exhausted, longest time.Duration
	found := false
	for _, w := range [][2]string{
		{"RateLimit-Reset", "RateLimit-Remaining"},
		{"RateLimit-User-Reset", "RateLimit-User-Remaining"},
	} {
		reset, ok := seconds(h.Get(w[0]))
		if !ok {
			continue
		}
		found = true
		reset = max(reset, time.Second)
		longest = max(longest, reset)
		if rem, err := strconv.Atoi(h.Get(w[1])); err != nil || rem <= 0 {
			exhausted = max(exhausted, reset)
		}
	}
	switch {
	case exhausted > 0:
		return exhausted
	case found:
		return longest
	}
	return retryAfter(h)
}

// retryAfter reads a Retry-After header given in seconds; 0 if absent.
func retryAfter(h http.Header) time.Duration {
	d, _ := seconds(h.Get("Retry-After"))
	return d
}

func seconds(v string) (time.Duration, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// Backoff bounds for retries that the server gave no wait for.
const (
	backoffBase = 500 * time.Millisecond
	backoffCap  = 30 * time.Second
)

// jitteredBackoff is exponential backoff with jitter: retry n waits a
// random time in [d/2, d] where d = base·2ⁿ, capped.
func jitteredBackoff(retry int) time.Duration {
	return backoff.Exponential(retry, backoffBase, backoffCap, backoff.UpperHalf(rand.Int64N))
}
