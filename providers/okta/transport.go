package okta

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
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
	// tokenPath is the OAuth token endpoint the SDK posts to.
	tokenPath = "/oauth2/v1/token"
)

// transport is the http.RoundTripper under the Okta SDK: a thin Okta layer
// over the edge (httpx.Transport), which owns timeouts, retries and their
// log lines, redirects, empty answers and the breaker. What this package
// adds is Okta's own: how its answers read (classify: 429s and their
// reset, 5xx, pages that are not JSON arrays, 204s, Link headers the SDK
// cannot follow safely), the one host requests may go to, which requests
// may be sent twice, what a request is called, pacing that leaves
// rate-limit headroom for the org's other clients, and the OAuth
// credentials it sees going past, which it adds to the run's Secrets.
//
// The SDK's own retries are off: it retries only 429s, gives up when Date
// or X-Rate-Limit-Reset is missing, and retries io.EOF without limit, so
// no error this transport returns unwraps to io.EOF.
type transport struct {
	edge       *httpx.Transport
	org        *url.URL // the org URL: the only scheme and host a link may name
	secrets    *httpx.Secrets
	headroom   float64 // negative: no pacing
	maxBackoff time.Duration
	sleep      func(ctx context.Context, d time.Duration) error
	now        func() time.Time
	log        *slog.Logger

	mu      sync.Mutex
	budgets map[string]budget // by bucketOf(path)
}

// budget is the last rate-limit state Okta reported for a bucket.
type budget struct {
	limit, remaining int
	resetAt          time.Time // on our clock
}

// newTransport builds the Okta layer and the edge under it for c, which
// withDefaults has filled in (so c.OrgURL parses).
func newTransport(base http.RoundTripper, c Config) *transport {
	org, _ := url.Parse(c.OrgURL)
	t := &transport{
		org:        org,
		secrets:    c.Secrets,
		headroom:   c.Headroom,
		maxBackoff: c.MaxBackoff,
		sleep:      c.Sleep,
		now:        c.Now,
		log:        c.Logger,
		budgets:    map[string]budget{},
	}
	maxBackoff := c.MaxBackoff
	t.edge = httpx.NewTransport(httpx.Policy{
		API:  "okta",
		Base: base,
		// The credential goes to the org's host alone, whatever URL the
		// SDK builds from an answer.
		Hosts:          []string{org.Host},
		AttemptTimeout: c.AttemptTimeout,
		Deadline:       c.Deadline,
		MaxRetries:     c.MaxRetries,
		Backoff: func(n int) time.Duration {
			return backoff.Exponential(n, baseBackoff, maxBackoff, backoff.UpperHalf(rand.Int64N))
		},
		Resendable: resendable,
		Classify:   t.classify,
		Operation:  operation,
		Secrets:    c.Secrets,
		Logger:     c.Logger,
		Sleep:      c.Sleep,
		Now:        c.Now,
	})
	return t
}

// RoundTrip paces req, then sends it through the edge.
func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.pace(req.Context(), bucketOf(req.URL.Path)); err != nil {
		return nil, err
	}
	if isTokenRequest(req) {
		// The SDK signs the assertion and puts it in the query string,
		// where any error quoting the URL would show it.
		t.secrets.Add(req.URL.Query().Get("client_assertion"))
	}
	resp, err := t.edge.RoundTrip(req)
	if err != nil {
		return nil, withoutEOF(err)
	}
	return resp, nil
}

// classify reads one Okta answer for the edge, and records its rate-limit
// headers for pacing.
func (t *transport) classify(req *http.Request, resp *http.Response, body []byte) httpx.Verdict {
	t.observe(bucketOf(req.URL.Path), resp)
	if err := checkLinks(t.org, resp.Header); err != nil {
		return httpx.Verdict{Reason: httpx.ReasonMalformed, Retry: true, Err: err}
	}
	switch code := resp.StatusCode; {
	case code == http.StatusTooManyRequests:
		// The SDK, left to read a final 429 itself, would lose Okta's
		// error: Err carries it instead.
		return httpx.Verdict{Reason: httpx.ReasonRateLimit, Retry: true, NotRun: true, RateLimit: true,
			Wait: t.rateLimitWait(resp), Err: rateLimitError(body)}
	case retryableStatus(code):
		// The SDK reads a final 5xx into Okta's error.
		return httpx.Verdict{Reason: httpx.ReasonServer, Retry: true}
	case code == http.StatusNoContent:
		// The edge lets a 204 through (a write may answer so), but every
		// Okta request teamsync sends answers with JSON: the SDK would
		// read "no content" as no group, or a page with no members.
		return httpx.Verdict{Reason: httpx.ReasonMalformed, Retry: true,
			Err: errors.New("HTTP 204 with no content, where Okta answers with JSON")}
	case code >= 200 && code < 300:
		if ct := resp.Header.Get("Content-Type"); strings.Contains(ct, "application/xml") {
			// The edge refuses a type that is not JSON, but the SDK picks
			// its decoder by substring, XML first: "application/xml+json"
			// or a parameter naming application/xml has a JSON body read
			// as XML, which finds nothing in it and reports no error.
			return httpx.Verdict{Reason: httpx.ReasonMalformed, Retry: true,
				Err: fmt.Errorf("HTTP %d with Content-Type %q, which the Okta SDK reads as XML", code, ct)}
		}
		if err := checkShape(req, body); err != nil {
			return httpx.Verdict{Reason: httpx.ReasonMalformed, Retry: true, Err: err}
		}
		if isTokenRequest(req) {
			t.addAccessToken(body)
		}
	}
	return httpx.Verdict{}
}

// checkShape refuses a 2xx answer that is not JSON, or a listing that is
// not a JSON array: decoded by the SDK, the first would fail with the
// SDK's words and the second could read as an empty page. Empty and null
// answers are left to the edge, which refuses them for every API.
func checkShape(req *http.Request, body []byte) error {
	b := bytes.TrimSpace(body)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	if !json.Valid(b) {
		return errors.New("the answer is not valid JSON")
	}
	if isListing(req) && b[0] != '[' {
		return errors.New("the answer is not a JSON array of items")
	}
	return nil
}

// isListing reports whether req lists groups, a group's members or the
// org's users, whose answers are JSON arrays.
func isListing(req *http.Request) bool {
	switch b := bucketOf(req.URL.Path); b {
	case "/api/v1/groups", "/api/v1/groups/{id}/users", "/api/v1/users":
		return req.Method == http.MethodGet
	}
	return false
}

// addAccessToken adds the access token in a token answer to the secrets.
func (t *transport) addAccessToken(body []byte) {
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if json.Unmarshal(body, &tok) == nil {
		t.secrets.Add(tok.AccessToken)
	}
}

// resendable reports whether req is harmless to send twice: every read,
// and the OAuth token request, which only mints a token.
func resendable(req *http.Request) bool {
	return req.Method == http.MethodGet || req.Method == http.MethodHead || isTokenRequest(req)
}

func isTokenRequest(req *http.Request) bool {
	return req.Method == http.MethodPost && req.URL.Path == tokenPath
}

// operation names req in logs and errors by method and path shape, so
// one group's read is named like every other's: "GET
// /api/v1/groups/{id}/users".
func operation(req *http.Request) string {
	return req.Method + " " + bucketOf(req.URL.Path)
}

// withoutEOF returns err, but with any io.EOF in it hidden: the SDK
// retries an error that is io.EOF without limit.
func withoutEOF(err error) error {
	if !errors.Is(err, io.EOF) {
		return err
	}
	var he *httpx.Error
	if errors.As(err, &he) {
		c := *he
		c.Err = eofHidden{he.Err}
		return &c
	}
	return eofHidden{err}
}

// eofHidden reads as its error but does not unwrap to it.
type eofHidden struct{ err error }

func (e eofHidden) Error() string { return e.err.Error() }

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
// second, as Okta advises, capped by maxBackoff; 0 (the edge's backoff)
// when the headers do not say.
func (t *transport) rateLimitWait(resp *http.Response) time.Duration {
	at, ok := t.resetAt(resp.Header)
	if !ok {
		return 0
	}
	d := at.Sub(t.now())
	if d < 0 {
		return 0
	}
	return min(d+time.Second, t.maxBackoff)
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusInternalServerError, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// rateLimitError reads Okta's error out of a 429's body.
func rateLimitError(body []byte) *APIError {
	e := &APIError{Status: http.StatusTooManyRequests}
	var b struct {
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
	}
	if json.Unmarshal(body, &b) == nil {
		e.Code, e.Summary = b.ErrorCode, b.ErrorSummary
	}
	if e.Code == "" {
		e.Code = "E0000047"
	}
	if e.Summary == "" {
		e.Summary = "API call exceeded rate limit due to too many requests."
	}
	return e
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
