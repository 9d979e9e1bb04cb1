package oktasim

import (
	"net/http"
	"slices"
	"sort"
)

// Page size of /api/v1/users: Okta's default and most per page.
const (
	orgUsersDefaultLimit = 200
	orgUsersMaxLimit     = 200
)

// listUsers serves GET /api/v1/users. With search it returns the users the
// expression matches in every status, DEPROVISIONED included; without,
// every user but the DEPROVISIONED ones. Both are as Okta's List all users
// documents them (management API, listUsers: "This operation omits users
// that have a status of DEPROVISIONED … To return all users, use a filter
// or search query instead"; search: "Returned users include those with the
// DEPROVISIONED status", and string values compare ignoring case). filter
// and q are not simulated here and are refused, so a client that needs
// them fails instead of reading a made-up answer.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	reqID := w.Header().Get("X-Okta-Request-Id")
	qv := r.URL.Query()
	limit, ok := parseLimit(qv.Get("limit"), orgUsersDefaultLimit, orgUsersMaxLimit)
	if !ok {
		writeOktaError(w, http.StatusBadRequest, "E0000001", "Api validation failed: limit", reqID)
		return
	}
	if qv.Has("filter") || qv.Has("q") {
		writeOktaError(w, http.StatusBadRequest, "E0000031",
			"Invalid search criteria: the simulator serves only search on /api/v1/users", reqID)
		return
	}
	keep := func(u simUser) bool { return u.Status != "DEPROVISIONED" }
	if expr := qv.Get("search"); expr != "" {
		pred, err := parseExpr(expr, userSearchSchema)
		if err != nil {
			writeOktaError(w, http.StatusBadRequest, "E0000031", "Invalid search criteria: "+err.Error(), reqID)
			return
		}
		keep = func(u simUser) bool { return pred(u) }
	}
	s.mu.Lock()
	var matched []simUser
	for _, u := range s.orgUsersLocked() {
		if keep(u) {
			matched = append(matched, u)
		}
	}
	created := s.created
	s.mu.Unlock()
	users, next := page(matched, func(u simUser) string { return u.id }, qv.Get("after"), limit)
	out := make([]userJSON, 0, len(users))
	for _, u := range users {
		out = append(out, u.json(baseURL(r), created))
	}
	s.links(w, r, next)
	writeJSON(w, http.StatusOK, out)
}

// orgUsersLocked is every user of the org, sorted by ID: the users of the
// state's users list, then those of its groups not listed there. A user
// (same login) in several places is one user, as the first place has them.
func (s *Server) orgUsersLocked() []simUser {
	seen := map[string]bool{}
	var out []simUser
	add := func(users []simUser) {
		for _, u := range users {
			if !seen[u.id] {
				seen[u.id] = true
				out = append(out, u)
			}
		}
	}
	add(s.users)
	for _, g := range s.groups {
		add(g.users)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return slices.Clip(out)
}
