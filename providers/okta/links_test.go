package okta_test

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

func TestBadLinkFailsTheRead(t *testing.T) {
	// The SDK follows every Link header it is given: one that does not
	// parse crashed it, and one that is not a path on the org sent the
	// token elsewhere. Such an answer is a failed read, on any request.
	const users = `okta: list members of group "Eng": page 1: GET /api/v1/groups/{id}/users: the answer's Link header `
	tests := []struct {
		name, link string
		on         string // "users", "group" or "search"
		want       string
	}{
		{"does not parse", `<%zz>; rel="self"`, "users", users + `is not a URL`},
		{"a path the SDK would append to the host", `<.evil.example/api/v1/groups>; rel="next"`, "users",
			users + `is neither a path starting with "/" nor a URL on the org's host`},
		{"another host", `<https://evil.example/api/v1/groups?after=x>; rel="next"`, "users",
			users + `points to https://evil.example, not to the org (http://127.0.0.1:PORT)`},
		{"another scheme", `<https://127.0.0.1:PORT/api/v1/groups>; rel="next"`, "users",
			users + `points to https://127.0.0.1:PORT, not to the org (http://127.0.0.1:PORT)`},
		{"scheme-relative", `<//evil.example/api/v1/groups>; rel="next"`, "users",
			users + `is neither a path starting with "/" nor a URL on the org's host`},
		{"user information", `<http://u:p@127.0.0.1:PORT/api/v1/groups>; rel="next"`, "users",
			users + `carries user information`},
		{"on the group", `<%zz>; rel="self"`, "group",
			`okta: get group "ID": GET /api/v1/groups/{id}: the answer's Link header is not a URL`},
		{"on the name search", `<%zz>; rel="self"`, "search",
			`okta: find group "Eng": GET /api/v1/groups: the answer's Link header is not a URL`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
			port := e.srv.URL[strings.LastIndexByte(e.srv.URL, ':')+1:]
			id, _ := e.sim.GroupID("Eng")
			name, path := id, "/api/v1/groups/"+id
			switch tt.on {
			case "users":
				name, path = "Eng", path+"/users"
			case "search":
				name, path = "Eng", groupsPath
			}
			e.sim.Inject(oktasim.Fault{Path: path, Link: strings.ReplaceAll(tt.link, "PORT", port)})
			cfg := e.config()
			cfg.MaxRetries = -1
			got, err := e.source(t, cfg).Members(context.Background(), ref(name))
			want := strings.NewReplacer("PORT", port, `"ID"`, `"`+id+`"`).Replace(tt.want)
			if err == nil || err.Error() != want {
				t.Fatalf("got %d members, error\n %v\nwant\n %s", len(got), err, want)
			}
		})
	}
}

func TestBadLinkIsRetried(t *testing.T) {
	// Like any malformed answer to a read, it is asked for again.
	e := newEnv(t, oneGroup("Eng", people(450, "acme.com")), oktasim.Options{})
	path := usersPath(t, e, "Eng")
	e.sim.Inject(oktasim.Fault{Path: path, Nth: 2, Link: `<%zz>; rel="self"`})
	got, err := e.source(t, e.config()).Members(context.Background(), ref("Eng"))
	if err != nil || len(got) != 450 {
		t.Fatalf("got %d members, error %v; want 450", len(got), err)
	}
	if n := e.sim.Requests(path); n != 4 {
		t.Errorf("%d member requests, want 4 (page 2 twice)", n)
	}
}

// hostRecorder serves every request from the simulator in-process, as if
// over TLS to the host the request names, and records each host and
// Authorization header.
type hostRecorder struct {
	sim  *oktasim.Server
	mu   sync.Mutex
	seen []string
}

func (h *hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.seen = append(h.seen, r.URL.Host+" "+r.Header.Get("Authorization"))
	h.mu.Unlock()
	r = r.Clone(r.Context())
	r.TLS = &tls.ConnectionState{} // links say https, as the org URL does
	r.RequestURI = r.URL.RequestURI()
	w := httptest.NewRecorder()
	h.sim.ServeHTTP(w, r)
	resp := w.Result()
	resp.Request = r
	return resp, nil
}

func TestLinkToAnotherHostSendsNoToken(t *testing.T) {
	// Joined to "https://acme.okta.com" by string concatenation, as the
	// SDK joins links, ".evil.example/…" names another host.
	e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
	path := usersPath(t, e, "Eng")
	e.sim.Inject(oktasim.Fault{Path: path, Link: `<.evil.example` + path + `?after=00u1>; rel="next"`})
	rec := &hostRecorder{sim: e.sim}
	cfg := e.config()
	cfg.OrgURL = "https://acme.okta.com"
	cfg.HTTPClient = &http.Client{Transport: rec}
	_, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
	want := `okta: list members of group "Eng": page 1: GET /api/v1/groups/{id}/users: the answer's Link header is neither a path starting with "/" nor a URL on the org's host`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error\n %v\nwant\n %s…", err, want)
	}
	if len(rec.seen) == 0 {
		t.Fatal("no request reached the simulator")
	}
	for _, s := range rec.seen {
		if !strings.HasPrefix(s, "acme.okta.com ") {
			t.Errorf("a request went to another host: %s", s)
		}
	}
}
