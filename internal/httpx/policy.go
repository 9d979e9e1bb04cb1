package httpx

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/teamsync/teamsync/internal/backoff"
)

// Defaults for zero Policy fields.
const (
	// DefaultAttemptTimeout bounds one attempt, from sending the request to
	// the last byte of the answer.
	DefaultAttemptTimeout = 30 * time.Second
	// DefaultDeadline bounds one request, all its attempts and the waits
	// between them, so a run facing an API that does not answer fails
	// within it. Waits a 429 asked for are bounded by MaxRateLimitWait.
	DefaultDeadline = 2 * time.Minute
	// DefaultMaxRetries is how often one request is sent again.
	DefaultMaxRetries = 4
	// DefaultMaxRateLimitWait bounds the time one request may wait for
	// rate-limit windows to reset: Buildkite's windows last five minutes.
	DefaultMaxRateLimitWait = 5 * time.Minute
	// DefaultMaxBody bounds the size of an answer: a page of a few hundred
	// members is well under a megabyte, and every answer is held in
	// memory while it is read.
	DefaultMaxBody = 8 << 20
	// DefaultBreakAfter is how many requests in a row may fail before the
	// Transport stops sending for the rest of the run.
	DefaultBreakAfter = 3
)

// Reasons an attempt failed, as they appear in logs and errors.
const (
	ReasonTimeout      = "timeout"      // no complete answer within the attempt timeout
	ReasonConnection   = "connection"   // refused, reset or dropped
	ReasonRateLimit    = "429"          // the API refused for its rate limit
	ReasonServer       = "5xx"          // the API failed
	ReasonMalformed    = "malformed"    // an empty or null answer, or one the API's Classify refused
	ReasonRedirect     = "redirect"     // the API answered with a redirect
	ReasonUnresponsive = "unresponsive" // not sent: the API stopped answering earlier in the run
	ReasonURL          = "url"          // not sent: the URL may not carry a credential
	ReasonCancelled    = "cancelled"    // the caller gave up while a write was on its way
)

// Verdict is what an API's Classify makes of one answer.
type Verdict struct {
	// Reason, when set, says the attempt failed (ReasonRateLimit,
	// ReasonServer, ReasonMalformed or an API's own word such as "busy").
	Reason string
	// Retry says sending the request again may succeed.
	Retry bool
	// NotRun says the API provably did not act on the request (a 429, a
	// "busy, try again"), so even a write may be sent again.
	NotRun bool
	// RateLimit says Wait is a rate-limit wait, bounded by MaxRateLimitWait
	// rather than by the request's deadline.
	RateLimit bool
	// Wait is how long the API asked us to wait before retrying; 0 means
	// the policy's backoff.
	Wait time.Duration
	// Err, when set, is returned instead of the answer once the request is
	// not retried (again). When nil the answer goes back to the caller as
	// it came, for the API's SDK to read.
	Err error
}

// Policy configures a Transport for one API. Only API is required.
type Policy struct {
	// API names the API in logs and errors: buildkite, okta or google.
	API string
	// Base sends one attempt; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Hosts, when not empty, are the only hosts (host or host:port, as
	// in a URL) requests may go to: a request for any other is refused
	// unsent, so a link or redirect built from an answer cannot carry a
	// credential elsewhere.
	Hosts []string
	// BreakAfter is how many requests in a row may fail (given up after
	// their retries, or refused with a 5xx) before every later request
	// fails at once; 0 means DefaultBreakAfter. A request that got no
	// answer at all trips the breaker by itself.
	BreakAfter int
	// AttemptTimeout bounds one attempt; 0 means DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// Deadline bounds one request with its retries and backoff waits; 0
	// means DefaultDeadline.
	Deadline time.Duration
	// MaxRetries is how often a request is sent again: 0 means
	// DefaultMaxRetries, negative means never.
	MaxRetries int
	// MaxRateLimitWait bounds the rate-limit waits of one request; 0 means
	// DefaultMaxRateLimitWait.
	MaxRateLimitWait time.Duration
	// MaxBody bounds an answer's size; 0 means DefaultMaxBody.
	MaxBody int64
	// Backoff is the wait before retry number n (0 for the first) when
	// the API gave none; nil means 500ms doubling to 30s, jittered.
	Backoff func(n int) time.Duration
	// Resendable reports whether sending req twice is harmless (a read, a
	// token request). nil means GET and HEAD only. A request that is not
	// resendable is retried only after a failure that proves it did not
	// run: a refused connection, or a Verdict with NotRun.
	Resendable func(req *http.Request) bool
	// Classify reads one answer of any status. nil means: 429 is a rate
	// limit (Retry-After), 5xx a server failure, anything else a result.
	// It is called for every attempt, so an API can also read its
	// rate-limit headers here.
	Classify func(req *http.Request, resp *http.Response, body []byte) Verdict
	// Operation names req in logs and errors; nil means method and path.
	Operation func(req *http.Request) string
	// Secrets redacts what reaches logs and errors; nil redacts only
	// credential shapes.
	Secrets *Secrets
	// Logger receives one line per retry; nil discards.
	Logger *slog.Logger
	// Sleep and Now are the clock; nil means the real one.
	Sleep func(ctx context.Context, d time.Duration) error
	Now   func() time.Time
}

// withDefaults fills zero fields.
func (p Policy) withDefaults() Policy {
	if p.Base == nil {
		p.Base = http.DefaultTransport
	}
	if p.AttemptTimeout <= 0 {
		p.AttemptTimeout = DefaultAttemptTimeout
	}
	if p.Deadline <= 0 {
		p.Deadline = DefaultDeadline
	}
	p.MaxRetries = backoff.Retries(p.MaxRetries, DefaultMaxRetries)
	if p.MaxRateLimitWait <= 0 {
		p.MaxRateLimitWait = DefaultMaxRateLimitWait
	}
	if p.MaxBody <= 0 {
		p.MaxBody = DefaultMaxBody
	}
	if p.BreakAfter <= 0 {
		p.BreakAfter = DefaultBreakAfter
	}
	if p.Backoff == nil {
		p.Backoff = func(n int) time.Duration {
			return backoff.Exponential(n, 500*time.Millisecond, 30*time.Second, backoff.UpperHalf(rand.Int64N))
		}
	}
	if p.Resendable == nil {
		p.Resendable = func(r *http.Request) bool { return r.Method == http.MethodGet || r.Method == http.MethodHead }
	}
	if p.Classify == nil {
		p.Classify = DefaultClassify
	}
	if p.Operation == nil {
		p.Operation = func(r *http.Request) string { return r.Method + " " + r.URL.Path }
	}
	if p.Logger == nil {
		p.Logger = slog.New(slog.DiscardHandler)
	}
	if p.Sleep == nil {
		p.Sleep = backoff.Sleep
	}
	if p.Now == nil {
		p.Now = time.Now
	}
	return p
}

// DefaultClassify is the Classify of an API with no rules of its own: a
// 429 is a rate limit to wait out (Retry-After, in seconds, when given), a
// 5xx a server failure worth retrying, anything else the result.
func DefaultClassify(_ *http.Request, resp *http.Response, _ []byte) Verdict {
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return Verdict{Reason: ReasonRateLimit, Retry: true, NotRun: true, RateLimit: true, Wait: RetryAfter(resp.Header)}
	case resp.StatusCode >= 500:
		return Verdict{Reason: ReasonServer, Retry: true}
	}
	return Verdict{}
}

// RetryAfter reads a Retry-After header given in seconds; 0 when absent
// or not a number of seconds.
func RetryAfter(h http.Header) time.Duration {
	var n int64
	v := h.Get("Retry-After")
	if v == "" || len(v) > 9 {
		return 0
	}
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return time.Duration(n) * time.Second
}
