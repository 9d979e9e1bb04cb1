package oktasim_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// userKeys lists users as "login status", sorted.
func userKeys(us []wireUser) []string {
	out := make([]string, 0, len(us))
	for _, u := range us {
		out = append(out, fmt.Sprintf("%v %s", u.Profile["login"], u.Status))
	}
	slices.Sort(out)
	return out
}

func TestUserSearch(t *testing.T) {
	st := oktasim.State{
		Groups: []oktasim.Group{{Name: "Eng", Users: []oktasim.User{
			{Email: "a@acme.com"},
			{Email: "s@acme.com", Status: "SUSPENDED"},
		}}},
		Users: []oktasim.User{
			{Email: "A@Acme.com", Login: "a.old@corp.acme.com", Status: "DEPROVISIONED"},
			{Email: "d@acme.com", Status: "DEPROVISIONED"},
			{Email: "st@acme.com", Status: "STAGED"},
			{Email: `q"uote@acme.com`},
		},
	}
	_, srv, _ := start(t, st, oktasim.Options{})
	tests := []struct {
		name, search string
		want         []string // nil = 400 E0000031
	}{
		{"no search omits DEPROVISIONED", "", []string{
			"a@acme.com ACTIVE", `q"uote@acme.com ACTIVE`, "s@acme.com SUSPENDED", "st@acme.com STAGED"}},
		{"email eq ignores case, every status", `profile.email eq "a@ACME.com"`, []string{
			"a.old@corp.acme.com DEPROVISIONED", "a@acme.com ACTIVE"}},
		{"login eq", `profile.login eq "A.OLD@corp.acme.com"`, []string{"a.old@corp.acme.com DEPROVISIONED"}},
		{"or of several", `profile.email eq "d@acme.com" or profile.email eq "st@acme.com" or profile.email eq "nobody@acme.com"`,
			[]string{"d@acme.com DEPROVISIONED", "st@acme.com STAGED"}},
		{"escaped quote", `profile.email eq "q\"uote@acme.com"`, []string{`q"uote@acme.com ACTIVE`}},
		{"quote cannot break out", `profile.email eq "x\" or profile.email eq \"a@acme.com"`, []string{}},
		{"status eq", `status eq "SUSPENDED"`, []string{"s@acme.com SUSPENDED"}},
		{"sw", `profile.email sw "s"`, []string{"s@acme.com SUSPENDED", "st@acme.com STAGED"}},
		{"group attribute", `profile.name eq "Eng"`, nil},
		{"co is not simulated", `profile.email co "acme"`, nil},
		{"unquoted value", `profile.email eq a@acme.com`, nil},
		{"dangling or", `profile.email eq "a@acme.com" or`, nil},
		{"status sw", `status sw "S"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := srv.URL + "/api/v1/users"
			if tt.search != "" {
				u += "?" + url.Values{"search": {tt.search}}.Encode()
			}
			if tt.want == nil {
				var e wireError
				resp := get(t, u, "SSWS "+token, &e)
				if resp.StatusCode != http.StatusBadRequest || e.ErrorCode != "E0000031" {
					t.Errorf("status %d code %q, want 400 E0000031", resp.StatusCode, e.ErrorCode)
				}
				return
			}
			var us []wireUser
			if resp := get(t, u, "SSWS "+token, &us); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			if got := userKeys(us); !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	for _, param := range []string{"filter", "q"} {
		var e wireError
		resp := get(t, srv.URL+"/api/v1/users?"+param+"=a", "SSWS "+token, &e)
		if resp.StatusCode != http.StatusBadRequest || e.ErrorCode != "E0000031" {
			t.Errorf("%s: status %d code %q, want 400 E0000031", param, resp.StatusCode, e.ErrorCode)
		}
	}
}

func TestUserSearchPages(t *testing.T) {
	var users []oktasim.User
	var clauses []string
	for i := range 5 {
		email := fmt.Sprintf("u%d@acme.com", i)
		users = append(users, oktasim.User{Email: email})
		clauses = append(clauses, `profile.email eq "`+email+`"`)
	}
	sim, srv, _ := start(t, oktasim.State{Users: users}, oktasim.Options{})
	next := srv.URL + "/api/v1/users?" + url.Values{"search": {strings.Join(clauses, " or ")}, "limit": {"2"}}.Encode()
	var got []wireUser
	for pages := 0; next != ""; pages++ {
		if pages == 5 {
			t.Fatal("more than 5 pages")
		}
		var us []wireUser
		resp := get(t, next, "SSWS "+token, &us)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page %d: status %d", pages+1, resp.StatusCode)
		}
		got = append(got, us...)
		next = links(t, resp.Header)["next"]
	}
	want := []string{"u0@acme.com ACTIVE", "u1@acme.com ACTIVE", "u2@acme.com ACTIVE", "u3@acme.com ACTIVE", "u4@acme.com ACTIVE"}
	if keys := userKeys(got); !slices.Equal(keys, want) {
		t.Errorf("got %q, want %q", keys, want)
	}
	if n := sim.Requests("/api/v1/users"); n != 3 {
		t.Errorf("%d requests, want 3 pages of at most 2", n)
	}
}

func TestUserSearchRateLimitAndFaults(t *testing.T) {
	sim, srv, _ := start(t, oktasim.State{Users: []oktasim.User{{Email: "a@acme.com"}}}, oktasim.Options{RateLimit: 1})
	u := srv.URL + "/api/v1/users?" + url.Values{"search": {`profile.email eq "a@acme.com"`}}.Encode()
	if resp := get(t, u, "SSWS "+token, nil); resp.StatusCode != http.StatusOK || resp.Header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Fatalf("first: status %d remaining %q, want 200 and 0", resp.StatusCode, resp.Header.Get("X-Rate-Limit-Remaining"))
	}
	// The group listing has a budget of its own.
	if resp := get(t, srv.URL+"/api/v1/groups", "SSWS "+token, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("groups: status %d, want 200", resp.StatusCode)
	}
	if resp := get(t, u, "SSWS "+token, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("second: status %d, want 429", resp.StatusCode)
	}
	sim.Inject(oktasim.Fault{Path: "/api/v1/users", Status: http.StatusInternalServerError})
	if resp := get(t, u, "SSWS "+token, nil); resp.StatusCode != http.StatusInternalServerError {
		t.Fatalf("faulted: status %d, want 500", resp.StatusCode)
	}
}
