package googlesim_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"
	"google.golang.org/api/option"

	"github.com/teamsync/teamsync/providers/google/googlesim"
)

var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

const subject = "admin@acme.com"

// start serves st and returns the simulator, its URL and the key file's JSON.
func start(t *testing.T, st googlesim.State, opts googlesim.Options) (*googlesim.Server, *httptest.Server, []byte) {
	t.Helper()
	if opts.Key == nil {
		opts.Key = testKey()
	}
	sim, err := googlesim.New(st, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	path, err := sim.WriteServiceAccountKey(t.TempDir(), srv.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sim, srv, key
}

// service is the real Directory client authenticated by the real JWT flow.
func service(t *testing.T, srv *httptest.Server, key []byte, scopes ...string) *admin.Service {
	t.Helper()
	if len(scopes) == 0 {
		scopes = googlesim.DefaultDelegatedScopes()
	}
	cfg, err := google.JWTConfigFromJSON(key, scopes...)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Subject = subject
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, srv.Client())
	svc, err := admin.NewService(ctx, option.WithHTTPClient(cfg.Client(ctx)), option.WithEndpoint(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

// apiErr returns the Google error's code and first reason.
func apiErr(t *testing.T, err error) (int, string) {
	t.Helper()
	var gerr *googleapi.Error
	if !errors.As(err, &gerr) {
		t.Fatalf("err = %v, want a *googleapi.Error", err)
	}
	r := ""
	if len(gerr.Errors) > 0 {
		r = gerr.Errors[0].Reason
	}
	return gerr.Code, r
}

var nested = googlesim.State{
	Groups: []googlesim.Group{
		{Email: "top@acme.com", Name: "Top", Aliases: []string{"everyone@acme.com"}, Members: []googlesim.Member{
			{Email: "ann@acme.com", Role: "OWNER"},
			{Email: "mid@acme.com", Type: "GROUP"},
			{Type: "CUSTOMER"},
		}},
		{Email: "mid@acme.com", Members: []googlesim.Member{
			{Email: "bob@acme.com"},
			{Email: "leaf@acme.com", Type: "GROUP"},
		}},
		{Email: "leaf@acme.com", Members: []googlesim.Member{
			{Email: "cat@acme.com", Status: "-"},
			{Email: "ann@acme.com"},
			{Email: "top@acme.com", Type: "GROUP"}, // a cycle
		}},
	},
	Users: []googlesim.User{
		{Email: "bob@acme.com", Suspended: true},
		{Email: "cat@acme.com", Archived: true, Aliases: []string{"c.at@acme.com"}},
	},
}

// rowsOf lists a group through the library's own pager with small pages.
func rowsOf(t *testing.T, svc *admin.Service, group string, derived bool) []string {
	t.Helper()
	var out []string
	err := svc.Members.List(group).IncludeDerivedMembership(derived).MaxResults(2).Pages(context.Background(), func(p *admin.Members) error {
		if p.Kind != "admin#directory#members" || p.Etag == "" {
			t.Errorf("page envelope kind=%q etag=%q", p.Kind, p.Etag)
		}
		for _, m := range p.Members {
			out = append(out, m.Type+" "+m.Email+" "+m.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list %s: %v", group, err)
	}
	return out
}

func TestMembersList(t *testing.T) {
	_, srv, key := start(t, nested, googlesim.Options{})
	svc := service(t, srv, key)
	tests := []struct {
		group   string
		derived bool
		want    []string
	}{
		{"top@acme.com", false, []string{"USER ann@acme.com ACTIVE", "GROUP mid@acme.com ACTIVE", "CUSTOMER  "}},
		{"everyone@acme.com", true, []string{
			"USER ann@acme.com ACTIVE", "GROUP mid@acme.com ACTIVE", "CUSTOMER  ",
			"USER bob@acme.com SUSPENDED", "GROUP leaf@acme.com ACTIVE",
			"USER cat@acme.com ", "GROUP top@acme.com ACTIVE",
		}},
		{"leaf@acme.com", true, []string{
			"USER cat@acme.com ", "USER ann@acme.com ACTIVE", "GROUP top@acme.com ACTIVE",
			"GROUP mid@acme.com ACTIVE", "CUSTOMER  ", "USER bob@acme.com SUSPENDED", "GROUP leaf@acme.com ACTIVE",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.group, func(t *testing.T) {
			if got := rowsOf(t, svc, tt.group, tt.derived); !slices.Equal(got, tt.want) {
				t.Errorf("rows =\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestGroupAndUserEnvelopes(t *testing.T) {
	_, srv, key := start(t, nested, googlesim.Options{})
	svc := service(t, srv, key)
	g, err := svc.Groups.Get("everyone@acme.com").Do()
	if err != nil {
		t.Fatal(err)
	}
	// directMembersCount travels as a string; the library decodes it.
	if g.Email != "top@acme.com" || g.Name != "Top" || g.DirectMembersCount != 3 || g.Kind != "admin#directory#group" || g.Id == "" {
		t.Errorf("group = %+v", g)
	}
	byID, err := svc.Groups.Get(g.Id).Do()
	if err != nil || byID.Email != "top@acme.com" {
		t.Errorf("get by id = %+v, %v", byID, err)
	}
	// The nested group's member row carries the id groups.get gives it.
	rows, err := svc.Members.List("top@acme.com").Do()
	if err != nil {
		t.Fatal(err)
	}
	mid, err := svc.Groups.Get("mid@acme.com").Do()
	if err != nil || rows.Members[1].Id != mid.Id {
		t.Errorf("member row id %q, groups.get id %q (%v)", rows.Members[1].Id, mid.Id, err)
	}
	u, err := svc.Users.Get("c.at@acme.com").Projection("basic").Do()
	if err != nil {
		t.Fatal(err)
	}
	if u.PrimaryEmail != "cat@acme.com" || !u.Archived || u.Suspended || u.Kind != "admin#directory#user" {
		t.Errorf("user = %+v", u)
	}
	_, err = svc.Users.Get("nobody@acme.com").Do()
	if code, reason := apiErr(t, err); code != 404 || reason != "notFound" {
		t.Errorf("missing user: %d %s", code, reason)
	}
	_, err = svc.Groups.Get("nobody@acme.com").Do()
	if code, reason := apiErr(t, err); code != 404 || reason != "notFound" {
		t.Errorf("missing group: %d %s", code, reason)
	}
}

func TestMembersListRejectsBadPaging(t *testing.T) {
	_, srv, key := start(t, nested, googlesim.Options{})
	svc := service(t, srv, key)
	page, err := svc.Members.List("top@acme.com").MaxResults(1).Do()
	if err != nil || page.NextPageToken == "" {
		t.Fatalf("first page: %+v, %v", page, err)
	}
	calls := map[string]*admin.MembersListCall{
		"maxResults too big":         svc.Members.List("top@acme.com").MaxResults(201),
		"garbage token":              svc.Members.List("top@acme.com").PageToken("garbage"),
		"token of another group":     svc.Members.List("mid@acme.com").PageToken(page.NextPageToken),
		"token of the other listing": svc.Members.List("top@acme.com").IncludeDerivedMembership(true).PageToken(page.NextPageToken),
	}
	for name, c := range calls {
		t.Run(name, func(t *testing.T) {
			_, err := c.Do()
			if code, reason := apiErr(t, err); code != 400 || reason != "invalid" {
				t.Errorf("got %d %s, want 400 invalid", code, reason)
			}
		})
	}
}

func TestDirectoryRequiresAValidToken(t *testing.T) {
	sim, srv, key := start(t, nested, googlesim.Options{})
	tests := []struct {
		name   string
		header string
		code   int
		reason string
	}{
		{"no header", "", 401, "required"},
		{"not bearer", "Basic dXNlcjpwYXNz", 401, "required"},
		{"unknown token", "Bearer ya29.made-up", 401, "authError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+"/admin/directory/v1/groups/top@acme.com", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			err = googleapi.CheckResponse(resp)
			resp.Body.Close()
			if code, reason := apiErr(t, err); code != tt.code || reason != tt.reason {
				t.Errorf("got %d %s, want %d %s", code, reason, tt.code, tt.reason)
			}
		})
	}
	t.Run("scope of another endpoint", func(t *testing.T) {
		svc := service(t, srv, key, admin.AdminDirectoryUserReadonlyScope)
		_, err := svc.Groups.Get("top@acme.com").Do()
		if code, reason := apiErr(t, err); code != 403 || reason != "insufficientPermissions" {
			t.Errorf("got %d %s", code, reason)
		}
		if _, err := svc.Users.Get("bob@acme.com").Do(); err != nil {
			t.Errorf("users.get with the user scope: %v", err)
		}
	})
	if got := sim.LastTokenRequest().Scopes; !slices.Equal(got, []string{admin.AdminDirectoryUserReadonlyScope}) {
		t.Errorf("last token scopes = %v", got)
	}
}

func TestSetMembersAndSetUser(t *testing.T) {
	sim, srv, key := start(t, nested, googlesim.Options{})
	svc := service(t, srv, key)
	if err := sim.SetMembers("mid@acme.com", []googlesim.Member{{Email: "dee@acme.com", Role: "MANAGER"}}); err != nil {
		t.Fatal(err)
	}
	if err := sim.SetUser(googlesim.User{Email: "dee@acme.com", Suspended: true}); err != nil {
		t.Fatal(err)
	}
	if got, want := rowsOf(t, svc, "mid@acme.com", false), []string{"USER dee@acme.com SUSPENDED"}; !slices.Equal(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
	if err := sim.SetMembers("nope@acme.com", nil); err == nil {
		t.Error("SetMembers of a missing group: want an error")
	}
	if err := sim.SetMembers("mid@acme.com", []googlesim.Member{{Type: "ROBOT", Email: "x@acme.com"}}); err == nil {
		t.Error("SetMembers with a bad type: want an error")
	}
}

func TestHiddenEmailRow(t *testing.T) {
	_, srv, key := start(t, googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com", Members: []googlesim.Member{
		{Email: "ann@acme.com", HideEmail: true},
		{Type: "CUSTOMER"},
	}}}}, googlesim.Options{})
	resp, err := service(t, srv, key).Members.List("eng@acme.com").Do()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range resp.Members {
		got = append(got, m.Type+" "+m.Id+" "+m.Email+" "+m.Status)
	}
	want := []string{"USER " + googlesim.UserID("ann@acme.com") + "  ACTIVE", "CUSTOMER " + googlesim.CustomerID + "  "}
	if !slices.Equal(got, want) {
		t.Errorf("rows = %q, want %q", got, want)
	}
}

func TestStallFault(t *testing.T) {
	// The channel is closed before the request, so the stall ends at once
	// and the connection drops; what was sent before it is the fault's.
	tests := []struct {
		name         string
		afterHeaders bool
	}{
		{"before headers", false},
		{"after headers", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv, _ := start(t, nested, googlesim.Options{})
			const path = "/admin/directory/v1/groups/top@acme.com"
			released := make(chan struct{})
			close(released)
			sim.Inject(googlesim.Fault{Path: path, Stall: released, AfterHeaders: tt.afterHeaders})
			resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Get(srv.URL + path)
			if !tt.afterHeaders {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got status %d, want the connection dropped without an answer", resp.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("want the headers, got %v", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("status %d, want 200", resp.StatusCode)
			}
			if body, err := io.ReadAll(resp.Body); err == nil {
				t.Errorf("body %q read completely, want it cut off", body)
			}
			if n := sim.Requests(path); n != 1 {
				t.Errorf("requests = %d, want 1", n)
			}
		})
	}
}

func TestFaultsAndCounts(t *testing.T) {
	sim, srv, key := start(t, nested, googlesim.Options{})
	svc := service(t, srv, key)
	const path = "/admin/directory/v1/groups/top@acme.com"
	sim.Inject(googlesim.Fault{Path: path, After: 1, Times: 2, Status: 403, Reason: "userRateLimitExceeded"})
	var got []string
	for range 4 {
		_, err := svc.Groups.Get("top@acme.com").Do()
		if err == nil {
			got = append(got, "ok")
			continue
		}
		code, reason := apiErr(t, err)
		got = append(got, http.StatusText(code)+" "+reason)
	}
	want := []string{"ok", "Forbidden userRateLimitExceeded", "Forbidden userRateLimitExceeded", "ok"}
	if !slices.Equal(got, want) {
		t.Errorf("outcomes = %q, want %q", got, want)
	}
	if sim.Requests(path) != 4 || sim.Requests("/token") != 1 || sim.TotalRequests() != 5 {
		t.Errorf("requests: path %d, token %d, total %d", sim.Requests(path), sim.Requests("/token"), sim.TotalRequests())
	}
	sim.ResetCounts()
	sim.Inject(googlesim.Fault{Status: 500}) // every path from now on
	if _, err := svc.Users.Get("bob@acme.com").Do(); err == nil {
		t.Error("want the catch-all fault")
	}
	sim.ClearFaults()
	if _, err := svc.Users.Get("bob@acme.com").Do(); err != nil {
		t.Errorf("after ClearFaults: %v", err)
	}
	if sim.RequestsWithPrefix("/admin/directory/v1/users/") != 2 || sim.TotalRequests() != 2 {
		t.Errorf("after reset: users %d, total %d", sim.RequestsWithPrefix("/admin/directory/v1/users/"), sim.TotalRequests())
	}
}
