package bksim

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
)

// Defaults for Options.
const (
	DefaultPageMax       = 500
	DefaultRateLimit     = 20000
	DefaultMaxComplexity = 50000
	DefaultMaxDepth      = 15
	// RateLimitWindow is the length of the complexity budget windows
	// (Options.Window when that is 0).
	RateLimitWindow = 300 * time.Second
	// DefaultUserRateLimit is Buildkite's per-user budget, for tests that
	// set Options.UserRateLimit to it.
	DefaultUserRateLimit = 5000
	// MaxPendingInvitations is Buildkite's org-wide cap on pending invitations.
	MaxPendingInvitations = 20
	// MaxTeams is Buildkite's cap on teams per organization.
	MaxTeams = 250
)

// Options configure a Server. The zero value is a usable, non-validating
// simulator that accepts any bearer token.
type Options struct {
	// Schema validates every query (gqlparser): MinimalSchema(), or
	// Buildkite's own loaded with LoadSchema; nil = no validation.
	Schema *ast.Schema
	// Token is the required bearer token; "" accepts any non-empty token.
	Token string
	// PageMax is the largest `first` accepted (default 500); larger answers
	// a GraphQL error.
	PageMax int
	// RateLimit is the organization's actual-complexity points per window
	// (default 20000); 0 means the default.
	RateLimit int
	// UserRateLimit is the token user's actual-complexity points per
	// window, charged besides the organization's (Buildkite's is
	// DefaultUserRateLimit); 0 does not enforce a per-user window and sends
	// no RateLimit-User-* headers.
	UserRateLimit int
	// Window is the length of both rate-limit windows (default
	// RateLimitWindow); tests shorten it to run many windows quickly.
	Window time.Duration
	// NoAuditLog refuses Organization.auditEvents, as Buildkite does for
	// an organization whose plan has no audit log or a token whose user
	// may not read it: the field answers null with an error at its path.
	NoAuditLog bool
	// Denied names the organization permissions the token's user lacks
	// (teamAdmin, teamCreate, organizationInvitationCreate,
	// auditEventsView): Organization.permissions answers them not
	// allowed. Only that answer changes; the writes themselves are not
	// refused. NoAuditLog denies auditEventsView too.
	Denied []string
	// MaxComplexity is the largest requested complexity (default 50000).
	MaxComplexity int
	// Now is the clock for the rate-limit window (default time.Now).
	Now func() time.Time
	// Logger may be nil.
	Logger *slog.Logger
}

// Server is an in-process Buildkite GraphQL API. It is an http.Handler and
// is safe for concurrent use; every request runs under one mutex, so
// requests are serialized like a single-threaded server.
type Server struct {
	schema        *ast.Schema
	token         string
	pageMax       int
	maxComplexity int
	now           func() time.Time
	log           *slog.Logger

	mu     sync.Mutex
	st     *store
	stats  Stats
	faults []*faultState
	limits limits
	// noAuditLog is Options.NoAuditLog.
	noAuditLog bool
	// denied is Options.Denied.
	denied []string
}

// Stats counts what the server has seen since it started or since
// ResetStats.
type Stats struct {
	// Requests is every HTTP request, whatever its outcome.
	Requests int
	// Queries and Mutations count operations that passed validation
	// (including ones later refused by a limit or a fault).
	Queries   int
	Mutations int
	// ByOperation counts top-level fields by name (not alias) over the same
	// operations, e.g. "teamMemberCreate", "organization", "team".
	ByOperation map[string]int
	// Rejected counts operations refused before execution: gqlparser
	// validation failures, too deep, too complex.
	Rejected int
	// RateLimited counts requests answered 429 because the budget was spent.
	RateLimited int
	// Faults counts requests answered by an injected fault.
	Faults int
	// ActualComplexity is the total actual complexity charged.
	ActualComplexity int
}

// New builds a server holding st. It validates the seed: unknown team
// member emails, duplicate emails or slugs, bad roles or states are errors.
func New(st State, opts Options) (*Server, error) {
	if err := validateSeed(st); err != nil {
		return nil, fmt.Errorf("bksim: invalid seed: %w", err)
	}
	s := &Server{
		schema:        opts.Schema,
		token:         opts.Token,
		pageMax:       opts.PageMax,
		maxComplexity: opts.MaxComplexity,
		now:           opts.Now,
		log:           opts.Logger,
	}
	if s.pageMax <= 0 {
		s.pageMax = DefaultPageMax
	}
	if s.maxComplexity <= 0 {
		s.maxComplexity = DefaultMaxComplexity
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.st = newStore(st, s.now)
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	window := opts.Window
	if window <= 0 {
		window = RateLimitWindow
	}
	s.limits.org = budget{limit: opts.RateLimit, window: window}
	if s.limits.org.limit <= 0 {
		s.limits.org.limit = DefaultRateLimit
	}
	if opts.UserRateLimit > 0 {
		s.limits.user = &budget{limit: opts.UserRateLimit, window: window}
	}
	s.noAuditLog = opts.NoAuditLog
	s.denied = slices.Clone(opts.Denied)
	if s.noAuditLog {
		s.denied = append(s.denied, "auditEventsView")
	}
	s.stats.ByOperation = map[string]int{}
	return s, nil
}

// State returns the canonical snapshot of the organization.
func (s *Server) State() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.snapshot()
}

// Stats returns a copy of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.ByOperation = maps.Clone(s.stats.ByOperation)
	return out
}

// ResetStats zeroes the counters (not the rate-limit budget).
func (s *Server) ResetStats() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats = Stats{ByOperation: map[string]int{}}
}
