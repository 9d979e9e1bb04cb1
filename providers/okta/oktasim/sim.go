// Package oktasim is an in-memory Okta that speaks the parts of the
// management API teamsync reads: groups (list with search, filter and
// cursor paging; get by ID), group members, users (list and search by
// profile.email or profile.login), and the OAuth 2.0
// client-credentials token endpoint with private_key_jwt. It sends Okta's
// JSON shapes, separate Link headers, Okta error bodies and per-minute
// X-Rate-Limit-* headers on an injectable clock, counts requests per path
// and injects faults, so tests and the demo can drive the real Okta SDK
// against it over httptest.
package oktasim

import (
	"crypto/rsa"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"
)

// Defaults for Options.
const (
	DefaultRateLimit = 600
	// window is how long a rate-limit budget lasts.
	window = time.Minute
	// maxRequestURI is the longest path and query the server takes: the
	// 8 KiB request line common HTTP front ends accept. Okta publishes no
	// figure; this keeps clients that build long searches honest.
	maxRequestURI = 8192
)

// Options configure a Server.
type Options struct {
	// Token is the SSWS API token the server accepts.
	Token string
	// ClientID and PublicKey register an OAuth 2.0 service app: the token
	// endpoint accepts client assertions it signed, and the bearer tokens it
	// issues are accepted by the API.
	ClientID  string
	PublicKey *rsa.PublicKey
	// RateLimit is the per-minute budget of each rate-limit bucket
	// (default 600).
	RateLimit int
	// Now is the server's clock (default time.Now); it drives Date,
	// X-Rate-Limit-Reset and token expiry.
	Now func() time.Time
}

// Server is an http.Handler that behaves like an Okta org. It is safe for
// concurrent use.
type Server struct {
	opts Options
	mux  *http.ServeMux

	mu       sync.Mutex
	created  time.Time // when the org's objects were created
	groups   []*group  // sorted by ID
	users    []simUser // users of State.Users, sorted by ID
	requests map[string]int
	total    int
	faults   []Fault
	windows  map[string]*budget
	tokens   map[string]accessToken
	seq      int
}

type group struct {
	id, name, typ string
	created       time.Time
	membership    time.Time
	users         []simUser // sorted by ID
}

type simUser struct {
	id string
	User
}

// New returns a Server serving st. Group IDs that st leaves empty are
// derived from the names, deterministically; users get IDs derived from
// their logins. Without a Token or ClientID the server accepts any
// Authorization header.
func New(st State, opts Options) *Server {
	if opts.RateLimit <= 0 {
		opts.RateLimit = DefaultRateLimit
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:     opts,
		requests: map[string]int{},
		windows:  map[string]*budget{},
		tokens:   map[string]accessToken{},
	}
	created := opts.Now().UTC().Truncate(time.Second)
	s.created = created
	s.users = simUsers(st.Users)
	seen := map[string]int{}
	for _, g := range st.Groups {
		id := g.ID
		if id == "" {
			id = makeID("00g", fmt.Sprintf("group\x00%s\x00%d", g.Name, seen[g.Name]))
			seen[g.Name]++
		}
		typ := g.Type
		if typ == "" {
			typ = TypeOktaGroup
		}
		s.groups = append(s.groups, &group{
			id: id, name: g.Name, typ: typ, created: created, membership: created,
			users: simUsers(g.Users),
		})
	}
	sort.Slice(s.groups, func(i, j int) bool { return s.groups[i].id < s.groups[j].id })
	s.mux = s.routes()
	return s
}

func simUsers(users []User) []simUser {
	out := make([]simUser, 0, len(users))
	for _, u := range users {
		u = u.withDefaults()
		out = append(out, simUser{id: userID(u.Login), User: u})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// GroupID returns the ID of the first group with this name, and whether
// there is one.
func (s *Server) GroupID(name string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, g := range s.groups {
		if g.name == name {
			return g.id, true
		}
	}
	return "", false
}

// SetGroupUsers replaces the members of the group with this ID, or else of
// the only group with this name.
func (s *Server) SetGroupUsers(group string, users []User) error {
	for i, u := range users {
		if err := u.validate(); err != nil {
			return fmt.Errorf("oktasim: users[%d]: %w", i, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findLocked(group)
	if err != nil {
		return err
	}
	g.users = simUsers(users)
	g.membership = s.opts.Now().UTC()
	return nil
}

// AddGroupUser adds u to the group with this ID, or else the only group
// with this name, as an admin would in the Okta console: the user is
// ACTIVE unless u says otherwise, and the group's membership changes now.
// A user already in the group (same login) is left as they are.
func (s *Server) AddGroupUser(group string, u User) error {
	if err := u.validate(); err != nil {
		return fmt.Errorf("oktasim: add user: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findLocked(group)
	if err != nil {
		return err
	}
	su := simUsers([]User{u})[0]
	if slices.ContainsFunc(g.users, func(x simUser) bool { return x.id == su.id }) {
		return nil
	}
	g.users = append(g.users, su)
	sort.Slice(g.users, func(i, j int) bool { return g.users[i].id < g.users[j].id })
	g.membership = s.opts.Now().UTC()
	return nil
}

// RemoveGroupUser removes the user with this login (or email, when the
// user has no separate login) from the group, and reports whether it was
// there.
func (s *Server) RemoveGroupUser(group, login string) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.findLocked(group)
	if err != nil {
		return false, err
	}
	id := userID(login)
	i := slices.IndexFunc(g.users, func(x simUser) bool { return x.id == id })
	if i < 0 {
		return false, nil
	}
	g.users = slices.Delete(g.users, i, i+1)
	g.membership = s.opts.Now().UTC()
	return true, nil
}

func (s *Server) findLocked(key string) (*group, error) {
	var found []*group
	for _, g := range s.groups {
		if g.id == key {
			return g, nil
		}
		if g.name == key {
			found = append(found, g)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("oktasim: no group %q", key)
	case 1:
		return found[0], nil
	}
	return nil, fmt.Errorf("oktasim: %d groups are named %q; use an ID", len(found), key)
}

// Requests returns how many requests reached this URL path (for example
// "/api/v1/groups"), whatever their outcome.
func (s *Server) Requests(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests[path]
}

// TotalRequests returns how many requests reached the server.
func (s *Server) TotalRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.total
}

// ServeHTTP counts the request, applies any injected fault, refuses a
// request URI over 8 KiB with 414, then checks authentication and the rate
// limit before routing.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.total++
	s.requests[r.URL.Path]++
	n := s.requests[r.URL.Path]
	s.seq++
	reqID := "sim-" + strconv.Itoa(s.seq)
	fault, faulted := s.faultLocked(r.URL.Path, n)
	s.mu.Unlock()

	now := s.opts.Now()
	h := w.Header()
	h.Set("Date", now.UTC().Format(http.TimeFormat))
	h.Set("X-Okta-Request-Id", reqID)

	if faulted && !fault.reshapes() {
		s.serveFault(w, r, fault, now)
		return
	}
	if len(r.RequestURI) > maxRequestURI {
		// The front end refuses it before the API, so no budget is spent.
		h.Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusRequestURITooLong)
		_, _ = w.Write([]byte("<html><body><h1>414 Request-URI Too Large</h1></body></html>\n"))
		return
	}
	limited, remaining, reset := s.take(bucketOf(r.URL.Path), now)
	h.Set("X-Rate-Limit-Limit", strconv.Itoa(s.opts.RateLimit))
	h.Set("X-Rate-Limit-Remaining", strconv.Itoa(remaining))
	h.Set("X-Rate-Limit-Reset", strconv.FormatInt(reset, 10))
	if limited {
		writeError(w, http.StatusTooManyRequests, reqID)
		return
	}
	if faulted {
		s.serveReshaped(w, r, fault)
		return
	}
	s.mux.ServeHTTP(w, r)
}
