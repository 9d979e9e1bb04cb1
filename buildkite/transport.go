package buildkite

import (
	"context"
	"log/slog"
	"net/http"
	"time"
)

// authTransport adds the bearer token to every attempt. It is the only
// place the token is used; it sits below the edge, which refuses
// redirects, so the token goes to the configured URL only.
type authTransport struct {
	token string
	base  http.RoundTripper
}

func (t *authTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("Authorization", "Bearer "+t.token)
	return t.base.RoundTrip(r)
}

// userAgentTransport sets the User-Agent header.
type userAgentTransport struct {
	agent string
	base  http.RoundTripper
}

func (t *userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set("User-Agent", t.agent)
	return t.base.RoundTrip(r)
}

// paceTransport holds a request back, before the edge sends it, while its
// estimated cost (see call.cost) does not fit what is left of a rate-limit
// window (see pacer), until that window resets. While it waits it logs
// why, for how long and how far the run has got. Pacing is a courtesy and
// a way to avoid 429s, not a limit: when the wait is longer than maxWait
// (all pacing waits of one request together) or would pass the caller's
// deadline, the request goes ahead rather than fail; a 429 that follows
// is waited out by the edge as any other.
type paceTransport struct {
	next    http.RoundTripper
	pacer   *pacer
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	maxWait time.Duration
	logger  *slog.Logger
}

func (t *paceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	cost := 0
	if c := callFrom(req.Context()); c != nil {
		cost = c.cost
	}
	if err := t.pace(req, cost); err != nil {
		return nil, err
	}
	defer t.pacer.release(cost)
	return t.next.RoundTrip(req)
}

// pace waits until the request is admitted, reserving its cost.
func (t *paceTransport) pace(req *http.Request, cost int) error {
	ctx := req.Context()
	var waited time.Duration
	for {
		h := t.pacer.admit(cost, t.now())
		if h.wait <= 0 {
			return nil
		}
		allowed := t.maxWait - waited
		if dl, ok := ctx.Deadline(); ok {
			allowed = min(allowed, time.Until(dl).Truncate(time.Second))
		}
		if h.wait > allowed {
			t.logger.LogAttrs(ctx, slog.LevelInfo, "buildkite: a rate-limit window has no room for this request, but the wait for its reset does not fit the call, so it goes ahead",
				append(holdAttrs(req, cost, h), slog.Duration("allowed", max(allowed, 0)))...)
			t.pacer.force(cost)
			return nil
		}
		if err := waitForReset(ctx, t.logger, t.sleep, holdAttrs(req, cost, h), h.wait); err != nil {
			return err
		}
		waited += h.wait
		t.pacer.waited(h)
	}
}

// waitForReset logs why a request or write waits and sleeps for the wait.
func waitForReset(ctx context.Context, log *slog.Logger, sleep func(context.Context, time.Duration) error, attrs []slog.Attr, d time.Duration) error {
	log.LogAttrs(ctx, slog.LevelInfo, "buildkite: waiting for the rate-limit window to reset", attrs...)
	return sleep(ctx, d)
}

// holdAttrs describe a hold for the log: the operation, what it may cost,
// the window that has no room and what was seen of it, the wait, and how
// far the run has got.
func holdAttrs(req *http.Request, cost int, h hold) []slog.Attr {
	attrs := []slog.Attr{slog.String("operation", operationName(req))}
	return append(attrs, waitAttrs(req.Context(), cost, h)...)
}

func waitAttrs(ctx context.Context, cost int, h hold) []slog.Attr {
	attrs := []slog.Attr{
		slog.String("window", h.window),
		slog.Int("cost", cost),
		slog.Int("remaining", h.seen.remaining),
		slog.Int("limit", h.seen.limit),
	}
	if h.kept > 0 {
		attrs = append(attrs, slog.Int("kept_for_others", h.kept))
	}
	if h.inflight > 0 {
		attrs = append(attrs, slog.Int("in_flight", h.inflight))
	}
	attrs = append(attrs, slog.Duration("wait", h.wait))
	if p := progressFrom(ctx); p != "" {
		attrs = append(attrs, slog.String("progress", p))
	}
	return attrs
}

type progressKey struct{}

// withProgress tells the pacing log line of the requests made with ctx how
// far the run has got, such as "read 120/250 teams".
func withProgress(ctx context.Context, progress string) context.Context {
	return context.WithValue(ctx, progressKey{}, progress)
}

func progressFrom(ctx context.Context) string {
	p, _ := ctx.Value(progressKey{}).(string)
	return p
}
