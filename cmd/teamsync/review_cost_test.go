package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// countingOkta starts an oktasim whose /api/v1/users requests (people
// searches) are counted, with every search's query kept.
func countingOkta(t *testing.T, st oktasim.State) (url string, searches *atomic.Int64, queries *[]string) {
	sim := oktasim.New(st, oktasim.Options{Token: scenarioOktaToken})
	var n atomic.Int64
	var qs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/users" {
			n.Add(1)
			qs = append(qs, r.URL.Query().Get("search"))
		}
		sim.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &n, &qs
}

// explainCostFixture: an organization of 200 members in acme.com, one
// team; Okta knows all of them.
func explainCostFixture(t *testing.T, offboarding bool) (*bksim.Server, *harness, *atomic.Int64, *[]string) {
	var emails []string
	users := []oktasim.User{{Email: "root@acme.com"}, {Email: "alice@acme.com"}}
	for i := range 200 {
		e := fmt.Sprintf("m%03d@acme.com", i)
		emails = append(emails, e)
		users = append(users, oktasim.User{Email: e})
	}
	oktaURL, searches, queries := countingOkta(t, oktasim.State{Groups: []oktasim.Group{{Name: "Web", Users: []oktasim.User{{Email: "alice@acme.com"}}}, {Name: "All", Users: users}}})
	extra := ""
	if offboarding {
		extra = oktaOffboarding + "  revoke_invitations: true\n"
	}
	mapping := strings.Replace(webOktaMapping(extra), "{{okta_url}}", oktaURL, 1)
	sim, h := startOffboard(t, "", mapping, rootAlice(emails...))
	h.env["OKTA_API_TOKEN"] = scenarioOktaToken
	return sim, h, searches, queries
}

// TestExplainWithOffboardingCostsLikeOnePerson: explain judges
// offboarding "for that one person only", but with an offboarding section
// it still pages every organization member (about two complexity points a
// member: ~20,000 points at 10,200 members, the cost serve spreads over
// offboarding.every) and asks Okta about the same person twice (once for
// the plan's judging, once for the IdP status). Explain of one person
// should cost about what it costs without offboarding.
func TestExplainWithOffboardingCostsLikeOnePerson(t *testing.T) {
	simOff, hOff, searchesOff, _ := explainCostFixture(t, false)
	if _, code := hOff.run("explain", "alice@acme.com"); code != 0 {
		t.Fatalf("explain without offboarding: exit %d\n%s", code, hOff.stderr.String())
	}
	base := simOff.Stats().ActualComplexity

	simOn, hOn, searchesOn, queries := explainCostFixture(t, true)
	if _, code := hOn.run("explain", "alice@acme.com"); code != 0 {
		t.Fatalf("explain with offboarding: exit %d\n%s", code, hOn.stderr.String())
	}
	with := simOn.Stats().ActualComplexity
	t.Logf("buildkite points: explain %d without offboarding, %d with; okta searches %d without, %d with: %q",
		base, with, searchesOff.Load(), searchesOn.Load(), *queries)
	if with > base+50 {
		t.Errorf("explain of one person with offboarding configured cost %d Buildkite points, %d without: it reads every organization member", with, base)
	}
	if n := searchesOn.Load(); n > searchesOff.Load() {
		t.Errorf("explain of one person asked Okta's user search %d times with offboarding, %d without: %q", n, searchesOff.Load(), *queries)
	}
	for _, q := range *queries {
		if strings.Contains(q, "m0") {
			t.Errorf("explain looked up someone else: %s", q)
		}
	}
	if st := simOn.Stats(); st.Mutations != 0 {
		t.Errorf("explain wrote %d mutations", st.Mutations)
	}
}

// TestExplainAndReportWithANonAdminToken: explain and report
// write nothing, but with an offboarding section in the mapping explain
// demands organizationMemberUpdate (an organization admin's token) and
// fails for the helpdesk's read-mostly token; report does not (it drops
// offboarding first). docs/setup.md names only validate --online, plan
// and apply as checking it.
func TestExplainAndReportWithANonAdminToken(t *testing.T) {
	// No admin: the token's user is the first member, alice, a member.
	_, h := startOffboard(t, oktaWeb(), webOktaMapping(oktaOffboarding),
		acmeWeb([]bksim.Member{{Email: "alice@acme.com"}, {Email: "bob@acme.com"}}...))
	if _, code := h.run("report"); code != 0 {
		t.Errorf("report refused a non-admin token: exit %d\n%s", code, h.stderr.String())
	}
	h.stderr.Reset()
	if _, code := h.run("explain", "alice@acme.com"); code != 0 {
		t.Errorf("explain (writes nothing) refused a non-admin token because the mapping offboards: exit %d\n%s", code, h.stderr.String())
	}
}
