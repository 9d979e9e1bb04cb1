package httpx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Transport is the http.RoundTripper every API client sends through. It
// is safe for concurrent use. Build one per API per run: once a request
// has given up because the API stopped answering, the Transport fails
// every later request at once (ReasonUnresponsive), so a run facing a hung
// API fails within one Deadline instead of one per request.
type Transport struct {
	p     Policy
	down  atomic.Pointer[Error] // set: the breaker is open
	fails atomic.Int32          // requests in a row that failed
}

// NewTransport returns a Transport for p.
func NewTransport(p Policy) *Transport {
	return &Transport{p: p.withDefaults()}
}

// Client returns an *http.Client over t. Redirects never reach it: the
// Transport turns them into errors.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// Secrets returns the redaction set t uses (nil when it has none).
func (t *Transport) Secrets() *Secrets { return t.p.Secrets }

// request is what one RoundTrip knows across its attempts.
type request struct {
	req        *http.Request
	op         string
	body       []byte
	resendable bool
	start      time.Time
	rateWaited time.Duration // waits a 429 asked for; not held against the deadline
	answered   bool          // some attempt got an HTTP answer
}

// spent is the time held against the request's deadline.
func (t *Transport) spent(r *request) time.Duration {
	return t.p.Now().Sub(r.start) - r.rateWaited
}

// RoundTrip sends req under the policy's rules. It returns either a
// response whose body is fully read (and may be read again by the caller)
// or an error: the caller's context error as it is, else an *Error.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	p := &t.p
	r := &request{req: req, op: p.Secrets.Redact(p.Operation(req)), resendable: p.Resendable(req), start: p.Now()}
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return nil, t.fail(r, 0, ReasonConnection, fmt.Errorf("read request body: %w", err), false)
		}
		r.body = b
	}
	if err := CheckURL(req.URL.String()); err != nil {
		return nil, t.fail(r, 0, ReasonURL, fmt.Errorf("not sent: %s://%s %w", req.URL.Scheme, req.URL.Host, err), false)
	}
	if !t.allowedHost(req.URL.Host) {
		return nil, t.fail(r, 0, ReasonURL, fmt.Errorf("not sent: %s is not a host teamsync was configured to send this API's credentials to", req.URL.Host), false)
	}
	if d := t.down.Load(); d != nil {
		return nil, t.fail(r, 0, ReasonUnresponsive, fmt.Errorf("not sent: %s %s earlier in this run (%s)", p.API, d.breakerWhy(), d.Reason), false)
	}
	attempts := p.MaxRetries + 1
	for n := 1; ; n++ {
		a := t.attempt(r)
		if a.ctxErr != nil {
			if a.sent && !r.resendable {
				// The caller gave up while a write was on its way: it may
				// have run, and the caller must look before it decides.
				return nil, t.fail(r, n, ReasonCancelled, a.ctxErr, true)
			}
			return nil, a.ctxErr
		}
		if a.reason == "" {
			t.fails.Store(0)
			return a.resp, nil
		}
		safe := r.resendable || a.notRun
		retry := a.retry && safe && n < attempts
		wait := a.wait
		if retry && wait == 0 {
			wait = p.Backoff(n - 1)
		}
		var tooLong string
		if retry {
			tooLong = t.fits(req.Context(), r, a, wait)
		}
		if !retry || tooLong != "" {
			if a.answer {
				t.failed(nil, a.reason)
				return a.resp, nil // the API's own answer, for its SDK to read
			}
			mayHaveRun := !a.notRun && !a.unsent
			heldBack := a.retry && !safe && n < attempts
			switch {
			case heldBack:
				a.err = fmt.Errorf("%w; not sent again, since it may have run", a.err)
			case tooLong != "" && a.reason != ReasonTimeout: // a timeout's text names the deadline already
				a.err = fmt.Errorf("%w; not retried: waiting %s more %s", a.err, wait.Round(time.Millisecond), tooLong)
			}
			if a.noTime {
				n-- // that last "attempt" was never sent
			}
			e := t.fail(r, n, a.reason, a.err, mayHaveRun)
			// The breaker opens when the edge gave up on an API that
			// gave no answer at all, not when a write that may have run
			// could not be sent again: one slow write is no sign that
			// the API stopped answering, and the read that checks it
			// will open the breaker if it did.
			if !r.answered && !heldBack && (a.reason == ReasonTimeout || a.reason == ReasonConnection) {
				e.silent = true
				t.down.CompareAndSwap(nil, e)
			}
			t.failed(e, a.reason)
			return nil, e
		}
		p.Logger.LogAttrs(req.Context(), slog.LevelWarn, "retrying request",
			slog.String("api", p.API), slog.String("operation", r.op),
			slog.String("attempt", strconv.Itoa(n+1)+"/"+strconv.Itoa(attempts)),
			slog.String("reason", a.reason), slog.Duration("wait", wait),
			slog.String("error", p.Secrets.Clip(a.err.Error(), 300)))
		if err := t.sleep(req.Context(), r, wait, a.rateLimit); err != nil {
			return nil, err
		}
	}
}

// failed counts a request that failed; once BreakAfter have failed in a
// row the breaker opens with e (or, for an answer handed back to the SDK,
// an error naming its reason). Requests that were refused for their own
// sake (a 4xx, a redirect) say nothing about the API's health and are not
// counted.
func (t *Transport) failed(e *Error, reason string) {
	switch reason {
	case ReasonTimeout, ReasonConnection, ReasonServer, ReasonRateLimit, ReasonMalformed:
	default:
		if e == nil || e.MayHaveRun || !strings.HasPrefix(reason, "5") {
			return
		}
	}
	if n := t.fails.Add(1); int(n) >= t.p.BreakAfter {
		if e == nil {
			e = &Error{API: t.p.API, Reason: reason, secrets: t.p.Secrets}
		}
		e.streak = int(n)
		t.down.CompareAndSwap(nil, e)
	}
}

// allowedHost reports whether host is one the policy may send to.
func (t *Transport) allowedHost(host string) bool {
	if len(t.p.Hosts) == 0 {
		return true
	}
	for _, h := range t.p.Hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// fits reports whether waiting d before the next attempt leaves that
// attempt time: within the request's deadline (or, for a rate-limit wait,
// within MaxRateLimitWait) and before the context's own deadline. It
// returns "" when it does, else why not, for the error.
func (t *Transport) fits(ctx context.Context, r *request, a outcome, d time.Duration) string {
	if a.rateLimit {
		if r.rateWaited+d > t.p.MaxRateLimitWait {
			return fmt.Sprintf("would pass the %s allowed for rate-limit waits (waited %s)", t.p.MaxRateLimitWait, r.rateWaited)
		}
	} else if t.spent(r)+d >= t.p.Deadline {
		return fmt.Sprintf("would pass the request's %s deadline", t.p.Deadline)
	}
	if dl, ok := ctx.Deadline(); ok && t.p.Now().Add(d).After(dl) {
		return "would pass the caller's deadline"
	}
	return ""
}

func (t *Transport) sleep(ctx context.Context, r *request, d time.Duration, rateLimit bool) error {
	if err := t.p.Sleep(ctx, d); err != nil {
		return err
	}
	if rateLimit {
		r.rateWaited += d
	}
	return nil
}

// fail builds the request's final error.
func (t *Transport) fail(r *request, attempts int, reason string, err error, mayHaveRun bool) *Error {
	return &Error{
		API: t.p.API, Operation: r.op, Reason: reason, Attempts: attempts,
		Elapsed: t.p.Now().Sub(r.start), MayHaveRun: mayHaveRun, Err: err, secrets: t.p.Secrets,
	}
}

// outcome is one attempt as the retry loop sees it.
type outcome struct {
	resp      *http.Response // the answer, body read and restored; nil without one
	reason    string         // "" when resp is the result
	answer    bool           // when not retried, resp is the result after all
	err       error          // why the attempt failed
	retry     bool
	notRun    bool // provably not acted on
	unsent    bool // never reached the API (a refused connection)
	rateLimit bool
	wait      time.Duration
	ctxErr    error // the caller's context ended
	sent      bool  // the request left before the caller's context ended
	noTime    bool  // not sent: the deadline had no time left for it
}

// attempt sends the request once under the attempt timeout and judges the
// answer.
func (t *Transport) attempt(r *request) outcome {
	p := &t.p
	ctx := r.req.Context()
	limit := min(p.AttemptTimeout, p.Deadline-t.spent(r))
	if limit <= 0 {
		return outcome{reason: ReasonTimeout, noTime: true, err: fmt.Errorf("no time left within the %s deadline", p.Deadline)}
	}
	actx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	req := r.req.Clone(actx)
	if r.body != nil {
		req.Body = io.NopCloser(bytes.NewReader(r.body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(r.body)), nil }
		req.ContentLength = int64(len(r.body))
	}
	resp, err := p.Base.RoundTrip(req)
	var body []byte
	if err == nil {
		body, err = io.ReadAll(io.LimitReader(resp.Body, p.MaxBody+1))
		_ = resp.Body.Close()
		if err == nil && int64(len(body)) > p.MaxBody {
			return outcome{reason: ReasonMalformed, err: fmt.Errorf("answer is larger than %d bytes", p.MaxBody)}
		}
	}
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return outcome{ctxErr: ctx.Err(), sent: !isDialError(err)}
		case errors.Is(actx.Err(), context.DeadlineExceeded):
			return outcome{reason: ReasonTimeout, retry: true, err: fmt.Errorf("timed out: no complete answer in time (each attempt may take %s, the request %s)", p.AttemptTimeout, p.Deadline)}
		case isDialError(err):
			return outcome{reason: ReasonConnection, retry: true, notRun: true, unsent: true, err: fmt.Errorf("connect: %w", unwrapURL(err))}
		}
		return outcome{reason: ReasonConnection, retry: true, err: unwrapURL(err)}
	}
	r.answered = true
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 && resp.StatusCode != http.StatusNotModified {
		return outcome{reason: ReasonRedirect, notRun: true, err: redirectError(resp)}
	}
	v := p.Classify(r.req, resp, body)
	if v.Reason == "" && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		v = checkJSON(resp, body)
	}
	if v.Reason == "" {
		return outcome{resp: resp}
	}
	o := outcome{resp: resp, reason: v.Reason, retry: v.Retry, notRun: v.NotRun, rateLimit: v.RateLimit, wait: v.Wait, err: v.Err}
	if o.err == nil {
		// No error of the API's own: once not retried, the answer goes
		// back to the SDK as it came.
		o.answer, o.err = true, fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return o
}

// checkJSON is the verdict on a 2xx answer that its API's Classify
// accepted: every request teamsync makes is answered with JSON, so a body
// that is empty (a 204 too), null, or declared as anything else is
// malformed. (SDKs read some other content types, and no content, as
// "nothing", which would make a page look empty.)
func checkJSON(resp *http.Response, body []byte) Verdict {
	ct := resp.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return Verdict{Reason: ReasonMalformed, Retry: true, Err: fmt.Errorf("HTTP %d with Content-Type %q, not JSON", resp.StatusCode, ct)}
	}
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || bytes.Equal(trimmed, []byte("null")) {
		return Verdict{Reason: ReasonMalformed, Retry: true, Err: fmt.Errorf("HTTP %d with an empty or null body", resp.StatusCode)}
	}
	return Verdict{}
}

func redirectError(resp *http.Response) error {
	where := "elsewhere"
	if loc, err := resp.Location(); err == nil {
		where = loc.Scheme + "://" + loc.Host + loc.Path
	}
	return fmt.Errorf("HTTP %d redirect to %s refused: teamsync never follows an API's redirects, since credentials would travel with them", resp.StatusCode, where)
}

// isDialError reports whether err happened before the request was sent
// (connection refused, no route, DNS), so sending again cannot duplicate it.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// unwrapURL drops a *url.Error's wrapping: it quotes the whole URL,
// query string included, where a credential can stand.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
