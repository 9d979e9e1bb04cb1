// Package buildkite is teamsync's Buildkite GraphQL client. It reads the
// state the planner diffs against (the managed teams with all their
// members, pending invitations) into a model.Org, looks up the
// organization membership of the people a run will place, and makes
// the writes that apply a plan. HTTP behaviour (auth,
// User-Agent, retries, rate limits) is composed as small RoundTripper
// layers under github.com/machinebox/graphql; GraphQL stays inside this
// package.
package buildkite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/machinebox/graphql"
	"github.com/teamsync/teamsync/internal/backoff"
)

// Defaults for zero Config fields.
const (
	DefaultURL            = "https://graphql.buildkite.com/v1"
	DefaultUserAgent      = "teamsync/dev"
	DefaultMaxRetries     = 5
	DefaultMaxWait        = 5 * time.Minute // one rate-limit window
	DefaultPageSize       = 500             // the documented page maximum
	DefaultAttemptTimeout = time.Minute     // per attempt
)

// Config configures a Client. Organization and Token are required.
type Config struct {
	// URL is the GraphQL endpoint; DefaultURL when empty.
	URL string
	// Organization is the organization slug.
	Organization string
	// Token is the API access token (GraphQL access enabled).
	Token string
	// UserAgent is sent on every request, e.g. "teamsync/1.2.3".
	UserAgent string
	// HTTPClient supplies the base transport (nil: http.DefaultTransport).
	// Its Timeout bounds each attempt rather than the whole call, so that
	// retry waits do not count against it; 0 means DefaultAttemptTimeout.
	HTTPClient *http.Client
	// Logger receives retry notices and read warnings; nil discards them.
	Logger *slog.Logger
	// MaxRetries is how often one request is sent again: 0 means
	// DefaultMaxRetries, negative means never.
	MaxRetries int
	// MaxWait bounds the total waiting of one call, its retries and its
	// pacing together; 0 means DefaultMaxWait.
	MaxWait time.Duration
	// PageSize is the `first` of paged reads, at most 500; 0 means
	// DefaultPageSize.
	PageSize int
	// Headroom is the share (a fraction below 1) of the organization's
	// GraphQL budget left for its other API clients: when a response
	// reports less remaining in the window, later requests wait for the
	// window to reset. 0 means DefaultHeadroom, negative turns pacing off.
	Headroom float64
	// Sleep waits between retries and for pacing; nil means a real,
	// ctx-aware wait.
	Sleep func(ctx context.Context, d time.Duration) error
	// Now is the clock that pacing times the rate-limit window with; nil
	// means time.Now.
	Now func() time.Time
}

// Client talks to one Buildkite organization. It is safe for concurrent
// use.
type Client struct {
	gql      *graphql.Client
	org      string
	pageSize int
	logger   *slog.Logger
	redact   func(string) string
	// retry is the retry layer, kept so tests can make its backoff exact.
	retry *retryTransport
}

// New builds a Client from cfg.
func New(cfg Config) (*Client, error) {
	if cfg.Organization == "" {
		return nil, errors.New("buildkite: organization is required")
	}
	if cfg.Token == "" {
		return nil, errors.New("buildkite: token is required")
	}
	endpoint := cfg.URL
	if endpoint == "" {
		endpoint = DefaultURL
	}
	if u, err := url.Parse(endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("buildkite: GraphQL URL %q is not an http(s) URL", endpoint)
	}
	if cfg.PageSize > DefaultPageSize || cfg.PageSize < 0 {
		return nil, fmt.Errorf("buildkite: page size %d is outside 1..%d", cfg.PageSize, DefaultPageSize)
	}
	if cfg.Headroom >= 1 {
		return nil, fmt.Errorf("buildkite: rate-limit headroom %g is not below 1 (it is a fraction of the budget)", cfg.Headroom)
	}
	c := &Client{
		org:      cfg.Organization,
		pageSize: orDefault(cfg.PageSize, DefaultPageSize),
		logger:   cfg.Logger,
		redact:   redactor(cfg.Token),
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}

	var base http.RoundTripper = http.DefaultTransport
	attemptTimeout := DefaultAttemptTimeout
	if cfg.HTTPClient != nil {
		if cfg.HTTPClient.Transport != nil {
			base = cfg.HTTPClient.Transport
		}
		attemptTimeout = orDefault(cfg.HTTPClient.Timeout, DefaultAttemptTimeout)
	}
	base = &authTransport{token: cfg.Token, base: base}
	base = &userAgentTransport{agent: orDefault(cfg.UserAgent, DefaultUserAgent), base: base}
	retries := backoff.Retries(cfg.MaxRetries, DefaultMaxRetries)
	c.retry = &retryTransport{
		base:           base,
		maxRetries:     retries,
		maxWait:        orDefault(cfg.MaxWait, DefaultMaxWait),
		attemptTimeout: attemptTimeout,
		sleep:          cfg.Sleep,
		now:            cfg.Now,
		backoff:        jitteredBackoff,
		redact:         c.redact,
		logger:         c.logger,
	}
	if c.retry.sleep == nil {
		c.retry.sleep = backoff.Sleep
	}
	if c.retry.now == nil {
		c.retry.now = time.Now
	}
	if h := orDefault(cfg.Headroom, DefaultHeadroom); h > 0 {
		c.retry.pacer = &pacer{headroom: h}
	}
	// machinebox's Log hook stays at its silent default: it would print
	// request headers and whole bodies.
	c.gql = graphql.NewClient(endpoint, graphql.WithHTTPClient(&http.Client{Transport: c.retry}))
	return c, nil
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// redactor returns a function that blanks the token out of server text
// before it can reach an error or a log line.
func redactor(token string) func(string) string {
	return func(s string) string { return strings.ReplaceAll(s, token, "[redacted]") }
}

// call is what one GraphQL request tells the transport layers, through its
// context: which operation it is, whether it is safe to send twice, and
// where to put the response's GraphQL errors.
type call struct {
	op       string
	mutation bool
	errs     []gqlError
}

func (c *call) name() string {
	if c == nil {
		return ""
	}
	return c.op
}

type callKey struct{}

func callFrom(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// run sends one operation. It returns the response's GraphQL errors (the
// data in out is still filled for the parts that succeeded) and, if there
// were any or the request failed, an error: *GraphQLError for the first
// GraphQL error, else the transport's error (*HTTPError, *MaxWaitError, a
// context error, …) without the *url.Error wrapper.
func (c *Client) run(ctx context.Context, op operation, vars map[string]any, out any) ([]gqlError, error) {
	cl := &call{op: op.name, mutation: op.mutation}
	req := graphql.NewRequest(op.doc)
	for k, v := range vars {
		req.Var(k, v)
	}
	err := c.gql.Run(context.WithValue(ctx, callKey{}, cl), req, out)
	if len(cl.errs) > 0 {
		first := cl.errs[0]
		return cl.errs, &GraphQLError{Message: c.redact(first.Message), Path: first.Path}
	}
	if err == nil {
		return nil, nil
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return nil, err
}
