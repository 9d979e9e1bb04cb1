package okta_test

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

const peoplePath = "/api/v1/users"

func lookup(t *testing.T, e *env, cfg okta.Config) providers.PersonLookup {
	t.Helper()
	l, ok := e.source(t, cfg).(providers.PersonLookup)
	if !ok {
		t.Fatal("the Okta source is not a providers.PersonLookup")
	}
	return l
}

// outcome reads a Person as "found STATUS gone", "not found" or "err".
func outcome(p providers.Person) string {
	switch {
	case p.Err != nil:
		return "err"
	case !p.Found:
		return fmt.Sprintf("not found %q %t", p.Status, p.Gone)
	case p.Gone:
		return "found " + p.Status + " gone"
	}
	return "found " + p.Status
}

func outcomes(got map[string]providers.Person) map[string]string {
	out := map[string]string{}
	for e, p := range got {
		out[e] = outcome(p)
	}
	return out
}

func TestLookupPeople(t *testing.T) {
	st := oktasim.State{
		Groups: []oktasim.Group{{Name: "Eng", Users: []oktasim.User{{Email: "active@acme.com"}}}},
		Users: []oktasim.User{
			{Email: "Mixed@Acme.COM"},
			{Email: "gone@acme.com", Status: "DEPROVISIONED"},
			{Email: "sus@acme.com", Status: "SUSPENDED"},
			{Email: "staged@acme.com", Status: "STAGED"},
			{Email: "prov@acme.com", Status: "PROVISIONED"},
			{Email: "locked@acme.com", Status: "LOCKED_OUT"},
			// Two accounts, one still here: not gone.
			{Email: "two@acme.com", Status: "DEPROVISIONED"},
			{Email: "two@acme.com", Login: "two.new@corp.acme.com", Status: "PASSWORD_EXPIRED"},
			// Two accounts, both gone.
			{Email: "both@acme.com", Status: "DEPROVISIONED"},
			{Email: "Both@acme.com", Login: "both.old@corp.acme.com", Status: "SUSPENDED"},
			{Email: `q"uote@acme.com`},
			{Email: `back\slash"@acme.com`},
			// Matched only by a quote breaking out of its string.
			{Email: "victim@acme.com"},
		},
	}
	e := newEnv(t, st, oktasim.Options{})
	asked := []string{"active@acme.com", "mixed@acme.com", "gone@acme.com", "sus@acme.com", "staged@acme.com",
		"prov@acme.com", "locked@acme.com", "two@acme.com", "both@acme.com", `q"uote@acme.com`, `back\slash"@acme.com`,
		`x" or profile.email eq "victim@acme.com`, "nobody@acme.com", "active@acme.com"}
	got := lookup(t, e, e.config()).LookupPeople(context.Background(), asked)
	want := map[string]string{
		"active@acme.com":      "found ACTIVE",
		"mixed@acme.com":       "found ACTIVE",
		"gone@acme.com":        "found DEPROVISIONED gone",
		"sus@acme.com":         "found SUSPENDED gone",
		"staged@acme.com":      "found STAGED",
		"prov@acme.com":        "found PROVISIONED",
		"locked@acme.com":      "found LOCKED_OUT",
		"two@acme.com":         "found PASSWORD_EXPIRED",
		"both@acme.com":        "found SUSPENDED gone",
		`q"uote@acme.com`:      "found ACTIVE",
		`back\slash"@acme.com`: "found ACTIVE",
		`x" or profile.email eq "victim@acme.com`: `not found "" false`,
		"nobody@acme.com":                         `not found "" false`,
	}
	if o := outcomes(got); !maps.Equal(o, want) {
		t.Errorf("got  %v\nwant %v", o, want)
	}
	if n := e.sim.Requests(peoplePath); n != 1 {
		t.Errorf("%d user searches, want 1 batch", n)
	}
}

func TestLookupPeopleByLogin(t *testing.T) {
	st := oktasim.State{Users: []oktasim.User{{Email: "a@acme.com", Login: "a.login@corp.acme.com", Status: "SUSPENDED"}}}
	e := newEnv(t, st, oktasim.Options{})
	cfg := e.config()
	cfg.UserEmail = okta.UserEmailLogin
	got := lookup(t, e, cfg).LookupPeople(context.Background(), []string{"a.login@corp.acme.com", "a@acme.com"})
	want := map[string]string{"a.login@corp.acme.com": "found SUSPENDED gone", "a@acme.com": `not found "" false`}
	if o := outcomes(got); !maps.Equal(o, want) {
		t.Errorf("got %v, want %v", o, want)
	}
}

// someone returns n emails p000@acme.com… and their active users.
func someone(n int) ([]string, []oktasim.User) {
	var emails []string
	var users []oktasim.User
	for i := range n {
		e := fmt.Sprintf("p%03d@acme.com", i)
		emails = append(emails, e)
		users = append(users, oktasim.User{Email: e})
	}
	return emails, users
}

func TestLookupPeopleBatches(t *testing.T) {
	emails, users := someone(45)
	e := newEnv(t, oktasim.State{Users: users}, oktasim.Options{})
	got := lookup(t, e, e.config()).LookupPeople(context.Background(), emails)
	for _, em := range emails {
		if o := outcome(got[em]); o != "found ACTIVE" {
			t.Errorf("%s: %s, want found ACTIVE", em, o)
		}
	}
	if len(got) != 45 {
		t.Errorf("%d answers, want 45", len(got))
	}
	if n := e.sim.Requests(peoplePath); n != 3 {
		t.Errorf("%d user searches, want 3 batches (20, 20, 5)", n)
	}
}

func TestLookupPeoplePagesABatch(t *testing.T) {
	// 205 accounts share one email: the search spans two pages of 200;
	// the one still active is on the second (IDs sort it there or not,
	// either way both pages must be read).
	var users []oktasim.User
	for i := range 205 {
		users = append(users, oktasim.User{Email: "many@acme.com", Login: fmt.Sprintf("many%03d@corp.acme.com", i), Status: "DEPROVISIONED"})
	}
	users[204].Status = "ACTIVE"
	e := newEnv(t, oktasim.State{Users: users}, oktasim.Options{})
	got := lookup(t, e, e.config()).LookupPeople(context.Background(), []string{"many@acme.com"})
	if o := outcome(got["many@acme.com"]); o != "found ACTIVE" {
		t.Errorf("got %s, want found ACTIVE", o)
	}
	if n := e.sim.Requests(peoplePath); n != 2 {
		t.Errorf("%d requests, want 2 pages", n)
	}
}

func TestLookupPeopleFailedBatchFailsOnlyItsPeople(t *testing.T) {
	emails, users := someone(25) // batches: p000–p019, p020–p024
	e := newEnv(t, oktasim.State{Users: users}, oktasim.Options{})
	// The second batch's answer echoes the credential, as a proxy might.
	e.sim.Inject(oktasim.Fault{Path: peoplePath, Nth: 2, EchoAuthorization: true})
	got := lookup(t, e, e.config()).LookupPeople(context.Background(), emails)
	for i, em := range emails {
		p := got[em]
		if i < 20 {
			if o := outcome(p); o != "found ACTIVE" {
				t.Errorf("%s (first batch): %s, want found ACTIVE", em, o)
			}
			continue
		}
		if p.Err == nil || p.Found || p.Gone {
			t.Fatalf("%s (second batch): %+v, want an Err alone", em, p)
		}
		msg := p.Err.Error()
		if !strings.HasPrefix(msg, fmt.Sprintf("okta: look up %d people (%s, …): batched user search: ", len(emails)-20, emails[20])) || !strings.Contains(msg, "E0000011") {
			t.Errorf("%s: error %q does not name the source, the batch and Okta's code", em, msg)
		}
		if strings.Contains(msg, testToken) {
			t.Errorf("%s: error leaks the token: %q", em, msg)
		}
	}
}

func TestLookupPeopleUnknownStatus(t *testing.T) {
	for name, f := range map[string]oktasim.Fault{
		"undocumented": {Path: peoplePath, MemberStatus: "ARCHIVED"},
		"missing":      {Path: peoplePath, NoMemberStatus: true},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, oktasim.State{Users: []oktasim.User{{Email: "a@acme.com"}}}, oktasim.Options{})
			e.sim.Inject(f)
			got := lookup(t, e, e.config()).LookupPeople(context.Background(), []string{"a@acme.com", "nobody@acme.com"})
			if p := got["a@acme.com"]; p.Err == nil || p.Found || p.Gone || p.Status != "" {
				t.Errorf("a@acme.com: %+v, want an Err alone", p)
			} else if !strings.Contains(p.Err.Error(), `okta: look up "a@acme.com": account `) {
				t.Errorf("a@acme.com: error %q does not name the person and account", p.Err)
			}
			if o := outcome(got["nobody@acme.com"]); o != `not found "" false` {
				t.Errorf("nobody@acme.com: %s, want not found", o)
			}
		})
	}
}

func TestLookupPeopleMalformedAnswer(t *testing.T) {
	e := newEnv(t, oktasim.State{Users: []oktasim.User{{Email: "a@acme.com"}}}, oktasim.Options{})
	e.sim.Inject(oktasim.Fault{Path: peoplePath, PageAsObject: true})
	cfg := e.config()
	cfg.MaxRetries = -1
	got := lookup(t, e, cfg).LookupPeople(context.Background(), []string{"a@acme.com", "b@acme.com"})
	for _, em := range []string{"a@acme.com", "b@acme.com"} {
		if p := got[em]; p.Err == nil || p.Found {
			t.Errorf("%s: %+v, want an Err: an object is not a list of users", em, p)
		}
	}
}

func TestLookupPeopleRateLimited(t *testing.T) {
	// A budget of 1 a minute: the second batch gets a 429, waits for the
	// reset and is answered.
	emails, users := someone(21)
	e := newEnv(t, oktasim.State{Users: users}, oktasim.Options{RateLimit: 1})
	cfg := e.config()
	cfg.Headroom = -1
	cfg.MaxBackoff = 2 * time.Minute
	got := lookup(t, e, cfg).LookupPeople(context.Background(), emails)
	for _, em := range emails {
		if o := outcome(got[em]); o != "found ACTIVE" {
			t.Errorf("%s: %s, want found ACTIVE", em, o)
		}
	}
	if w, want := e.sleep.Waits(), []time.Duration{61 * time.Second}; !slices.Equal(w, want) {
		t.Errorf("waits %v, want %v", w, want)
	}
	if n := e.sim.Requests(peoplePath); n != 3 {
		t.Errorf("%d requests, want 3 (two batches and one 429)", n)
	}
}

func TestLookupPeopleEmptyAndNone(t *testing.T) {
	e := newEnv(t, oktasim.State{}, oktasim.Options{})
	l := lookup(t, e, e.config())
	if got := l.LookupPeople(context.Background(), nil); len(got) != 0 {
		t.Errorf("no emails: got %v", got)
	}
	got := l.LookupPeople(context.Background(), []string{""})
	if p := got[""]; p.Err == nil {
		t.Errorf("empty email: %+v, want an Err", p)
	}
	if n := e.sim.TotalRequests(); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
}
