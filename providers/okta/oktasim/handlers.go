package oktasim

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Page-size defaults and caps, per Okta's management API.
const (
	groupsDefaultLimit = 10000
	groupsMaxLimit     = 10000
	usersDefaultLimit  = 1000
	usersMaxLimit      = 1000
	qMaxResults        = 300
)

func (s *Server) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/groups", s.api(scopeGroups, s.listGroups))
	mux.HandleFunc("GET /api/v1/groups/{id}", s.api(scopeGroups, s.getGroup))
	mux.HandleFunc("GET /api/v1/groups/{id}/users", s.api(scopeGroups, s.listGroupUsers))
	mux.HandleFunc("GET /api/v1/users", s.api(scopeUsers, s.listUsers))
	mux.HandleFunc("POST /oauth2/v1/token", s.token)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeOktaError(w, http.StatusNotFound, "E0000022",
			"The endpoint does not support the provided HTTP method", w.Header().Get("X-Okta-Request-Id"))
	})
	return mux
}

// The OAuth scopes the API's reads need.
const (
	scopeGroups = "okta.groups.read"
	scopeUsers  = "okta.users.read"
)

// api wraps a management API handler with the Authorization check; a
// bearer token must carry scope.
func (s *Server) api(scope string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		reqID := w.Header().Get("X-Okta-Request-Id")
		switch s.authorize(r.Header.Get("Authorization"), scope) {
		case http.StatusUnauthorized:
			writeError(w, http.StatusUnauthorized, reqID)
		case http.StatusForbidden:
			writeError(w, http.StatusForbidden, reqID)
		default:
			next(w, r)
		}
	}
}

// authorize returns 0 when the header is acceptable for a request needing
// scope, else the status to refuse it with.
func (s *Server) authorize(header, scope string) int {
	if s.opts.Token == "" && s.opts.ClientID == "" {
		return 0
	}
	scheme, cred, _ := strings.Cut(header, " ")
	switch scheme {
	case "SSWS":
		if s.opts.Token != "" && subtle.ConstantTimeCompare([]byte(cred), []byte(s.opts.Token)) == 1 {
			return 0
		}
	case "Bearer":
		s.mu.Lock()
		tok, ok := s.tokens[cred]
		s.mu.Unlock()
		if !ok || !s.opts.Now().Before(tok.expires) {
			return http.StatusUnauthorized
		}
		if !slices.Contains(tok.scopes, scope) {
			return http.StatusForbidden
		}
		return 0
	}
	return http.StatusUnauthorized
}

func (s *Server) listGroups(w http.ResponseWriter, r *http.Request) {
	reqID := w.Header().Get("X-Okta-Request-Id")
	qv := r.URL.Query()
	limit, ok := parseLimit(qv.Get("limit"), groupsDefaultLimit, groupsMaxLimit)
	if !ok {
		writeOktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit", reqID)
		return
	}
	var preds []predicate
	for _, p := range []struct {
		name   string
		search bool
	}{{"search", true}, {"filter", false}} {
		if expr := qv.Get(p.name); expr != "" {
			pred, err := parseExpr(expr, groupSchema(p.search))
			if err != nil {
				writeOktaError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria: "+err.Error(), reqID)
				return
			}
			preds = append(preds, pred)
		}
	}
	q := strings.ToLower(qv.Get("q"))

	s.mu.Lock()
	var matched []*group
	for _, g := range s.groups {
		keep := q == "" || strings.HasPrefix(strings.ToLower(g.name), q)
		for _, p := range preds {
			keep = keep && p(g)
		}
		if keep {
			matched = append(matched, g)
		}
	}
	s.mu.Unlock()

	if q != "" { // q is a one-shot prefix match: no paging, capped
		limit = min(limit, qMaxResults)
		matched = matched[:min(len(matched), limit)]
		s.links(w, r, "")
		out := make([]groupJSON, 0, len(matched))
		for _, g := range matched {
			out = append(out, g.json(baseURL(r)))
		}
		writeJSON(w, http.StatusOK, out)
		return
	}
	pageOf, next := page(matched, func(g *group) string { return g.id }, qv.Get("after"), limit)
	out := make([]groupJSON, 0, len(pageOf))
	for _, g := range pageOf {
		out = append(out, g.json(baseURL(r)))
	}
	s.links(w, r, next)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) getGroup(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	g := s.byIDLocked(id)
	var out groupJSON
	if g != nil {
		out = g.json(baseURL(r))
	}
	s.mu.Unlock()
	if g == nil {
		notFound(w, id)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) listGroupUsers(w http.ResponseWriter, r *http.Request) {
	reqID := w.Header().Get("X-Okta-Request-Id")
	id := r.PathValue("id")
	qv := r.URL.Query()
	limit, ok := parseLimit(qv.Get("limit"), usersDefaultLimit, usersMaxLimit)
	if !ok {
		writeOktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit", reqID)
		return
	}
	s.mu.Lock()
	g := s.byIDLocked(id)
	var (
		users []simUser
		next  string
	)
	if g != nil {
		users, next = page(g.users, func(u simUser) string { return u.id }, qv.Get("after"), limit)
		users = slices.Clone(users)
	}
	created := s.opts.Now()
	if g != nil {
		created = g.created
	}
	s.mu.Unlock()
	if g == nil {
		notFound(w, id)
		return
	}
	out := make([]userJSON, 0, len(users))
	for _, u := range users {
		out = append(out, u.json(baseURL(r), created))
	}
	s.links(w, r, next)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) byIDLocked(id string) *group {
	for _, g := range s.groups {
		if g.id == id {
			return g
		}
	}
	return nil
}

func notFound(w http.ResponseWriter, id string) {
	writeOktaError(w, http.StatusNotFound, "E0000007",
		"Not found: Resource not found: "+id+" (UserGroup)", w.Header().Get("X-Okta-Request-Id"))
}

// links adds Okta's self and next Link headers, as separate header lines
// (the SDK misreads a comma-joined one). next is the cursor for the next
// page, empty on the last.
func (s *Server) links(w http.ResponseWriter, r *http.Request, next string) {
	base := baseURL(r) + r.URL.Path
	self := base
	if r.URL.RawQuery != "" {
		self += "?" + r.URL.RawQuery
	}
	w.Header().Add("Link", "<"+self+`>; rel="self"`)
	if next == "" {
		return
	}
	qv := r.URL.Query()
	qv.Set("after", next)
	w.Header().Add("Link", "<"+base+"?"+qv.Encode()+`>; rel="next"`)
}

// page returns the items after the cursor (items are sorted by id) and
// the cursor of the next page, empty when this is the last.
func page[T any](items []T, id func(T) string, after string, limit int) ([]T, string) {
	start := 0
	if after != "" {
		start, _ = slices.BinarySearchFunc(items, after, func(it T, a string) int {
			return strings.Compare(id(it), a)
		})
		if start < len(items) && id(items[start]) == after {
			start++
		}
	}
	end := min(start+limit, len(items))
	if end >= len(items) {
		return items[start:], ""
	}
	return items[start:end], id(items[end-1])
}

func parseLimit(raw string, def, maxLimit int) (int, bool) {
	if raw == "" {
		return def, true
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 {
		return 0, false
	}
	return min(n, maxLimit), true
}

// tokenParams reads the token request's parameters from the query string
// (where the Okta SDK puts them) and a form body (where RFC 6749 does).
func tokenParams(r *http.Request) (url.Values, error) {
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return r.Form, nil
}
