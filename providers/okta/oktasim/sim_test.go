package oktasim_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

const token = "00simTESTtoken"

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func start(t *testing.T, st oktasim.State, opts oktasim.Options) (*oktasim.Server, *httptest.Server, *clock) {
	t.Helper()
	c := &clock{now: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.Token == "" && opts.ClientID == "" {
		opts.Token = token
	}
	sim := oktasim.New(st, opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return sim, srv, c
}

// get sends an authenticated GET and decodes a JSON body into v (when v
// is not nil).
func get(t *testing.T, rawURL, auth string, v any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("decode %s: %v\n%s", rawURL, err, body)
		}
	}
	return resp
}

type wireGroup struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	Links map[string]struct {
		Href string `json:"href"`
	} `json:"_links"`
}

type wireUser struct {
	ID      string         `json:"id"`
	Status  string         `json:"status"`
	Profile map[string]any `json:"profile"`
}

type wireError struct {
	ErrorCode    string `json:"errorCode"`
	ErrorSummary string `json:"errorSummary"`
}

func groupsNamed(names ...string) oktasim.State {
	var st oktasim.State
	for _, n := range names {
		st.Groups = append(st.Groups, oktasim.Group{Name: n})
	}
	return st
}

// links parses Link headers into rel → URL; it fails on a comma-joined one.
func links(t *testing.T, h http.Header) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range h.Values("Link") {
		target, rel, ok := strings.Cut(l, ">; rel=")
		if !ok || strings.Contains(rel, ",") {
			t.Fatalf("malformed Link header %q", l)
		}
		out[strings.Trim(rel, `"`)] = strings.TrimPrefix(target, "<")
	}
	return out
}

func TestListGroupsPagesWithSeparateLinks(t *testing.T) {
	_, srv, _ := start(t, groupsNamed("a", "b", "c"), oktasim.Options{})
	var page1 []wireGroup
	resp := get(t, srv.URL+"/api/v1/groups?limit=2", "SSWS "+token, &page1)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if got := len(resp.Header.Values("Link")); got != 2 {
		t.Fatalf("%d Link headers, want self and next as two", got)
	}
	l := links(t, resp.Header)
	if l["self"] != srv.URL+"/api/v1/groups?limit=2" {
		t.Errorf("self %q", l["self"])
	}
	next, err := url.Parse(l["next"])
	if err != nil || next.Query().Get("after") != page1[1].ID || next.Query().Get("limit") != "2" {
		t.Errorf("next %q: want after=%s&limit=2", l["next"], page1[1].ID)
	}
	var page2 []wireGroup
	resp = get(t, l["next"], "SSWS "+token, &page2)
	if _, ok := links(t, resp.Header)["next"]; ok {
		t.Error("last page has a next link")
	}
	var names []string
	for _, g := range append(page1, page2...) {
		names = append(names, g.Profile.Name)
		if g.Type != "OKTA_GROUP" || g.Links["users"].Href != srv.URL+"/api/v1/groups/"+g.ID+"/users" {
			t.Errorf("group %+v: want type OKTA_GROUP and a users link", g)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"a", "b", "c"}) {
		t.Errorf("groups across pages %q", names)
	}
}

func TestSearchAndFilter(t *testing.T) {
	st := oktasim.State{Groups: []oktasim.Group{
		{Name: "Platform Engineers"}, {Name: "platform engineers"}, {Name: "Platform"},
		{Name: `Ops "Core"`}, {Name: "AD", Type: oktasim.TypeAppGroup}, {Name: "Everyone", Type: oktasim.TypeBuiltIn},
	}}
	sim, srv, _ := start(t, st, oktasim.Options{})
	adID, _ := sim.GroupID("AD")
	tests := []struct {
		param, expr string
		want        []string // sorted names; nil = 400
	}{
		{"search", `profile.name eq "Platform Engineers"`, []string{"Platform Engineers", "platform engineers"}},
		{"search", `profile.name sw "plat"`, []string{"Platform", "Platform Engineers", "platform engineers"}},
		{"search", `profile.name eq "Ops \"Core\""`, []string{`Ops "Core"`}},
		{"search", `type eq "APP_GROUP" or type eq "BUILT_IN"`, []string{"AD", "Everyone"}},
		{"search", `profile.name sw "P" and type eq "OKTA_GROUP"`, []string{"Platform", "Platform Engineers", "platform engineers"}},
		// Names resolved many at a time: eq clauses joined by or.
		{"search", `profile.name eq "Platform" or profile.name eq "AD" or profile.name eq "Ops \"Core\""`, []string{"AD", `Ops "Core"`, "Platform"}},
		{"search", `profile.name eq "platform engineers" OR profile.name eq "nobody"`, []string{"Platform Engineers", "platform engineers"}},
		{"search", `profile.name eq "Platform" and type eq "APP_GROUP" or profile.name eq "AD"`, []string{"AD"}}, // and binds tighter
		{"search", `profile.name eq "a or profile.name eq Platform"`, []string{}},                                // or inside a string is text
		{"filter", `type eq "BUILT_IN"`, []string{"Everyone"}},
		{"filter", `id eq "` + adID + `"`, []string{"AD"}},
		{"filter", `lastMembershipUpdated gt "2026-01-01T00:00:00.000Z"`, []string{"AD", "Everyone", `Ops "Core"`, "Platform", "Platform Engineers", "platform engineers"}},
		{"filter", `profile.name eq "Platform"`, nil}, // filter does not take profile attributes
		{"search", `profile.name eq Platform`, nil},
		{"search", `profile.name eq "Platform`, nil},
		{"search", `profile.name co "Plat"`, nil},
		{"search", `profile.name eq "a" xor type eq "b"`, nil},
		{"search", `profile.name eq "a" or`, nil},
		{"search", `or profile.name eq "a"`, nil},
		{"search", `profile.name eq "a" or or profile.name eq "b"`, nil},
		{"search", `profile.name eq "a" "or" profile.name eq "b"`, nil},
		{"search", `profile.name eq "a" profile.name eq "b"`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.param+" "+tt.expr, func(t *testing.T) {
			u := srv.URL + "/api/v1/groups?" + url.Values{tt.param: {tt.expr}}.Encode()
			if tt.want == nil {
				var e wireError
				resp := get(t, u, "SSWS "+token, &e)
				if resp.StatusCode != http.StatusBadRequest || e.ErrorCode != "E0000031" {
					t.Errorf("status %d code %q, want 400 E0000031", resp.StatusCode, e.ErrorCode)
				}
				return
			}
			var gs []wireGroup
			if resp := get(t, u, "SSWS "+token, &gs); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			var names []string
			for _, g := range gs {
				names = append(names, g.Profile.Name)
			}
			slices.Sort(names)
			if !slices.Equal(names, tt.want) {
				t.Errorf("got %q, want %q", names, tt.want)
			}
		})
	}
}

func TestQIsAPrefixMatchWithoutPaging(t *testing.T) {
	_, srv, _ := start(t, groupsNamed("eng-a", "eng-b", "ENG-c", "ops"), oktasim.Options{})
	var gs []wireGroup
	resp := get(t, srv.URL+"/api/v1/groups?q=eng&limit=2", "SSWS "+token, &gs)
	if len(gs) != 2 {
		t.Errorf("got %d groups, want 2 (limit)", len(gs))
	}
	if _, ok := links(t, resp.Header)["next"]; ok {
		t.Error("q results have a next link; Okta's cannot be paged")
	}
}

func TestGroupUsersPagesAndShapes(t *testing.T) {
	st := oktasim.State{Groups: []oktasim.Group{{Name: "Eng", Users: []oktasim.User{
		{Email: "a@acme.com"}, {Email: "B@Acme.com", Login: "b@corp.acme.com", Status: "SUSPENDED"},
		{Login: "c@corp.acme.com"},
	}}}}
	sim, srv, _ := start(t, st, oktasim.Options{})
	id, _ := sim.GroupID("Eng")
	var all []wireUser
	next := srv.URL + "/api/v1/groups/" + id + "/users?limit=1"
	for pages := 0; next != ""; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		var page []wireUser
		resp := get(t, next, "SSWS "+token, &page)
		all = append(all, page...)
		next = links(t, resp.Header)["next"]
	}
	byLogin := map[string]wireUser{}
	for _, u := range all {
		byLogin[u.Profile["login"].(string)] = u
	}
	tests := []struct {
		login, email, status string
	}{
		{"a@acme.com", "a@acme.com", "ACTIVE"},
		{"b@corp.acme.com", "B@Acme.com", "SUSPENDED"},
		{"c@corp.acme.com", "", "ACTIVE"},
	}
	if len(all) != len(tests) {
		t.Fatalf("got %d users over the pages, want %d", len(all), len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			u, ok := byLogin[tt.login]
			if !ok {
				t.Fatal("missing")
			}
			email, has := u.Profile["email"]
			if tt.email == "" && has {
				t.Errorf("profile.email %v, want it absent", email)
			}
			if tt.email != "" && email != tt.email {
				t.Errorf("profile.email %v, want %q verbatim", email, tt.email)
			}
			if u.Status != tt.status || !strings.HasPrefix(u.ID, "00u") || len(u.ID) != 20 {
				t.Errorf("user %+v: want status %s and an Okta user ID", u, tt.status)
			}
		})
	}
}

func TestNotFoundAndAuthErrors(t *testing.T) {
	sim, srv, _ := start(t, groupsNamed("Eng"), oktasim.Options{})
	id, _ := sim.GroupID("Eng")
	tests := []struct {
		name, path, auth string
		status           int
		code             string
	}{
		{"get group", "/api/v1/groups/" + id, "SSWS " + token, 200, ""},
		{"unknown group", "/api/v1/groups/00gNOPE00000000000001", "SSWS " + token, 404, "E0000007"},
		{"unknown group users", "/api/v1/groups/00gNOPE00000000000001/users", "SSWS " + token, 404, "E0000007"},
		{"wrong token", "/api/v1/groups", "SSWS nope", 401, "E0000011"},
		{"no token", "/api/v1/groups", "", 401, "E0000011"},
		{"bearer not issued", "/api/v1/groups", "Bearer " + token, 401, "E0000011"},
		{"bad limit", "/api/v1/groups?limit=0", "SSWS " + token, 400, "E0000001"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e wireError
			var v any = &e
			if tt.code == "" {
				v = nil
			}
			resp := get(t, srv.URL+tt.path, tt.auth, v)
			if resp.StatusCode != tt.status || e.ErrorCode != tt.code {
				t.Errorf("status %d code %q, want %d %q", resp.StatusCode, e.ErrorCode, tt.status, tt.code)
			}
			if resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
}

func TestRateLimitWindow(t *testing.T) {
	sim, srv, c := start(t, groupsNamed("Eng"), oktasim.Options{RateLimit: 2})
	id, _ := sim.GroupID("Eng")
	windowEnd := strconv.FormatInt(c.Now().Add(time.Minute).Unix(), 10)
	tests := []struct {
		name      string
		advance   time.Duration
		path      string
		status    int
		remaining string
		reset     string
	}{
		{"first", 0, "/api/v1/groups", 200, "1", windowEnd},
		{"second, later in the window", 30 * time.Second, "/api/v1/groups/" + id + "/users", 200, "0", windowEnd},
		{"over budget", 0, "/api/v1/groups", 429, "0", windowEnd},
		{"one group has its own bucket", 0, "/api/v1/groups/" + id, 200, "1",
			strconv.FormatInt(c.Now().Add(30*time.Second+time.Minute).Unix(), 10)},
		{"new window", 30 * time.Second, "/api/v1/groups", 200, "1",
			strconv.FormatInt(c.Now().Add(time.Minute+time.Minute).Unix(), 10)},
	}
	for _, tt := range tests {
		c.Advance(tt.advance)
		var e wireError
		var v any
		if tt.status != 200 {
			v = &e
		}
		resp := get(t, srv.URL+tt.path, "SSWS "+token, v)
		h := resp.Header
		if resp.StatusCode != tt.status || h.Get("X-Rate-Limit-Limit") != "2" ||
			h.Get("X-Rate-Limit-Remaining") != tt.remaining || h.Get("X-Rate-Limit-Reset") != tt.reset {
			t.Errorf("%s: status %d limit %s remaining %s reset %s; want %d 2 %s %s", tt.name, resp.StatusCode,
				h.Get("X-Rate-Limit-Limit"), h.Get("X-Rate-Limit-Remaining"), h.Get("X-Rate-Limit-Reset"),
				tt.status, tt.remaining, tt.reset)
		}
		if tt.status == 429 && e.ErrorCode != "E0000047" {
			t.Errorf("%s: code %q, want E0000047", tt.name, e.ErrorCode)
		}
		if d, err := http.ParseTime(h.Get("Date")); err != nil || !d.Equal(c.Now()) {
			t.Errorf("%s: Date %q, want the simulator's clock %v", tt.name, h.Get("Date"), c.Now())
		}
	}
}

func TestFaults(t *testing.T) {
	sim, srv, _ := start(t, groupsNamed("Eng"), oktasim.Options{})
	const path = "/api/v1/groups"
	sim.Inject(oktasim.Fault{Path: path, Nth: 2, Times: 2, Status: http.StatusServiceUnavailable})
	sim.Inject(oktasim.Fault{Path: path, Nth: 4, Status: http.StatusTooManyRequests, NoRateHeaders: true})
	sim.Inject(oktasim.Fault{Path: path, Nth: 5, Malformed: true})
	sim.Inject(oktasim.Fault{Path: path, Nth: 6, Hangup: true})
	want := []struct {
		status  int
		noRate  bool
		badBody bool
	}{
		{200, false, false}, {503, false, false}, {503, false, false},
		{429, true, false}, {200, false, true}, {0, false, false}, {200, false, false},
	}
	for i, w := range want {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Authorization", "SSWS "+token)
		resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
		if w.status == 0 {
			if err == nil {
				resp.Body.Close()
				t.Errorf("request %d: got an answer, want the connection dropped", i+1)
			}
			continue
		}
		if err != nil {
			t.Fatalf("request %d: %v", i+1, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != w.status {
			t.Errorf("request %d: status %d, want %d", i+1, resp.StatusCode, w.status)
		}
		hasRate := resp.Header.Get("Date") != "" && resp.Header.Get("X-Rate-Limit-Reset") != ""
		if hasRate == w.noRate {
			t.Errorf("request %d: Date/X-Rate-Limit-Reset present %v, want %v", i+1, hasRate, !w.noRate)
		}
		if json.Valid(body) == w.badBody {
			t.Errorf("request %d: body valid JSON %v, want %v: %s", i+1, json.Valid(body), !w.badBody, body)
		}
	}
	if n := sim.Requests(path); n != len(want) {
		t.Errorf("Requests(%q) = %d, want %d", path, n, len(want))
	}
	if n := sim.TotalRequests(); n != len(want) {
		t.Errorf("TotalRequests = %d, want %d", n, len(want))
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
			sim, srv, _ := start(t, groupsNamed("Eng"), oktasim.Options{})
			const path = "/api/v1/groups"
			released := make(chan struct{})
			close(released)
			sim.Inject(oktasim.Fault{Path: path, Stall: released, AfterHeaders: tt.afterHeaders})
			req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
			req.Header.Set("Authorization", "SSWS "+token)
			resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
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
			if resp.StatusCode != http.StatusOK || resp.Header.Get("X-Rate-Limit-Reset") == "" {
				t.Errorf("status %d, headers %v: want 200 with the rate-limit headers", resp.StatusCode, resp.Header)
			}
			if body, err := io.ReadAll(resp.Body); err == nil {
				t.Errorf("body %q read completely, want it cut off", body)
			}
		})
	}
}

func TestIDsAreDeterministic(t *testing.T) {
	st := oktasim.State{Groups: []oktasim.Group{
		{Name: "Eng", Users: []oktasim.User{{Email: "a@acme.com"}}},
		{Name: "Eng", Users: []oktasim.User{{Email: "A@acme.com"}}}, // the same login, other case
		{ID: "00gFIXED000000000001", Name: "Ops"},
	}}
	read := func() (groupIDs, userIDs []string) {
		_, srv, _ := start(t, st, oktasim.Options{})
		var gs []wireGroup
		get(t, srv.URL+"/api/v1/groups", "SSWS "+token, &gs)
		for _, g := range gs {
			groupIDs = append(groupIDs, g.ID)
			var us []wireUser
			get(t, srv.URL+"/api/v1/groups/"+g.ID+"/users", "SSWS "+token, &us)
			for _, u := range us {
				userIDs = append(userIDs, u.ID)
			}
		}
		return groupIDs, userIDs
	}
	groups1, users1 := read()
	groups2, users2 := read()
	if !slices.Equal(groups1, groups2) || !slices.Equal(users1, users2) {
		t.Errorf("IDs differ between servers: %q %q vs %q %q", groups1, users1, groups2, users2)
	}
	if len(groups1) != 3 || !slices.Contains(groups1, "00gFIXED000000000001") || len(slices.Compact(slices.Sorted(slices.Values(groups1)))) != 3 {
		t.Errorf("group IDs %q: want three distinct, one of them the fixed ID", groups1)
	}
	if len(users1) != 2 || users1[0] != users1[1] {
		t.Errorf("user IDs %q: the same login in two groups should be one user", users1)
	}
	if len(users1) > 0 && users1[0] != oktasim.UserID("a@acme.com") {
		t.Errorf("user ID %q, want UserID's %q", users1[0], oktasim.UserID("a@acme.com"))
	}
}

func TestSetGroupUsers(t *testing.T) {
	sim, srv, c := start(t, oktasim.State{Groups: []oktasim.Group{
		{Name: "Eng", Users: []oktasim.User{{Email: "old@acme.com"}}}, {Name: "Dup"}, {Name: "Dup"},
	}}, oktasim.Options{})
	c.Advance(time.Hour)
	if err := sim.SetGroupUsers("Eng", []oktasim.User{{Email: "new@acme.com", Status: "LOCKED_OUT"}}); err != nil {
		t.Fatal(err)
	}
	id, _ := sim.GroupID("Eng")
	var us []wireUser
	get(t, srv.URL+"/api/v1/groups/"+id+"/users", "SSWS "+token, &us)
	if len(us) != 1 || us[0].Profile["email"] != "new@acme.com" || us[0].Status != "LOCKED_OUT" {
		t.Errorf("users after SetGroupUsers: %+v", us)
	}
	// lastMembershipUpdated moved, so a filter on it finds the group.
	var gs []wireGroup
	since := c.Now().Add(-time.Minute).Format("2006-01-02T15:04:05.000Z")
	get(t, srv.URL+"/api/v1/groups?"+url.Values{"filter": {`lastMembershipUpdated gt "` + since + `"`}}.Encode(), "SSWS "+token, &gs)
	if len(gs) != 1 || gs[0].ID != id {
		t.Errorf("groups changed since %s: %+v, want only Eng", since, gs)
	}
	tests := []struct {
		group string
		users []oktasim.User
		want  string
	}{
		{"Nope", nil, `oktasim: no group "Nope"`},
		{"Dup", nil, `oktasim: 2 groups are named "Dup"; use an ID`},
		{"Eng", []oktasim.User{{Status: "ACTIVE"}}, "oktasim: users[0]: needs an email or a login"},
		{"Eng", []oktasim.User{{Email: "x@acme.com", Status: "GONE"}}, `oktasim: users[0]: unknown status "GONE"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if err := sim.SetGroupUsers(tt.group, tt.users); err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}

// TestAddRemoveGroupUser: one person joins or leaves a group, as an admin
// would do in the console, and the API shows it.
func TestAddRemoveGroupUser(t *testing.T) {
	sim, srv, _ := start(t, oktasim.State{Groups: []oktasim.Group{
		{Name: "Eng", Users: []oktasim.User{{Email: "old@acme.com"}}},
	}}, oktasim.Options{})
	id, _ := sim.GroupID("Eng")
	emails := func() []string {
		var us []wireUser
		get(t, srv.URL+"/api/v1/groups/"+id+"/users", "SSWS "+token, &us)
		var out []string
		for _, u := range us {
			out = append(out, u.Profile["email"].(string)+" "+u.Status)
		}
		slices.Sort(out)
		return out
	}
	if err := sim.AddGroupUser("Eng", oktasim.User{Email: "new@acme.com"}); err != nil {
		t.Fatal(err)
	}
	if err := sim.AddGroupUser(id, oktasim.User{Email: "new@acme.com", Status: "SUSPENDED"}); err != nil {
		t.Fatal(err) // already there: left as is
	}
	if got, want := emails(), []string{"new@acme.com ACTIVE", "old@acme.com ACTIVE"}; !slices.Equal(got, want) {
		t.Errorf("after AddGroupUser: %q, want %q", got, want)
	}
	if gone, err := sim.RemoveGroupUser("Eng", "old@acme.com"); !gone || err != nil {
		t.Fatalf("RemoveGroupUser = %v, %v", gone, err)
	}
	if gone, err := sim.RemoveGroupUser("Eng", "nobody@acme.com"); gone || err != nil {
		t.Errorf("RemoveGroupUser of a non-member = %v, %v; want false, nil", gone, err)
	}
	if got, want := emails(), []string{"new@acme.com ACTIVE"}; !slices.Equal(got, want) {
		t.Errorf("after RemoveGroupUser: %q, want %q", got, want)
	}
	if err := sim.AddGroupUser("Nope", oktasim.User{Email: "x@acme.com"}); err == nil || err.Error() != `oktasim: no group "Nope"` {
		t.Errorf("AddGroupUser to a missing group: %v", err)
	}
	if err := sim.AddGroupUser("Eng", oktasim.User{}); err == nil || err.Error() != "oktasim: add user: needs an email or a login" {
		t.Errorf("AddGroupUser without an email: %v", err)
	}
}

func TestLoadState(t *testing.T) {
	st, err := oktasim.LoadState("testdata/state.yaml")
	if err != nil {
		t.Fatal(err)
	}
	want := oktasim.State{Groups: []oktasim.Group{
		{Name: "Platform Engineers", Users: []oktasim.User{
			{Email: "alice@acme.com"}, {Email: "Bob@Acme.com", Login: "bob@corp.acme.com", Status: "SUSPENDED"}}},
		{ID: "00gMOBILE00000000001", Name: "Mobile", Type: "APP_GROUP", Users: []oktasim.User{
			{Login: "carol@corp.acme.com", Status: "LOCKED_OUT"}}},
		{Name: "Everyone", Type: "BUILT_IN", Users: []oktasim.User{}},
	}}
	if fmt.Sprint(st) != fmt.Sprint(want) {
		t.Errorf("got %+v\nwant %+v", st, want)
	}

	tests := []struct {
		name, yaml, want string
	}{
		{"unknown key", "groups:\n  - name: a\n    members: []\n", "field members not found"},
		{"bad status", "groups:\n  - name: a\n    users: [{email: x@a.com, status: GONE}]\n", `groups[0].users[0]: unknown status "GONE"`},
		{"bad type", "groups:\n  - name: a\n    type: RULE\n", `groups[0]: unknown type "RULE"`},
		{"no name", "groups:\n  - users: []\n", "groups[0]: name is empty"},
		{"bad id", "groups:\n  - {id: 123, name: a}\n", `groups[0]: id "123" is not 00g followed by 17 letters or digits`},
		{"duplicate id", "groups:\n  - {id: 00gAAAAAAAAAAAAAAAAA, name: a}\n  - {id: 00gAAAAAAAAAAAAAAAAA, name: b}\n", `groups[1]: duplicate id "00gAAAAAAAAAAAAAAAAA"`},
		{"user without email or login", "groups:\n  - name: a\n    users: [{status: ACTIVE}]\n", "groups[0].users[0]: needs an email or a login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := oktasim.LoadState(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestOrSearchPages(t *testing.T) {
	// A batched name search pages like any other: the next link keeps the
	// search, and every page holds only groups it matches.
	var names, want []string
	for i := range 9 {
		names = append(names, fmt.Sprintf("g%d", i))
	}
	sim, srv, _ := start(t, groupsNamed(names...), oktasim.Options{})
	var clauses []string
	for _, n := range names[:5] {
		clauses = append(clauses, `profile.name eq "`+n+`"`)
		want = append(want, n)
	}
	next := srv.URL + "/api/v1/groups?" + url.Values{"search": {strings.Join(clauses, " or ")}, "limit": {"2"}}.Encode()
	var got []string
	for pages := 0; next != ""; pages++ {
		if pages == 5 {
			t.Fatal("more than 5 pages")
		}
		var gs []wireGroup
		resp := get(t, next, "SSWS "+token, &gs)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("page %d: status %d", pages+1, resp.StatusCode)
		}
		for _, g := range gs {
			got = append(got, g.Profile.Name)
		}
		next = links(t, resp.Header)["next"]
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if n := sim.Requests("/api/v1/groups"); n != 3 {
		t.Errorf("%d requests, want 3 pages of at most 2", n)
	}
}

func TestLongRequestURI(t *testing.T) {
	sim, srv, _ := start(t, groupsNamed("Eng"), oktasim.Options{RateLimit: 1})
	long := `profile.name eq "` + strings.Repeat("x", 8200) + `"`
	tests := []struct {
		name   string
		search string
		status int
	}{
		{"over 8 KiB", long, http.StatusRequestURITooLong},
		{"under, and the refusal spent no budget", `profile.name eq "Eng"`, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := get(t, srv.URL+"/api/v1/groups?"+url.Values{"search": {tt.search}}.Encode(), "SSWS "+token, nil)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tt.status)
			}
		})
	}
	if n := sim.Requests("/api/v1/groups"); n != 2 {
		t.Errorf("Requests = %d, want 2 (refused requests count)", n)
	}
}

func TestEchoAuthorizationFault(t *testing.T) {
	sim, srv, _ := start(t, groupsNamed("Eng"), oktasim.Options{})
	sim.Inject(oktasim.Fault{EchoAuthorization: true})
	var e struct {
		wireError
		ErrorCauses []map[string]string `json:"errorCauses"`
	}
	resp := get(t, srv.URL+"/api/v1/groups", "SSWS "+token, &e)
	if resp.StatusCode != http.StatusUnauthorized || e.ErrorCode != "E0000011" {
		t.Fatalf("status %d code %q, want 401 E0000011", resp.StatusCode, e.ErrorCode)
	}
	if want := "Invalid token provided: Authorization: SSWS " + token; e.ErrorSummary != want {
		t.Errorf("errorSummary %q, want %q", e.ErrorSummary, want)
	}
	if len(e.ErrorCauses) != 1 || !strings.HasSuffix(e.ErrorCauses[0]["errorSummary"], " "+token) {
		t.Errorf("errorCauses %v, want one quoting the credential alone", e.ErrorCauses)
	}
}

func TestReshapingFaults(t *testing.T) {
	// Each fault lets the request through and rewrites the 200 page; the
	// Link headers stay, so the page still says there is another.
	st := oktasim.State{Groups: []oktasim.Group{{Name: "Eng", Users: []oktasim.User{
		{Email: "a@acme.com"}, {Email: "b@acme.com", Status: "SUSPENDED"}, {Email: "c@acme.com"},
	}}}}
	tests := []struct {
		name  string
		fault oktasim.Fault
		check func(t *testing.T, body []byte)
	}{
		{"null page", oktasim.Fault{NullPage: true}, func(t *testing.T, body []byte) {
			if strings.TrimSpace(string(body)) != "null" {
				t.Errorf("body %s, want null", body)
			}
		}},
		{"page as object", oktasim.Fault{PageAsObject: true}, func(t *testing.T, body []byte) {
			var u wireUser
			if err := json.Unmarshal(body, &u); err != nil || !strings.HasPrefix(u.ID, "00u") {
				t.Errorf("body %s, want one user object: %v", body, err)
			}
		}},
		{"unknown status", oktasim.Fault{MemberStatus: "DELETED"}, func(t *testing.T, body []byte) {
			var page []wireUser
			if err := json.Unmarshal(body, &page); err != nil || len(page) != 2 {
				t.Fatalf("body %s: %v", body, err)
			}
			for _, u := range page {
				if u.Status != "DELETED" {
					t.Errorf("user %s status %q, want DELETED", u.ID, u.Status)
				}
			}
		}},
		{"no status", oktasim.Fault{NoMemberStatus: true}, func(t *testing.T, body []byte) {
			var page []map[string]any
			if err := json.Unmarshal(body, &page); err != nil || len(page) != 2 {
				t.Fatalf("body %s: %v", body, err)
			}
			for _, u := range page {
				if _, ok := u["status"]; ok {
					t.Errorf("user %v has a status, want none", u["id"])
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sim, srv, _ := start(t, st, oktasim.Options{})
			id, _ := sim.GroupID("Eng")
			path := "/api/v1/groups/" + id + "/users"
			f := tt.fault
			f.Path = path
			sim.Inject(f)
			var raw json.RawMessage
			resp := get(t, srv.URL+path+"?limit=2", "SSWS "+token, &raw)
			if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("status %d, Content-Type %q: want a 200 JSON answer", resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			if links(t, resp.Header)["next"] == "" {
				t.Error("the reshaped page lost its next link")
			}
			if resp.Header.Get("X-Rate-Limit-Remaining") == "" {
				t.Error("the reshaped page lost its rate-limit headers")
			}
			tt.check(t, raw)

			// A refused request is not reshaped: the 401 goes out as it is.
			var e wireError
			if resp := get(t, srv.URL+path, "SSWS nope", &e); resp.StatusCode != http.StatusUnauthorized || e.ErrorCode != "E0000011" {
				t.Errorf("wrong token: status %d code %q, want 401 E0000011", resp.StatusCode, e.ErrorCode)
			}
		})
	}
}

func TestEveryAnswerIsJSON(t *testing.T) {
	// Okta answers its API with application/json, errors included; a
	// client that refuses anything else must not trip on the simulator.
	sim, srv, _ := start(t, oktasim.State{Groups: []oktasim.Group{{Name: "Eng", Users: []oktasim.User{{Email: "a@acme.com"}}}}}, oktasim.Options{RateLimit: 5})
	id, _ := sim.GroupID("Eng")
	sim.Inject(oktasim.Fault{Path: "/api/v1/groups/00gfault", Status: http.StatusServiceUnavailable})
	sim.Inject(oktasim.Fault{Path: "/api/v1/groups/00gmalformed", Malformed: true})
	for _, tt := range []struct{ path, auth string }{
		{"/api/v1/groups", "SSWS " + token},
		{"/api/v1/groups/" + id, "SSWS " + token},
		{"/api/v1/groups/" + id + "/users", "SSWS " + token},
		{"/api/v1/groups/00gmissing", "SSWS " + token},
		{"/api/v1/groups", "SSWS nope"},
		{"/api/v1/users", "SSWS " + token},
		{"/api/v1/groups/00gfault", "SSWS " + token},
		{"/api/v1/groups/00gmalformed", "SSWS " + token},
		{"/api/v1/groups/" + id, "SSWS " + token}, // beyond the rate limit: 429
		{"/api/v1/groups/" + id, "SSWS " + token},
		{"/api/v1/groups/" + id, "SSWS " + token},
		{"/api/v1/groups/" + id, "SSWS " + token},
	} {
		resp := get(t, srv.URL+tt.path, tt.auth, nil)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s (%s): HTTP %d with Content-Type %q, want application/json", tt.path, tt.auth, resp.StatusCode, ct)
		}
	}
	resp, err := http.PostForm(srv.URL+"/oauth2/v1/token", url.Values{"grant_type": {"password"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("token: HTTP %d with Content-Type %q, want application/json", resp.StatusCode, ct)
	}
}

func TestContentTypeAndLinkFaults(t *testing.T) {
	st := oktasim.State{Groups: []oktasim.Group{{Name: "Eng", Users: []oktasim.User{
		{Email: "a@acme.com"}, {Email: "b@acme.com"}, {Email: "c@acme.com"},
	}}}}
	sim, srv, _ := start(t, st, oktasim.Options{})
	id, _ := sim.GroupID("Eng")
	path := "/api/v1/groups/" + id + "/users"
	sim.Inject(oktasim.Fault{Path: path, Nth: 1, ContentType: "application/octet-stream"})
	sim.Inject(oktasim.Fault{Path: path, Nth: 2, Link: `<%zz>; rel="self"`})

	// The content type changes; the page and its links do not.
	var page []wireUser
	resp := get(t, srv.URL+path+"?limit=2", "SSWS "+token, &page)
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "application/octet-stream" {
		t.Errorf("HTTP %d with Content-Type %q, want 200 application/octet-stream", resp.StatusCode, ct)
	}
	if len(page) != 2 || links(t, resp.Header)["next"] == "" {
		t.Errorf("%d users, links %v: want the page of 2 as it was", len(page), resp.Header.Values("Link"))
	}

	// The Link fault adds a line after the page's own.
	resp = get(t, srv.URL+path+"?limit=2", "SSWS "+token, &page)
	got := resp.Header.Values("Link")
	if len(got) != 3 || got[2] != `<%zz>; rel="self"` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Link %q, Content-Type %q: want self, next and the fault's, as JSON", got, resp.Header.Get("Content-Type"))
	}
}
