package okta_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// TestLookupPeopleSecondPageFailureIsErr: the second page of one batch's
// search fails in every way the simulator can fail it; the batch's people
// must each be an Err (never "not found", which offboarding reads as gone).
func TestLookupPeopleSecondPageFailureIsErr(t *testing.T) {
	for name, f := range map[string]oktasim.Fault{
		"500":       {Path: peoplePath, Nth: 2, Times: 10, Status: 500},
		"429":       {Path: peoplePath, Nth: 2, Times: 10, Status: 429},
		"null page": {Path: peoplePath, Nth: 2, NullPage: true},
		"object":    {Path: peoplePath, Nth: 2, PageAsObject: true},
		"truncated": {Path: peoplePath, Nth: 2, Malformed: true},
		"hangup":    {Path: peoplePath, Nth: 2, Times: 10, Hangup: true},
		"html":      {Path: peoplePath, Nth: 2, ContentType: "text/html"},
		"no status": {Path: peoplePath, Nth: 2, NoMemberStatus: true},
	} {
		t.Run(name, func(t *testing.T) {
			var users []oktasim.User
			for i := range 205 {
				users = append(users, oktasim.User{Email: "many@acme.com", Login: fmt.Sprintf("many%03d@corp.acme.com", i), Status: "DEPROVISIONED"})
			}
			users[204].Status = "ACTIVE" // on page 2
			e := newEnv(t, oktasim.State{Users: users}, oktasim.Options{})
			e.sim.Inject(f)
			cfg := e.freshConns()
			cfg.MaxRetries = -1
			got := lookup(t, e, cfg).LookupPeople(context.Background(), []string{"many@acme.com"})
			if p := got["many@acme.com"]; p.Err == nil {
				t.Errorf("page 2 %s: %s, want an Err (page 1 said DEPROVISIONED, page 2 holds the ACTIVE account)", name, outcome(p))
			}
		})
	}
}

// rawOkta answers every /api/v1/users request with body.
func rawOkta(t *testing.T, body string) okta.Config {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if !strings.HasPrefix(r.URL.Path, "/api/v1/users") {
			w.WriteHeader(404)
			fmt.Fprint(w, `{"errorCode":"E0000007","errorSummary":"Not found"}`)
			return
		}
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return okta.Config{OrgURL: srv.URL, Token: testToken, MaxRetries: -1}
}

// TestLookupPeopleMalformedAccountIsErr: a search answer whose accounts
// do not carry the user_email attribute, or carry someone else's, must not
// read as "not found" for the person asked, which offboarding turns into
// "gone". The search was `profile.email eq "a@acme.com"`: any account Okta returns for it has
// that attribute, so an answer that shows none (a profile stripped by a
// proxy, an unknown attribute, a search parameter dropped on the way so
// Okta lists the first 200 users) is malformed, not an absence.
func TestLookupPeopleMalformedAccountIsErr(t *testing.T) {
	for name, body := range map[string]string{
		"no profile":       `[{"id":"00u1","status":"ACTIVE"}]`,
		"profile null":     `[{"id":"00u1","status":"ACTIVE","profile":null}]`,
		"email null":       `[{"id":"00u1","status":"ACTIVE","profile":{"email":null,"login":"a@acme.com"}}]`,
		"email not string": `[{"id":"00u1","status":"ACTIVE","profile":{"email":42}}]`,
		"email empty":      `[{"id":"00u1","status":"ACTIVE","profile":{"email":"","login":"a@acme.com"}}]`,
		"search ignored":   `[{"id":"00u9","status":"ACTIVE","profile":{"email":"zed@acme.com","login":"zed@acme.com"}}]`,
	} {
		t.Run(name, func(t *testing.T) {
			cfg := rawOkta(t, body)
			p, err := okta.New(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			got := p.(providers.PersonLookup).LookupPeople(context.Background(), []string{"a@acme.com"})
			if pp := got["a@acme.com"]; pp.Err == nil {
				t.Errorf("answer %s: a@acme.com is %s, want an Err", body, outcome(pp))
			}
		})
	}
}
