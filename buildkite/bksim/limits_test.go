package bksim_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

func TestRequestedComplexity(t *testing.T) {
	srv, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	tests := []struct {
		name          string
		query         string
		wantRequested string
		wantErrors    []string
	}{
		{
			// The reference's example: organization 1 + members 1 + edges 1
			// + 100 nodes + 100 users + pageInfo 1.
			name:          "members page",
			query:         `{ organization(slug: "acme") { id members(first: 100) { count pageInfo { hasNextPage endCursor } edges { node { id uuid role user { id uuid email name bot } } } } } }`,
			wantRequested: "204",
		},
		{
			name:          "250 teams of 95 members fits",
			query:         `{ organization(slug: "acme") { teams(first: 250) { edges { node { id members(first: 95) { edges { node { id role user { id email } } } } } } } } }`,
			wantRequested: "48253",
		},
		{
			name:          "250 teams of 100 members is over",
			query:         `{ organization(slug: "acme") { teams(first: 250) { edges { node { id members(first: 100) { edges { node { id role user { id email } } } } } } } } }`,
			wantRequested: "50753",
			wantErrors:    []string{"Query has complexity of 50753, which exceeds max complexity of 50000"},
		},
		{
			name:          "fragments count too",
			query:         `{ organization(slug: "acme") { ...T } } fragment T on Organization { teams(first: 10) { edges { node { ...M } } } } fragment M on Team { members(first: 10) { edges { node { user { email } } } } }`,
			wantRequested: "233",
		},
		{
			name:          "omitted first counts as 500",
			query:         `{ organization(slug: "acme") { members { edges { node { role } } } } }`,
			wantRequested: "503",
		},
		{
			name:          "too deep",
			query:         `{ organization(slug: "acme") { teams(first: 1) { edges { node { members(first: 1) { edges { node { team { members(first: 1) { edges { node { team { members(first: 1) { edges { node { id } } } } } } } } } } } } } } } }`,
			wantRequested: "15",
			wantErrors:    []string{"Query has depth of 16, which exceeds max depth of 15"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetStats()
			r := gql(t, hs.URL, tt.query, nil)
			if r.Status != http.StatusOK {
				t.Errorf("status %d, want 200", r.Status)
			}
			if got := r.Header.Get("RateLimit-Complexity-Requested"); got != tt.wantRequested {
				t.Errorf("requested complexity %s, want %s", got, tt.wantRequested)
			}
			if !slices.Equal(r.messages(), tt.wantErrors) {
				t.Errorf("errors %q, want %q", r.messages(), tt.wantErrors)
			}
			rejected := 0
			if tt.wantErrors != nil {
				rejected = 1
				if r.Data != nil || r.Header.Get("RateLimit-Complexity-Actual") != "0" {
					t.Errorf("a rejected query ran: data %s, actual %s", r.Data, r.Header.Get("RateLimit-Complexity-Actual"))
				}
			}
			if got := srv.Stats().Rejected; got != rejected {
				t.Errorf("Rejected = %d, want %d", got, rejected)
			}
		})
	}
}

// clock is an injectable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestRateLimitWindow(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	srv, hs := bksimtest.StartWith(t, mustLoad(t, "testdata/acme.yaml"), bksim.Options{RateLimit: 10, Now: c.now})
	// Actual: organization 1 + members 1 + edges 1 + 5 nodes + 5 users = 13.
	q := `{ organization(slug: "acme") { members(first: 10) { edges { node { user { email } } } } } }`
	type want struct {
		status                                     int
		remaining, limit, reset, requested, actual string
		errors                                     []string
	}
	steps := []struct {
		name    string
		advance time.Duration
		want    want
	}{
		{"first request spends more than the budget", 0,
			want{200, "-3", "10", "300", "23", "13", nil}},
		{"the next one is refused until the window ends", 100 * time.Second,
			want{429, "-3", "10", "200", "23", "0", []string{"Your organization has exceeded the limit of 10 complexity points. Please try again in 200 seconds."}}},
		{"reset rounds up partial seconds", 199*time.Second + 500*time.Millisecond,
			want{429, "-3", "10", "1", "23", "0", []string{"Your organization has exceeded the limit of 10 complexity points. Please try again in 1 seconds."}}},
		{"a new window starts after 300 s", 500 * time.Millisecond,
			want{200, "-3", "10", "300", "23", "13", nil}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			c.t = c.t.Add(s.advance)
			r := gql(t, hs.URL, q, nil)
			got := want{r.Status, r.Header.Get("RateLimit-Remaining"), r.Header.Get("RateLimit-Limit"), r.Header.Get("RateLimit-Reset"),
				r.Header.Get("RateLimit-Complexity-Requested"), r.Header.Get("RateLimit-Complexity-Actual"), r.messages()}
			if !reflect.DeepEqual(got, s.want) {
				t.Errorf("got  %+v\nwant %+v", got, s.want)
			}
		})
	}
	if got := srv.Stats(); got.RateLimited != 2 || got.ActualComplexity != 26 {
		t.Errorf("stats %+v, want 2 rate limited and 26 points charged", got)
	}
}

// TestUserAndOrgWindows: each request is charged to both windows and must
// pass both; each refusal says which one, in Buildkite's words; both
// windows reset with Options.Window.
func TestUserAndOrgWindows(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	srv, hs := bksimtest.StartWith(t, mustLoad(t, "testdata/acme.yaml"),
		bksim.Options{RateLimit: 40, UserRateLimit: 15, Window: time.Minute, Now: c.now})
	// Actual 13, as in TestRateLimitWindow.
	q := `{ organization(slug: "acme") { members(first: 10) { edges { node { user { email } } } } } }`
	type want struct {
		status                               int
		org, user, userLimit, userReset, msg string
	}
	steps := []struct {
		name    string
		advance time.Duration
		want    want
	}{
		{"both have room", 0, want{200, "27", "2", "15", "60", ""}},
		{"the user window has 2 left: admitted and overdrawn", 10 * time.Second, want{200, "14", "-11", "15", "50", ""}},
		{"the user window is spent", 10 * time.Second, want{429, "14", "-11", "15", "40",
			"You have exceeded your per-user limit of 15 complexity points. Please try again in 40 seconds."}},
		{"both reset with the window", 40 * time.Second, want{200, "27", "2", "15", "60", ""}},
	}
	for _, s := range steps {
		c.t = c.t.Add(s.advance)
		r := gql(t, hs.URL, q, nil)
		got := want{r.Status, r.Header.Get("RateLimit-Remaining"), r.Header.Get("RateLimit-User-Remaining"),
			r.Header.Get("RateLimit-User-Limit"), r.Header.Get("RateLimit-User-Reset"), ""}
		if m := r.messages(); len(m) > 0 {
			got.msg = m[0]
		}
		if got != s.want {
			t.Errorf("%s:\n got %+v\nwant %+v", s.name, got, s.want)
		}
	}
	if st := srv.Stats(); st.RateLimited != 1 || st.ActualComplexity != 39 {
		t.Errorf("stats %+v, want 1 refused and 39 points charged", st)
	}

	// The organization's window refuses first when both are spent, and
	// its message names the organization.
	_, hs2 := bksimtest.StartWith(t, mustLoad(t, "testdata/acme.yaml"),
		bksim.Options{RateLimit: 10, UserRateLimit: 10, Window: time.Minute, Now: c.now})
	gql(t, hs2.URL, q, nil)
	r := gql(t, hs2.URL, q, nil)
	if m := r.messages(); r.Status != 429 || len(m) != 1 || m[0] != "Your organization has exceeded the limit of 10 complexity points. Please try again in 60 seconds." {
		t.Errorf("both spent: %d %q", r.Status, m)
	}

	// Without UserRateLimit there is no per-user window and no header.
	_, hs3 := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	if r := gql(t, hs3.URL, q, nil); r.Header.Get("RateLimit-User-Remaining") != "" {
		t.Errorf("per-user headers without a per-user window: %v", r.Header)
	}
}

func TestQueryStatsInBody(t *testing.T) {
	_, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	body, _ := json.Marshal(map[string]any{"query": `{ organization(slug: "acme") { teams(first: 2) { edges { node { slug } } } } }`})
	req, _ := http.NewRequest(http.MethodPost, hs.URL, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer test-token")
	req.Header.Set("Buildkite-Include-Query-Stats", "true")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Stats struct{ RequestedComplexity, ActualComplexity int }
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	// requested: 1 + 1 + 1 + 2; actual: 1 + 1 + 1 + 2 teams returned.
	if out.Stats.RequestedComplexity != 5 || out.Stats.ActualComplexity != 5 {
		t.Errorf("stats %+v, want 5 and 5", out.Stats)
	}
}

func TestHTTPErrors(t *testing.T) {
	srv, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	okBody := []byte(`{"query": "{ viewer { id } }"}`)
	tests := []struct {
		name, method, auth string
		body               []byte
		wantStatus         int
		wantBody           string
	}{
		{"GET", http.MethodGet, "Bearer test-token", nil, 405,
			`{"errors":[{"message":"Only POST requests are supported"}]}`},
		{"no token", http.MethodPost, "", okBody, 401,
			`{"errors":[{"message":"No access token was provided. Supply one in the Authorization header: Bearer <token>"}]}`},
		{"wrong token", http.MethodPost, "Bearer nope", okBody, 401,
			`{"errors":[{"message":"The API access token is invalid or has been revoked"}]}`},
		{"not bearer", http.MethodPost, "Token test-token", okBody, 401,
			`{"errors":[{"message":"The Authorization header must be of the form: Bearer <token>"}]}`},
		{"not JSON", http.MethodPost, "Bearer test-token", []byte(`query { viewer { id } }`), 400,
			`{"errors":[{"message":"Request body is not valid JSON: invalid character 'q' looking for beginning of value"}]}`},
		{"no query", http.MethodPost, "Bearer test-token", []byte(`{"variables": {}}`), 200,
			`{"errors":[{"message":"No query string was present"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, body := rawSend(t, tt.method, hs.URL, tt.auth, tt.body)
			if status != tt.wantStatus || body != tt.wantBody+"\n" {
				t.Errorf("got %d %s\nwant %d %s", status, body, tt.wantStatus, tt.wantBody)
			}
			if status == 405 && hdr.Get("Allow") != "POST" {
				t.Errorf("Allow %q, want POST", hdr.Get("Allow"))
			}
		})
	}
	if got := srv.Stats(); got.Requests != len(tests) || got.Queries != 0 {
		t.Errorf("stats %+v, want %d requests and no queries", got, len(tests))
	}
}

func TestStats(t *testing.T) {
	srv, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	id := lookupIDs(t, hs.URL)
	gql(t, hs.URL, `{ a: team(slug: "acme/platform") { slug } b: team(slug: "acme/mobile") { slug } }`, nil)
	gql(t, hs.URL, `mutation($m: ID!) { x: teamMemberDelete(input: {id: $m}) { deletedTeamMemberID } y: teamMemberDelete(input: {id: $m}) { deletedTeamMemberID } }`,
		map[string]any{"m": id.TeamMembers["platform/bob@acme.com"]})
	gql(t, hs.URL, `{ organization(slug: "acme") { nope } }`, nil)
	want := bksim.Stats{
		Requests:    4,
		Queries:     2,
		Mutations:   1,
		ByOperation: map[string]int{"organization": 1, "team": 2, "teamMemberDelete": 2},
		Rejected:    1,
	}
	got := srv.Stats()
	got.ActualComplexity = 0
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stats\n got %+v\nwant %+v", got, want)
	}
	srv.ResetStats()
	if got := srv.Stats(); !reflect.DeepEqual(got, bksim.Stats{ByOperation: map[string]int{}}) {
		t.Errorf("after reset %+v", got)
	}
}
