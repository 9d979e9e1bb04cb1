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

// FuzzMembersPage serves any body as a group's only page of members to
// the real SDK, through the source, and checks the one property that
// matters: the read either fails or returns exactly the members the body
// lists. Never a list that leaves someone out, or that the body does not
// say.
func FuzzMembersPage(f *testing.F) {
	for _, seed := range []string{
		`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com","login":"a@acme.com"}},` +
			`{"id":"00u2","status":"SUSPENDED","profile":{"email":"B@acme.com"}}]`,
		`[]`,
		`null`,
		``,
		`{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}`,
		`[null]`,
		`[{"id":"00u1","status":"DELETED","profile":{"email":"a@acme.com"}}]`,
		`[{"id":"00u1","profile":{"email":"a@acme.com"}}]`,
		`[{"id":"00u1","status":"SUSPENDED","profile":{}},{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}]`,
		`[{"id":"00u1","status":"ACTIVE","profile":{"email":"a@acme.com"}}] [{"id":"00u2"}]`,
		`[{"ID":"00u1","Status":"ACTIVE","profile":{"email":"a@acme.com","EMAIL":"x@acme.com"}}]`,
	} {
		f.Add([]byte(seed))
	}
	var (
		bodies sync.Map // group ID → []byte
		seq    atomic.Int64
	)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/groups/{id}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":%q,"type":"OKTA_GROUP","profile":{"name":"Fuzz"}}`, r.PathValue("id"))
	})
	mux.HandleFunc("GET /api/v1/groups/{id}/users", func(w http.ResponseWriter, r *http.Request) {
		body, _ := bodies.Load(r.PathValue("id"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body.([]byte))
	})
	srv := httptest.NewServer(mux)
	f.Cleanup(srv.Close)
	src, err := okta.New(context.Background(), okta.Config{
		OrgURL: srv.URL, Token: "fuzz-token-0001", MaxRetries: -1, Headroom: -1,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		id := fmt.Sprintf("00g%017d", seq.Add(1))
		bodies.Store(id, body)
		defer bodies.Delete(id)
		// A read that hangs is a failure too, reported with its body.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		got, err := src.Members(ctx, providers.GroupRef{Source: providers.SourceOkta, Name: id})
		if ctx.Err() != nil {
			t.Fatalf("the read hung: %v; body %q", err, body)
		}
		if err != nil {
			if got != nil {
				t.Fatalf("%d members alongside the error %v", len(got), err)
			}
			return
		}
		want, ok := listed(body)
		if !ok {
			t.Fatalf("read %d members from a body that lists none reliably: %q", len(got), body)
		}
		order := func(a, b providers.Member) int {
			return cmp.Or(strings.Compare(a.Email, b.Email), strings.Compare(a.Status, b.Status))
		}
		slices.SortFunc(got, order)
		slices.SortFunc(want, order)
		if !slices.Equal(got, want) {
			t.Fatalf("members %+v\nbody lists %+v\nbody %q", got, want, body)
		}
	})
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
