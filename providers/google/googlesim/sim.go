// Package googlesim is a fake Google Workspace for tests and the demo: the
// Admin SDK Directory API reads teamsync makes (groups.get, members.list with
// paging and derived membership, users.get) and the OAuth 2.0 token endpoint
// that service-account keys use (the JWT-bearer grant, with domain-wide
// delegation), plus the IAM Credentials signJwt and generateAccessToken
// calls that service-account impersonation makes. It speaks the real wire
// protocol, so the real Google client library can be pointed at it, and it
// counts requests and injects faults so tests can check retries and request
// budgets.
//
// A Server is an http.Handler: serve it with httptest.NewServer or any
// listener, then write a service-account key whose token_uri points at its
// /token path with WriteServiceAccountKey.
package googlesim

import (
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	admin "google.golang.org/api/admin/directory/v1"
)

// Options tune a Server. The zero value is a sensible default.
type Options struct {
	// Now is the clock used to check assertions and expire access tokens.
	// Default time.Now.
	Now func() time.Time
	// TokenTTL is the lifetime of issued access tokens. Default one hour.
	TokenTTL time.Duration
	// DelegatedScopes are the scopes domain-wide delegation authorizes for the
	// service account: a token request with a subject asking for any other
	// scope fails with unauthorized_client, as Google does. Nil means the
	// three read-only scopes teamsync needs (DefaultDelegatedScopes).
	DelegatedScopes []string
	// Admins, when non-nil, are the subjects allowed to read the directory;
	// any other subject gets 403 "Not Authorized to access this
	// resource/api". Nil lets any subject read.
	Admins []string
	// AllowNoSubject lets a token minted without a subject (a service
	// account holding an admin role itself) read the directory. Without it
	// such a token gets 403, as an unprivileged service account would.
	AllowNoSubject bool
	// Key, when set, is the RSA key WriteServiceAccountKey writes (tests
	// share one to save generating a key each time); nil generates a fresh
	// 2048-bit key per call.
	Key *rsa.PrivateKey
	// Logger receives one debug line per request. Default: discard.
	Logger *slog.Logger
}

// DefaultDelegatedScopes returns the scopes the simulator authorizes for
// domain-wide delegation unless Options.DelegatedScopes says otherwise.
func DefaultDelegatedScopes() []string {
	return []string{
		admin.AdminDirectoryGroupReadonlyScope,
		admin.AdminDirectoryGroupMemberReadonlyScope,
		admin.AdminDirectoryUserReadonlyScope,
	}
}

// Server is the simulated Google Workspace. It is safe for concurrent use.
type Server struct {
	mux  *http.ServeMux
	opts Options
	log  *slog.Logger

	mu        sync.Mutex
	dir       directory
	keys      map[string]*serviceAccountKey // by private_key_id
	lastKey   string                        // the key signJwt signs with
	tokens    map[string]issuedToken        // by access token
	lastToken TokenRequest
	counts    map[string]int // by decoded request path
	total     int
	faults    []*faultState
}

// New returns a Server serving st.
func New(st State, opts Options) (*Server, error) {
	st, err := st.normalized()
	if err != nil {
		return nil, err
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	if opts.DelegatedScopes == nil {
		opts.DelegatedScopes = DefaultDelegatedScopes()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:   opts,
		log:    log,
		dir:    newDirectory(st),
		keys:   map[string]*serviceAccountKey{},
		tokens: map[string]issuedToken{},
		counts: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", s.handleToken)
	// Each endpoint accepts the scopes its discovery document lists.
	mux.HandleFunc("GET /admin/directory/v1/groups/{key}", s.authorized(s.handleGroup,
		admin.AdminDirectoryGroupScope, admin.AdminDirectoryGroupReadonlyScope))
	mux.HandleFunc("GET /admin/directory/v1/groups/{key}/members", s.authorized(s.handleMembers,
		admin.AdminDirectoryGroupScope, admin.AdminDirectoryGroupReadonlyScope,
		admin.AdminDirectoryGroupMemberScope, admin.AdminDirectoryGroupMemberReadonlyScope))
	mux.HandleFunc("GET /admin/directory/v1/users/{key}", s.authorized(s.handleUser,
		admin.AdminDirectoryUserScope, admin.AdminDirectoryUserReadonlyScope))
	// The IAM Credentials API, for impersonation (see iam.go).
	mux.HandleFunc("POST /v1/projects/-/serviceAccounts/{call}", s.handleIAM)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "notFound", "Not Found")
	})
	s.mux = mux
	return s, nil
}

// ServeHTTP counts the request, applies any injected fault and serves it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.counts[r.URL.Path]++
	s.total++
	f := s.matchFault(r.URL.Path)
	s.mu.Unlock()
	s.log.Debug("googlesim request", "method", r.Method, "path", r.URL.Path, "fault", f != nil)
	if f != nil {
		f.write(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Requests returns how many requests reached path (decoded, without the
// query), e.g. "/admin/directory/v1/groups/eng@acme.com/members" or "/token".
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[path]
}

// RequestsWithPrefix returns how many requests reached paths starting with
// prefix, e.g. "/admin/directory/v1/users/".
func (s *Server) RequestsWithPrefix(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for p, c := range s.counts {
		if strings.HasPrefix(p, prefix) {
			n += c
		}
	}
	return n
}

// TotalRequests returns how many requests the server has seen.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// ResetCounts zeroes the request counters.
func (s *Server) ResetCounts() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts = map[string]int{}
	s.total = 0
}

// SetMembers replaces the direct members of the group with the given email,
// alias or id, as an admin edit would.
func (s *Server) SetMembers(group string, members []Member) error {
	ms, err := normalizeMembers(group, members)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.dir.group(group)
	if g == nil {
		return fmt.Errorf("googlesim: no group %q", group)
	}
	g.Members = ms
	return nil
}

// SetUser adds the user or replaces the one with the same primary email.
func (s *Server) SetUser(u User) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dir.setUser(u)
}
