package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// demoControl is demo --serve's control panel, for the demo only: a few
// HTTP endpoints on loopback that change the simulated Okta the way an
// admin would in its console, and show a team of the simulated Buildkite,
// so that someone trying the daemon can make a change and watch it arrive.
// It is no part of teamsync serve and speaks none of the real APIs.
type demoControl struct {
	okta      *oktasim.Server
	buildkite *bksim.Server
}

func (c *demoControl) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /okta/groups/{group}/users", c.addOktaUser)
	mux.HandleFunc("DELETE /okta/groups/{group}/users/{email}", c.removeOktaUser)
	mux.HandleFunc("GET /buildkite/teams/{slug}", c.buildkiteTeam)
	return loopbackOnly(mux)
}

// loopbackOnly refuses any request that does not come from this machine.
// The control panel listens on 127.0.0.1 anyway; this holds even if that
// changes.
func loopbackOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			http.Error(w, "the demo control panel answers loopback only", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// addOktaUser adds the person {"email": "…"} to an Okta group (by name or
// id), ACTIVE.
func (c *demoControl) addOktaUser(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Email string `json:"email"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 64<<10)).Decode(&body); err != nil || strings.TrimSpace(body.Email) == "" {
		http.Error(w, `want a JSON body {"email": "someone@example.com"}`, http.StatusBadRequest)
		return
	}
	group := r.PathValue("group")
	if err := c.okta.AddGroupUser(group, oktasim.User{Email: body.Email}); err != nil {
		http.Error(w, err.Error(), http.StatusNotFound)
		return
	}
	w.WriteHeader(http.StatusCreated)
	fmt.Fprintf(w, "simulated Okta: %s is now in group %q\n", body.Email, group)
}

// removeOktaUser takes a person out of an Okta group.
func (c *demoControl) removeOktaUser(w http.ResponseWriter, r *http.Request) {
	group, email := r.PathValue("group"), r.PathValue("email")
	gone, err := c.okta.RemoveGroupUser(group, email)
	switch {
	case err != nil:
		http.Error(w, err.Error(), http.StatusNotFound)
	case !gone:
		http.Error(w, fmt.Sprintf("simulated Okta: %s is not in group %q", email, group), http.StatusNotFound)
	default:
		fmt.Fprintf(w, "simulated Okta: %s is no longer in group %q\n", email, group)
	}
}

// buildkiteTeam lists a team of the simulated Buildkite, one "email role"
// line a member, and the pending invitations that would join it.
func (c *demoControl) buildkiteTeam(w http.ResponseWriter, r *http.Request) {
	slug := r.PathValue("slug")
	st := c.buildkite.State()
	var lines []string
	found := false
	for _, t := range st.Teams {
		if t.Slug != slug {
			continue
		}
		found = true
		for _, m := range t.Members {
			role := m.Role
			if role == "" {
				role = "member"
			}
			lines = append(lines, m.Email+" "+role)
		}
	}
	if !found {
		http.Error(w, fmt.Sprintf("simulated Buildkite: no team %q", slug), http.StatusNotFound)
		return
	}
	sort.Strings(lines)
	for _, inv := range st.Invitations {
		if inv.State != "" && inv.State != bksim.InvitationPending {
			continue
		}
		for _, t := range inv.Teams {
			if t.Team == slug {
				lines = append(lines, inv.Email+" "+t.Role+" (invited, not yet accepted)")
			}
		}
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "simulated Buildkite team %s:\n", slug)
	for _, l := range lines {
		fmt.Fprintln(w, "  "+l)
	}
}
