package okta

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/teamsync/teamsync/internal/backoff"
	"github.com/teamsync/teamsync/internal/httpx"
)

const (
	// baseBackoff is the first wait after a 5xx, a transport error or a 429
	// whose headers do not say when to come back; it doubles per attempt.
	baseBackoff = 500 * time.Millisecond
	// maxPaceWait bounds a pacing wait: Okta's windows last a minute, so a
	// reset further away than this is a bad header.
	maxPaceWait = time.Minute + time.Second
	// errorBodyLimit bounds how much of an error body is read.
	errorBodyLimit = 64 << 10
)

// transport is the http.RoundTripper under the Okta SDK. It owns every
// retry (the SDK's own are turned off: it retries only 429s, gives up when
// Date or X-Rate-Limit-Reset is missing, and retries io.EOF without
// limit) and paces requests to leave rate-limit headroom for other
// clients of the org.
type transport struct {
	base           http.RoundTripper
	headroom       float64 // negative: no pacing
	maxRetries     int
	maxBackoff     time.Duration
	attemptTimeout time.Duration // 0: none
	sleep          func(ctx context.Context, d time.Duration) error
	now            func() time.Time
	jitter         func(n int64) int64 // uniform in [0, n)
	log            *slog.Logger

	mu      sync.Mutex
	budgets map[string]budget // by bucketOf(path)
}

// budget is the last rate-limit state Okta reported for a bucket.
type budget struct {
	limit, remaining int
	resetAt          time.Time // on our clock
}

func newTransport(base http.RoundTripper, c Config) *transport {
	return &transport{
		base:           base,
		headroom:       c.Headroom,
		maxRetries:     c.MaxRetries,
		maxBackoff:     c.MaxBackoff,
		attemptTimeout: c.AttemptTimeout,
		sleep:          c.Sleep,
		now:            c.Now,
		jitter:         rand.Int64N,
		log:            c.Logger,
		budgets:        map[string]budget{},
	}
}

// RoundTrip sends req, retrying 429s (until X-Rate-Limit-Reset when the
// headers allow, else with backoff), 5xx answers and transport errors
// (with backoff and jitter), at most maxRetries times; an attempt that
// outlasts attemptTimeout is a transport error. When retries run out on a
// 5xx the answer is returned for the SDK to turn into an Okta error; on a
// 429 or a transport error a *retryError is returned.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	bucket := bucketOf(req.URL.Path)
	rewindable := req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
	var retryFor string
	for attempt := 0; ; attempt++ {
		if err := t.pace(ctx, bucket); err != nil {
			return nil, err
		}
		r, err := t.attemptRequest(req, attempt, retryFor)
		if err != nil {
			return nil, err
		}
		resp, err := t.send(r)
		last := attempt >= t.maxRetries || !rewindable
		var (
			wait   time.Duration
			reason string
		)
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return nil, err
			}
			if last {
				return nil, &retryError{attempts: attempt + 1, err: err}
			}
			wait, reason = t.backoff(attempt), "transport error"
		case resp.StatusCode == http.StatusTooManyRequests:
			t.observe(bucket, resp)
			if last {
				return nil, &retryError{attempts: attempt + 1, err: rateLimitError(resp)}
			}
			wait, reason = t.rateLimitWait(resp, attempt), "rate limited"
			retryFor = resp.Header.Get("X-Okta-Request-Id")
			drain(resp)
		case retryableStatus(resp.StatusCode):
			t.observe(bucket, resp)
			if last {
				return resp, nil
			}
			wait, reason = t.backoff(attempt), resp.Status
			drain(resp)
		default:
			t.observe(bucket, resp)
			return resp, nil
		}
		t.log.Warn("okta: retrying request", "method", req.Method, "path", req.URL.Path,
			"reason", reason, "attempt", attempt+1, "wait", wait)
		if err := t.sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// send makes one attempt under the attempt timeout (see httpx.Timeout: a
// connection that stalls mid-body fails the attempt too).
func (t *transport) send(req *http.Request) (*http.Response, error) {
	if t.attemptTimeout <= 0 {
		return t.base.RoundTrip(req)
	}
	return (&httpx.Timeout{Base: t.base, After: t.attemptTimeout}).RoundTrip(req)
}

// attemptRequest is req for the first attempt and a copy with a fresh
// body (and Okta's retry headers after a 429) for later ones.
func (t *transport) attemptRequest(req *http.Request, attempt int, retryFor string) (*http.Request, error) {
	if attempt == 0 {
		return req, nil
	}
	r := req.Clone(req.Context())
	if req.GetBody != nil {
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	if retryFor != "" {
		r.Header.Set("X-Okta-Retry-For", retryFor)
		r.Header.Set("X-Okta-Retry-Count", strconv.Itoa(attempt))
	}
	return r, nil
}

// pace waits for the bucket's reset when its remaining budget has fallen
// below the headroom.
func (t *transport) pace(ctx context.Context, bucket string) error {
	if t.headroom < 0 {
		return nil
	}
	t.mu.Lock()
	b, ok := t.budgets[bucket]
	t.mu.Unlock()
	if !ok || b.limit <= 0 || float64(b.remaining) >= t.headroom*float64(b.limit) {
		return nil
	}
	d := b.resetAt.Sub(t.now())
	if d <= 0 {
		return nil
	}
	d = min(d, maxPaceWait)
	t.log.Info("okta: pacing requests to leave rate-limit headroom", "bucket", bucket,
		"remaining", b.remaining, "limit", b.limit, "wait", d)
	return t.sleep(ctx, d)
}

// observe records the rate-limit headers of a response, if it has them.
func (t *transport) observe(bucket string, resp *http.Response) {
	h := resp.Header
	limit, err1 := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	resetAt, ok := t.resetAt(h)
	if err1 != nil || err2 != nil || !ok {
		return
	}
	t.mu.Lock()
	t.budgets[bucket] = budget{limit: limit, remaining: remaining, resetAt: resetAt}
	t.mu.Unlock()
}

// resetAt converts X-Rate-Limit-Reset to our clock. Measured against the
// response's Date it is immune to skew between our clock and Okta's.
func (t *transport) resetAt(h http.Header) (time.Time, bool) {
	reset, err := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err != nil || reset <= 0 {
		return time.Time{}, false
	}
	at := time.Unix(reset, 0)
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		return t.now().Add(at.Sub(date)), true
	}
	return at, true
}

// rateLimitWait is how long to wait after a 429: until the reset plus a
// second, as Okta advises, or a backoff when the headers do not say.
func (t *transport) rateLimitWait(resp *http.Response, attempt int) time.Duration {
	at, ok := t.resetAt(resp.Header)
	if !ok {
		return t.backoff(attempt)
	}
	d := at.Sub(t.now())
	if d < 0 {
		return t.backoff(attempt)
	}
	return min(d+time.Second, t.maxBackoff)
}

// backoff is an exponential wait with jitter: uniformly random in the
// upper half of min(maxBackoff, baseBackoff·2^attempt).
func (t *transport) backoff(attempt int) time.Duration {
	return backoff.Exponential(attempt, baseBackoff, t.maxBackoff, backoff.UpperHalf(t.jitter))
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// rateLimitError reads Okta's error out of a final 429, which the SDK
// would otherwise discard.
func rateLimitError(resp *http.Response) *APIError {
	defer resp.Body.Close()
	e := &APIError{Status: resp.StatusCode}
	var body struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, errorBodyLimit)).Decode(&body) == nil {
		e.Code, e.Summary = body.ErrorCode, body.ErrorSummary
	}
	if e.Code == "" {
		e.Code = "E0000047"
	}
	if e.Summary == "" {
		e.Summary = "API call exceeded rate limit due to too many requests."
	}
	return e
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, errorBodyLimit))
	_ = resp.Body.Close()
}

// bucketOf names a path's rate-limit bucket by its shape: IDs become
// "{id}", so one group's reads share a budget with every other group's.
func bucketOf(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		if looksLikeID(s) {
			segs[i] = "{id}"
		}
	}
	return strings.Join(segs, "/")
}

// looksLikeID reports whether s has the shape of an Okta object ID:
// 15 or more letters and digits.
func looksLikeID(s string) bool {
	if len(s) < 15 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}
