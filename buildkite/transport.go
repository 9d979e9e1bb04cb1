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

// paceTransport holds a request back, before the edge sends it, until the
// organization's rate-limit window resets when less than the headroom is
// left of it (see pacer). The headroom is a courtesy, not a limit: when the
// wait is longer than maxWait or would pass the caller's deadline, the
// request goes ahead and spends it rather than fail with budget left.
type paceTransport struct {
	next    http.RoundTripper
	pacer   *pacer
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	maxWait time.Duration
	logger  *slog.Logger
}

func (t *paceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if err := t.pace(req); err != nil {
		return nil, err
	}
	return t.next.RoundTrip(req)
}

func (t *paceTransport) pace(req *http.Request) error {
	ctx := req.Context()
	d, win := t.pacer.delay(t.now())
	if d <= 0 {
		return nil
	}
	allowed := t.maxWait
	if dl, ok := ctx.Deadline(); ok {
		allowed = min(allowed, time.Until(dl).Truncate(time.Second))
	}
	op := operationName(req)
	if d > allowed {
		t.logger.LogAttrs(ctx, slog.LevelInfo, "buildkite: rate-limit headroom reached; the wait for the reset does not fit this call, so it goes ahead",
			slog.String("operation", op), slog.Int("remaining", win.remaining),
			slog.Int("limit", win.limit), slog.Duration("wait", d), slog.Duration("allowed", max(allowed, 0)))
		return nil
	}
	t.logger.LogAttrs(ctx, slog.LevelInfo, "buildkite: pacing request to leave rate-limit headroom",
		slog.String("operation", op), slog.Int("remaining", win.remaining),
		slog.Int("limit", win.limit), slog.Duration("wait", d))
	return t.sleep(ctx, d)
}
