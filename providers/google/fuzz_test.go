package google_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

// FuzzMembersPage checks the one property a members.list page must have:
// read through the real SDK, any body either gives exactly the people it
// lists, or an error. Never a panic, never a person it does not list,
// never one it lists left out. A plain `go test` runs the seeds only.
func FuzzMembersPage(f *testing.F) {
	for _, seed := range []string{
		`{"kind":"admin#directory#members","members":[` +
			`{"email":"Ann@acme.com","type":"USER","status":"ACTIVE"},` +
			`{"email":"bob@acme.com","type":"USER","status":"SUSPENDED"},` +
			`{"email":"cat@acme.com","type":"USER"},` +
			`{"email":"dan@acme.com","type":"USER","status":"UNKNOWN"},` +
			`{"email":"eve@acme.com","type":"USER","status":"ARCHIVED"},` +
			`{"email":"ops@acme.com","type":"GROUP","status":"ACTIVE"},` +
			`{"email":"ann@acme.com","type":"USER","status":"SUSPENDED"}]}`,
		`{"kind":"admin#directory#members"}`,
		`{"kind":"admin#directory#members","members":[]}`,
		`{"kind":"admin#directory#members","members":[null]}`,
		`{"kind":"admin#directory#members","members":[{"type":"USER","status":"SUSPENDED","id":"1"}]}`,
		`{"kind":"admin#directory#members","members":[{"type":"USER","status":"ACTIVE","id":"1"}]}`,
		`{"kind":"admin#directory#members","members":[{"id":"C01","type":"CUSTOMER"}]}`,
		`{"kind":"admin#directory#members","members":[{"email":"x@acme.com","type":"USER","status":"PENDING"}]}`,
		`{"kind":"admin#directory#members","members":[{"email":"x@acme.com","type":"EXTERNAL"}]}`,
		`{"kind":"admin#directory#members","nextPageToken":"t","members":[{"email":"x@acme.com","type":"USER","status":"ACTIVE"}]}`,
		`{"kind":"admin#directory#members","members":[{"email":"x@acme.com","type":"USER","status":"ACTIVE"}]} trailing`,
		`{"kind":"admin#directory#members","MEMBERS":[{"EMAIL":"y@acme.com","Type":"USER","status":"ACTIVE"}]}`,
		`{"kind":"admin#directory#members","members":{"email":"x@acme.com"}}`,
		`{"members":[{"email":"x@acme.com","type":"USER","status":"ACTIVE"}]}`,
		`null`, ``, `  `, `{}`, `[]`, `"members"`, `{"kind":"admin#directory#members","members":[1]}`,
	} {
		f.Add([]byte(seed))
	}

	sim, err := googlesim.New(googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com"}}}, googlesim.Options{Key: testKey()})
	if err != nil {
		f.Fatal(err)
	}
	var (
		mu   sync.Mutex
		page []byte
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == groupsPath+"eng@acme.com/members":
			mu.Lock()
			body := page
			mu.Unlock()
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			_, _ = w.Write(body)
		case strings.HasPrefix(r.URL.Path, usersPath):
			// Everyone users.get is asked about is an active user.
			w.Header().Set("Content-Type", "application/json; charset=UTF-8")
			_ = json.NewEncoder(w).Encode(map[string]any{
				"kind": "admin#directory#user", "id": "1", "primaryEmail": strings.TrimPrefix(r.URL.Path, usersPath),
				"suspended": false, "archived": false,
			})
		default:
			sim.ServeHTTP(w, r) // the token endpoint and groups.get
		}
	}))
	f.Cleanup(srv.Close)
	keyPath, err := sim.WriteServiceAccountKey(f.TempDir(), srv.URL+"/token")
	if err != nil {
		f.Fatal(err)
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		f.Fatal(err)
	}

	f.Fuzz(func(t *testing.T, body []byte) {
		mu.Lock()
		page = body
		mu.Unlock()
		p, err := google.New(context.Background(), google.Config{
			CredentialsJSON: key, Subject: adminEmail, Endpoint: srv.URL, HTTPClient: srv.Client(),
			MaxRetries: -1, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.Members(context.Background(), ref("eng@acme.com"))
		if err != nil {
			if got != nil {
				t.Fatalf("members %v alongside the error %v", got, err)
			}
			return // an error is always a safe reading
		}

		// It read: the body must be a whole members page that lists
		// exactly these people. encoding/json reads it as the SDK does.
		var listed struct {
			Kind          string `json:"kind"`
			NextPageToken string `json:"nextPageToken"`
			Members       []*struct {
				Email, Type, Status string
			} `json:"members"`
		}
		if err := json.Unmarshal(body, &listed); err != nil {
			t.Fatalf("read %v from a body that does not decode (%v): %q", emails(got), err, body)
		}
		if listed.Kind != "admin#directory#members" || listed.NextPageToken != "" {
			t.Fatalf("read %v from a body that is not one whole members page: %q", emails(got), body)
		}
		type person struct{ active, settled, lookup bool }
		want := map[string]*person{}
		for _, m := range listed.Members {
			if m == nil {
				t.Fatalf("read %v from a page with a null row: %q", emails(got), body)
			}
			if m.Type != "USER" {
				continue // a GROUP row, with nesting off
			}
			switch m.Status {
			case "", "UNKNOWN", "ACTIVE", "SUSPENDED", "ARCHIVED":
			default:
				t.Fatalf("read %v from a page with status %q: %q", emails(got), m.Status, body)
			}
			email := strings.ToLower(strings.TrimSpace(m.Email))
			if email == "" {
				if m.Status != "SUSPENDED" && m.Status != "ARCHIVED" {
					t.Fatalf("read %v from a page with a person who has no email: %q", emails(got), body)
				}
				continue
			}
			p := want[email]
			if p == nil {
				p = &person{}
				want[email] = p
			}
			// A row that says ACTIVE wins; a row that settles the status
			// wins over one that users.get must settle (here: active).
			switch m.Status {
			case "ACTIVE":
				p.active = true
			case "SUSPENDED", "ARCHIVED":
				p.settled = true
			default:
				p.lookup = true
			}
		}
		var gotEmails []string
		for _, m := range got {
			email := strings.ToLower(m.Email)
			gotEmails = append(gotEmails, email)
			p := want[email]
			if p == nil {
				t.Fatalf("read %q, which the page does not list: %q", m.Email, body)
			}
			if wantActive := p.active || !p.settled; m.Active != wantActive {
				t.Errorf("%s: active = %v, want %v: %q", m.Email, m.Active, wantActive, body)
			}
		}
		var wantEmails []string
		for e := range want {
			wantEmails = append(wantEmails, e)
		}
		slices.Sort(wantEmails)
		slices.Sort(gotEmails)
		if !slices.Equal(gotEmails, wantEmails) {
			t.Fatalf("read %v, want %v: %q", gotEmails, wantEmails, body)
		}
	})
}
