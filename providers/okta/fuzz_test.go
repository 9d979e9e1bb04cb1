package okta_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/sync/model"
)

// FuzzMembersPage serves any body, with any Content-Type and Link header,
// as a group's page of members to the real SDK, through the source, and
// checks the one property that matters: the read either fails or returns
// exactly the members the body lists. Never a list that leaves someone
// out, or that the body does not say. "{id}" in the Link stands for the
// group's ID, so a link can lead to the group's page again.
//
// Each execution is quick and bounded, well inside the fuzz engine's own
// timers: the handler is called in-process (no sockets, and no server
// goroutines to make coverage vary from run to run, which makes the
// engine's minimizing slow), each execution has a source of its own (no
// breaker carried over from earlier inputs), no retries, no real sleeps
// and a second per attempt.
func FuzzMembersPage(f *testing.F) {
	const (
		jsonType = "application/json"
		next     = `</api/v1/groups/{id}/users?after=00u1>; rel="next"`
	)
	for _, seed := range []struct{ body, contentType, link string }{
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com","login":"a@acme.com"}},` +
			`{"id":"00u2","status":"SUSPENDED","profile":{"email":"B@acme.com"}}]`, jsonType, ""},
		{`[]`, jsonType, ""},
		{`null`, jsonType, ""},
		{``, jsonType, ""},
		{`{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}`, jsonType, ""},
		{`[null]`, jsonType, ""},
		{`[{"id":"00u1","status":"DELETED","profile":{"email":"a@acme.com"}}]`, jsonType, ""},
		{`[{"id":"00u1","profile":{"email":"a@acme.com"}}]`, jsonType, ""},
		{`[{"id":"00u1","status":"SUSPENDED","profile":{}},{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, jsonType, ""},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}] [{"id":"00u2"}]`, jsonType, ""},
		{`[{"ID":"00u1","Status":"ACTIVE","profile":{"email":"a@acme.com","EMAIL":"x@acme.com"}}]`, jsonType, ""},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, "application/octet-stream", ""},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, "application/xml", ""},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, "application/xml+json", ""},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, `application/json; charset="application/xml"`, ""},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, "application/json; charset=utf-8", ""},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, "", ""},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, jsonType, next},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, jsonType, `<%zz>; rel="self"`},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, jsonType, `<.evil.example/api/v1/groups/{id}/users>; rel="next"`},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, jsonType, `<https://evil.example/x>; rel="next"`},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, jsonType, `<https://acme.okta.com/api/v1/groups/{id}/users?after=00u1>; rel="next"`},
		{`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`, jsonType, `</api/v1/groups/{id}>; rel="next"`},
	} {
		f.Add([]byte(seed.body), seed.contentType, seed.link)
	}
	type page struct {
		body              []byte
		contentType, link string
	}
	var (
		pages sync.Map // group ID → page
		seq   atomic.Int64
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/groups/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"type":"OKTA_GROUP","profile":{"name":"Fuzz"}}`, r.PathValue("id"))
	})
	mux.HandleFunc("GET /api/v1/groups/{id}/users", func(w http.ResponseWriter, r *http.Request) {
		v, ok := pages.Load(r.PathValue("id"))
		if !ok { // a link to another execution's group
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"errorCode":"E0000007","errorSummary":"Not found"}`))
			return
		}
		p := v.(page)
		w.Header()["Content-Type"] = []string{p.contentType}
		if p.link != "" {
			w.Header()["Link"] = []string{strings.ReplaceAll(p.link, "{id}", r.PathValue("id"))}
		}
		_, _ = w.Write(p.body)
	})
	base := &http.Client{Transport: inProcess{mux}}
	noSleep := func(ctx context.Context, _ time.Duration) error { return ctx.Err() }

	f.Fuzz(func(t *testing.T, body []byte, contentType, link string) {
		id := fmt.Sprintf("00g%017d", seq.Add(1))
		pages.Store(id, page{body, contentType, link})
		defer pages.Delete(id)
		src, err := okta.New(context.Background(), okta.Config{
			OrgURL: "https://acme.okta.com", Token: "fuzz-token-0001", MaxRetries: -1, Headroom: -1,
			AttemptTimeout: time.Second, Deadline: 2 * time.Second, Sleep: noSleep,
			HTTPClient: base, Logger: slog.New(slog.DiscardHandler),
		})
		if err != nil {
			t.Fatal(err)
		}
		// A read that hangs is a failure too, reported with its input.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		got, err := src.Members(ctx, providers.GroupRef{Source: providers.SourceOkta, Name: id})
		if ctx.Err() != nil {
			t.Fatalf("the read hung: %v; body %q, Content-Type %q, Link %q", err, body, contentType, link)
		}
		if err != nil {
			if got != nil {
				t.Fatalf("%d members alongside the error %v", len(got), err)
			}
			return
		}
		want, ok := listed(body)
		if !ok {
			t.Fatalf("read %d members from a body that lists none reliably: %q (Content-Type %q, Link %q)", len(got), body, contentType, link)
		}
		order := func(a, b providers.Member) int {
			return cmp.Or(strings.Compare(a.Email, b.Email), strings.Compare(a.Status, b.Status))
		}
		slices.SortFunc(got, order)
		slices.SortFunc(want, order)
		if !slices.EqualFunc(got, want, sameMember) {
			t.Fatalf("members %+v\nbody lists %+v\nbody %q, Content-Type %q, Link %q", got, want, body, contentType, link)
		}
	})
}

// inProcess answers each request by calling its handler directly.
type inProcess struct{ h http.Handler }

func (p inProcess) RoundTrip(r *http.Request) (*http.Response, error) {
	w := httptest.NewRecorder()
	p.h.ServeHTTP(w, r)
	resp := w.Result()
	resp.Request = r
	return resp, nil
}

// listed is what a page lists, read with encoding/json alone: the members
// with an email, each user once; ok is false when the page cannot be read
// whole (not one JSON array; an entry null, without an id, or in a status
// Okta does not document; an active user without an email).
func listed(body []byte) ([]providers.Member, bool) {
	if !json.Valid(body) {
		return nil, false
	}
	var users []*struct {
		ID      string         `json:"id"`
		Status  string         `json:"status"`
		Profile map[string]any `json:"profile"`
	}
	if err := json.Unmarshal(body, &users); err != nil || users == nil {
		return nil, false
	}
	statuses := map[string]bool{ // documented; true when the person counts
		"ACTIVE": true, "PASSWORD_EXPIRED": true, "LOCKED_OUT": true, "RECOVERY": true,
		"STAGED": false, "PROVISIONED": false, "SUSPENDED": false, "DEPROVISIONED": false,
	}
	var out []providers.Member
	seen := map[string]bool{}
	for _, u := range users {
		if u == nil || u.ID == "" {
			return nil, false
		}
		active, known := statuses[u.Status]
		if !known {
			return nil, false
		}
		if seen[u.ID] {
			continue
		}
		seen[u.ID] = true
		email, _ := u.Profile["email"].(string)
		if email = model.NormalizeEmail(email); email == "" {
			if active {
				return nil, false
			}
			continue
		}
		out = append(out, providers.Member{Email: email, Status: u.Status, Active: active})
	}
	return out, true
}

// FuzzPeoplePage feeds arbitrary answers to offboarding's user search for
// one person. Whatever the body, the answer is an error, or what the body
// says: "not found" (which offboarding takes for gone) only from an empty
// list, and "found" only from an account with that email. A read never
// hangs.
func FuzzPeoplePage(f *testing.F) {
	for _, seed := range []string{
		`[]`, `null`, ``, `{}`, `[null]`, `[{}]`,
		`[{"id":"00u1","status":"DEPROVISIONED","profile":{"email":"a@acme.com","login":"a@acme.com"}}]`,
		`[{"id":"00u1","status":"ACTIVE","profile":{"email":"A@ACME.com"}}]`,
		`[{"id":"00u1","status":"ACTIVE","profile":{"email":"b@acme.com"}}]`,
		`[{"id":"00u1","status":"ACTIVE","profile":null}]`,
		`[{"id":"00u1","status":"ACTIVE","profile":{"email":7}}]`,
		`[{"id":"00u1","status":"GONE","profile":{"email":"a@acme.com"}}]`,
		`[{"id":"00u1","profile":{"email":"a@acme.com"}}]`,
		`[] []`,
	} {
		f.Add([]byte(seed))
	}
	var body atomic.Value
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/users", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body.Load().([]byte))
	})
	base := &http.Client{Transport: inProcess{mux}}
	noSleep := func(ctx context.Context, _ time.Duration) error { return ctx.Err() }
	src, err := okta.New(context.Background(), okta.Config{
		OrgURL: "https://acme.okta.com", Token: "fuzz-token-0001", MaxRetries: -1, Headroom: -1,
		AttemptTimeout: time.Second, Deadline: 2 * time.Second, Sleep: noSleep,
		HTTPClient: base, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}
	lookup := src.(providers.PersonLookup)
	f.Fuzz(func(t *testing.T, page []byte) {
		body.Store(page)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		got := lookup.LookupPeople(ctx, []string{"a@acme.com"})["a@acme.com"]
		if ctx.Err() != nil {
			t.Fatalf("the lookup hung; body %q", page)
		}
		if got.Err != nil {
			if got.Found || got.Gone {
				t.Fatalf("an answer alongside the error %v: %+v", got.Err, got)
			}
			return
		}
		var accounts []struct {
			Profile struct {
				Email string `json:"email"`
			} `json:"profile"`
		}
		if jerr := json.Unmarshal(page, &accounts); jerr != nil {
			t.Fatalf("answered %+v from a body that is no list: %q", got, page)
		}
		if !got.Found {
			if len(accounts) != 0 {
				t.Fatalf("not found, from a body with %d accounts: %q", len(accounts), page)
			}
			return
		}
		if !slices.ContainsFunc(accounts, func(a struct {
			Profile struct {
				Email string `json:"email"`
			} `json:"profile"`
		}) bool {
			return strings.EqualFold(a.Profile.Email, "a@acme.com")
		}) {
			t.Fatalf("found %+v in a body without that email: %q", got, page)
		}
	})
}
