// Package buildkite is teamsync's Buildkite GraphQL client. It reads the
// state the planner diffs against (the managed teams with all their
// members, pending invitations) into a model.Org, looks up the
// organization membership of the people a run will place, reads every
// organization member when offboarding or an access review needs them
// (model.People), and makes the writes that apply a plan, offboarding's
// removals from the organization and revoked invitations among them.
//
// Every request goes through the edge transport of internal/httpx, which
// owns timeouts, retries, redirects, redaction and the breaker. This
// package keeps only what is Buildkite's own: how its answers read
// (Buildkite's Classify: rate limits, the "currently busy" answer, HTTP
// and GraphQL errors, the shape of a GraphQL answer), which requests may be
// sent twice (queries, never mutations), pacing against the two rate-limit
// windows (the organization's and the token user's) by what each request
// may cost, and what to read after a write whose answer was lost. Besides
// the full read it reads what a caller that remembers the organization
// needs to find what changed: the audit log and the teams' fingerprints.
// Requests are sent with github.com/machinebox/graphql over that transport,
// and their data decoded from the answer the transport read (machinebox
// reads only the first GraphQL error and ignores HTTP status); GraphQL
// stays inside this package.
package buildkite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/machinebox/graphql"

	"github.com/teamsync/teamsync/internal/backoff"
	"github.com/teamsync/teamsync/internal/httpx"
)

// Defaults for zero Config fields.
const (
	DefaultURL       = "https://graphql.buildkite.com/v1"
	DefaultUserAgent = "teamsync/dev"
	DefaultPageSize  = 500 // the documented page maximum
)

// Config configures a Client. Organization and Token are required.
type Config struct {
	// URL is the GraphQL endpoint; DefaultURL when empty. It must be https,
	// or http to a loopback host (httpx.CheckURL).
	URL string
	// Organization is the organization slug.
	Organization string
	// Token is the API access token (GraphQL access enabled). It is added
	// to Secrets, so no error or log line of the client can show it.
	Token string
	// UserAgent is sent on every request, e.g. "teamsync/1.2.3".
	UserAgent string
	// HTTPClient supplies the transport each attempt is sent with (nil:
	// http.DefaultTransport), for example one that counts requests. Only
	// its Transport is used: set AttemptTimeout and Deadline, not Timeout.
	HTTPClient *http.Client
	// Logger receives retry notices and read warnings; nil discards them.
	Logger *slog.Logger
	// Secrets is the run's set of credentials that errors and log lines
	// are redacted with; nil means the client makes its own.
	Secrets *httpx.Secrets
	// MaxRetries is how often one request is sent again: 0 means
	// httpx.DefaultMaxRetries, negative means never.
	MaxRetries int
	// AttemptTimeout bounds one attempt; 0 means httpx.DefaultAttemptTimeout.
	AttemptTimeout time.Duration
	// Deadline bounds one request with all its attempts and backoff waits;
	// 0 means httpx.DefaultDeadline.
	Deadline time.Duration
	// MaxWait bounds the rate-limit waits of one request: the waits its 429
	// answers ask for, together, and apart from them the wait pacing asks
	// for before it is sent. 0 means httpx.DefaultMaxRateLimitWait, one
	// rate-limit window.
	MaxWait time.Duration
	// PageSize is the `first` of paged reads, at most 500; 0 means
	// DefaultPageSize.
	PageSize int
	// Headroom is the share (a fraction below 1) of the organization's
	// GraphQL budget left for its other API clients: a request whose
	// estimated cost does not fit what is left of the organization's
	// window less the headroom, or of the token user's window, waits for
	// that window to reset. 0 means DefaultHeadroom; negative turns pacing
	// off, on both windows.
	Headroom float64
	// Sleep waits between retries and for pacing; nil means a real,
	// ctx-aware wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock of pacing and of the request deadline; nil means
	// time.Now.
	Now func() time.Time

	// backoff replaces the edge's jittered backoff, so tests can make
	// waits exact.
	backoff func(retry int) time.Duration
}

// Client talks to one Buildkite organization. It is safe for concurrent
// use. Build one per run: its edge transport stops sending once Buildkite
// has stopped answering.
type Client struct {
	gql      *graphql.Client
	org      string
	pageSize int
	logger   *slog.Logger
	secrets  *httpx.Secrets
	pacer    *pacer // nil: no pacing
	now      func() time.Time
	sleep    func(ctx context.Context, d time.Duration) error
	// points adds up RateLimit-Complexity-Actual over every answer.
	points atomic.Int64
}

// New builds a Client from cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Organization == "" {
		return nil, errors.New("buildkite: organization is required")
	}
	if cfg.Token == "" {
		return nil, errors.New("buildkite: token is required")
	}
	endpoint := orDefault(cfg.URL, DefaultURL)
	if err := httpx.CheckURL(endpoint); err != nil {
		return nil, fmt.Errorf("buildkite: GraphQL URL %w", err)
	}
	if cfg.PageSize > DefaultPageSize || cfg.PageSize < 0 {
		return nil, fmt.Errorf("buildkite: page size %d is outside 1..%d", cfg.PageSize, DefaultPageSize)
	}
	if cfg.Headroom >= 1 {
		return nil, fmt.Errorf("buildkite: rate-limit headroom %g is not below 1 (it is a fraction of the budget)", cfg.Headroom)
	}
	var base http.RoundTripper = http.DefaultTransport
	if cfg.HTTPClient != nil {
		if cfg.HTTPClient.Timeout != 0 {
			return nil, errors.New("buildkite: HTTPClient.Timeout is not used: set AttemptTimeout and Deadline")
		}
		if cfg.HTTPClient.Transport != nil {
			base = cfg.HTTPClient.Transport
		}
	}
	c := &Client{
		org:      cfg.Organization,
		pageSize: orDefault(cfg.PageSize, DefaultPageSize),
		logger:   cfg.Logger,
		secrets:  cfg.Secrets,
		now:      cfg.Now,
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.secrets == nil {
		c.secrets = httpx.NewSecrets()
	}
	c.secrets.Add(cfg.Token)
	if c.now == nil {
		c.now = time.Now
	}
	c.sleep = cfg.Sleep
	if c.sleep == nil {
		c.sleep = backoff.Sleep
	}
	if h := orDefault(cfg.Headroom, DefaultHeadroom); h > 0 {
		c.pacer = &pacer{headroom: h}
	}

	base = &authTransport{token: cfg.Token, base: base}
	base = &userAgentTransport{agent: orDefault(cfg.UserAgent, DefaultUserAgent), base: base}
	u, _ := url.Parse(endpoint) // CheckURL parsed it above
	var rt http.RoundTripper = httpx.NewTransport(httpx.Policy{
		API:              "buildkite",
		Base:             base,
		Hosts:            []string{u.Host},
		MaxBody:          maxAnswer,
		AttemptTimeout:   cfg.AttemptTimeout,
		Deadline:         cfg.Deadline,
		MaxRetries:       cfg.MaxRetries,
		MaxRateLimitWait: cfg.MaxWait,
		Backoff:          cfg.backoff,
		Resendable:       resendable,
		Classify:         c.classifyAnswer,
		Operation:        operationName,
		Secrets:          c.secrets,
		Logger:           c.logger,
		Sleep:            cfg.Sleep,
		Now:              cfg.Now,
	})
	if c.pacer != nil {
		rt = &paceTransport{next: rt, pacer: c.pacer, now: c.now, sleep: c.sleep, logger: c.logger,
			maxWait: orDefault(cfg.MaxWait, httpx.DefaultMaxRateLimitWait)}
	}
	// Status handling, retries, rate-limit waits and the check and
	// decoding of the answer all happen in the transport under
	// machinebox/graphql (see handOver). Its Log hook stays at its silent
	// default: it would print request headers and whole bodies.
	c.gql = graphql.NewClient(endpoint, graphql.WithHTTPClient(&http.Client{Transport: &handOver{next: rt}}))
	return c, nil
}

// maxAnswer bounds one GraphQL answer: a team batch is sized to stay
// under Buildkite's complexity cap, which keeps it to a few megabytes.
const maxAnswer = 16 << 20

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// call is what one GraphQL request tells the layers below it through its
// context: its operation, whether it is safe to send twice, its estimated
// cost for pacing, and, from Buildkite's Classify, the decoded answer of
// the attempt that ended it.
type call struct {
	op       string
	mutation bool
	// cost is the request's requested complexity by Buildkite's model,
	// which bounds what it can be charged; the reads size their pages to
	// what they expect, so that it is close to that too.
	cost   int
	answer *answer
}

type callKey struct{}

type expectedCostKey struct{}

// withExpectedCost tells pacing that the requests made with ctx are
// expected to cost at most n, for a read whose requested complexity is a
// loose bound (see readInvitations). Should one cost more, the windows go
// that much further down, which they allow, and the next request waits.
func withExpectedCost(ctx context.Context, n int) context.Context {
	return context.WithValue(ctx, expectedCostKey{}, n)
}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// run sends one operation and decodes its data into out. It returns the
// answer's GraphQL errors (out is still filled for the parts that
// succeeded) and, if there were any or the request failed, an error:
// *GraphQLError for the first GraphQL error, a context error as it is,
// else the edge's *httpx.Error (wrapping *HTTPError for a final non-2xx
// answer). Data that does not have the shape out asks for is an error,
// never a partial out.
func (c *Client) run(ctx context.Context, op operation, vars map[string]any, out any) ([]gqlError, error) {
	cl := &call{op: op.label(), mutation: op.mutation}
	if cost, err := estimateComplexity(op.doc, vars); err == nil {
		cl.cost = cost
	} else {
		c.logger.Debug("buildkite: cannot estimate the cost of a request; it is paced as free", "operation", cl.op, "error", err)
	}
	if expected, ok := ctx.Value(expectedCostKey{}).(int); ok {
		cl.cost = min(cl.cost, expected)
	}
	err := c.post(context.WithValue(ctx, callKey{}, cl), op.doc, vars, out)
	a := cl.answer
	switch {
	case a != nil && len(a.errs) > 0:
		// machinebox keeps only the first message; Classify kept them all,
		// with their paths.
		first := a.errs[0]
		return a.errs, &GraphQLError{Message: first.Message, Path: first.Path}
	case err == nil && a == nil:
		return nil, fmt.Errorf("%s: the answer was not read as GraphQL", op.label())
	case err == nil:
		return nil, nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		// The edge's own error; *url.Error would quote the URL.
		return nil, ue.Err
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	// The edge has checked the answer is a GraphQL object with data or
	// errors; what is left is data that does not have the shape out asks
	// for, which is never read as a partial out.
	return nil, fmt.Errorf("%s: %w", op.label(), malformed("data: %s", err))
}

// graphResponse is what post decodes an answer's data through. Errors were
// read by Classify.
type graphResponse struct {
	Data any
}

// post sends one GraphQL request with machinebox/graphql and decodes the
// answer's data into out. The edge has read the answer whole and Classify
// has checked it and kept it in the call (ctx's); machinebox is handed an
// empty object in its place (handOver), so an answer of megabytes is in
// memory once, besides out, rather than in machinebox's buffer, that
// buffer as a string and the log line it formats from it whether or not
// anything logs.
func (c *Client) post(ctx context.Context, doc string, vars map[string]any, out any) error {
	req := graphql.NewRequest(doc)
	for k, v := range vars {
		req.Var(k, v)
	}
	if err := c.gql.Run(ctx, req, nil); err != nil {
		return err
	}
	if cl := callFrom(ctx); cl != nil && cl.answer != nil && cl.answer.hasData() && out != nil {
		return json.Unmarshal(cl.answer.body, &graphResponse{Data: out})
	}
	return nil
}

// handOver is the top transport layer, the one machinebox/graphql calls:
// once Classify has read a call's answer, it gives machinebox an empty
// GraphQL object instead of the answer's bytes, which post decodes itself.
type handOver struct{ next http.RoundTripper }

func (h *handOver) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := h.next.RoundTrip(req)
	if err == nil {
		if cl := callFrom(req.Context()); cl != nil && cl.answer != nil {
			_ = resp.Body.Close()
			resp.Body = io.NopCloser(strings.NewReader("{}"))
			resp.ContentLength = 2
		}
	}
	return resp, err
}

// Points is the complexity Buildkite has charged this client's requests so
// far (the sum of their RateLimit-Complexity-Actual headers, retries
// included): what a run spent of the rate-limit windows.
func (c *Client) Points() int { return int(c.points.Load()) }

// Pace returns when one more write would not be held back by the
// rate-limit windows, waiting for a window to reset if need be (and
// logging why, with progress, such as "write 15/200"), or with ctx's
// error. The applier calls it before each change and before that
// change's own deadline starts, so that waiting for a window neither eats
// into a write's time nor outlasts a shutdown.
func (c *Client) Pace(ctx context.Context, progress string) error {
	if c.pacer == nil {
		return ctx.Err()
	}
	ctx = withProgress(ctx, progress)
	for {
		h := c.pacer.peek(writeCost(), c.now())
		if h.wait <= 0 {
			return ctx.Err()
		}
		attrs := append([]slog.Attr{slog.String("operation", "write")}, waitAttrs(ctx, writeCost(), h)...)
		if err := waitForReset(ctx, c.logger, c.sleep, attrs, h.wait); err != nil {
			return err
		}
		c.pacer.waited(h)
	}
}
