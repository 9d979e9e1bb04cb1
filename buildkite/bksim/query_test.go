package bksim_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/machinebox/graphql"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// page is one page of a connection whose nodes are reduced to a string.
type page struct {
	Count    int
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   struct {
			Slug string
			User struct{ Email string }
		}
	}
}

func (p page) items() []string {
	var out []string
	for _, e := range p.Edges {
		out = append(out, e.Node.Slug+e.Node.User.Email)
	}
	return out
}

// walk pages through a connection by following endCursor and returns every
// item and the hasNextPage/hasPreviousPage flags of each page.
func walk(t *testing.T, url, query string, get func(data []byte) page, vars map[string]any) (items []string, flags []string) {
	t.Helper()
	var after any
	for range 20 {
		v := map[string]any{"after": after}
		for k, x := range vars {
			v[k] = x
		}
		r := gql(t, url, query, v)
		if len(r.Errors) > 0 {
			t.Fatalf("errors: %q", r.messages())
		}
		p := get(r.Data)
		items = append(items, p.items()...)
		flags = append(flags, fmt.Sprintf("count=%d next=%t prev=%t", p.Count, p.PageInfo.HasNextPage, p.PageInfo.HasPreviousPage))
		if !p.PageInfo.HasNextPage {
			return items, flags
		}
		after = *p.PageInfo.EndCursor
	}
	t.Fatal("pagination did not end")
	return nil, nil
}

func TestPagination(t *testing.T) {
	st := seed(7, map[string]int{"alpha": 7, "bravo": 0, "charlie": 1, "delta": 0, "echo": 0})
	_, hs := bksimtest.Start(t, st)
	tests := []struct {
		name      string
		query     string
		get       func(t *testing.T) func([]byte) page
		wantItems []string
		wantFlags []string
	}{
		{
			name:  "organization members, newest first",
			query: `query($after: String) { organization(slug: "acme") { members(first: 3, after: $after) { count pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { user { email } } } } } }`,
			get: func(t *testing.T) func([]byte) page {
				return func(b []byte) page {
					var d struct{ Organization struct{ Members page } }
					result{Data: b}.decode(t, &d)
					return d.Organization.Members
				}
			},
			wantItems: []string{"m06@acme.com", "m05@acme.com", "m04@acme.com", "m03@acme.com", "m02@acme.com", "m01@acme.com", "m00@acme.com"},
			wantFlags: []string{"count=7 next=true prev=false", "count=7 next=true prev=true", "count=7 next=false prev=true"},
		},
		{
			name:  "organization teams by name",
			query: `query($after: String) { organization(slug: "acme") { teams(first: 2, after: $after, order: NAME) { count pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { slug } } } } }`,
			get: func(t *testing.T) func([]byte) page {
				return func(b []byte) page {
					var d struct{ Organization struct{ Teams page } }
					result{Data: b}.decode(t, &d)
					return d.Organization.Teams
				}
			},
			wantItems: []string{"alpha", "bravo", "charlie", "delta", "echo"},
			wantFlags: []string{"count=5 next=true prev=false", "count=5 next=true prev=true", "count=5 next=false prev=true"},
		},
		{
			name:  "team members through team(slug:)",
			query: `query($after: String, $team: ID!) { team(slug: $team) { members(first: 4, after: $after) { count pageInfo { hasNextPage hasPreviousPage endCursor } edges { node { user { email } } } } } }`,
			get: func(t *testing.T) func([]byte) page {
				return func(b []byte) page {
					var d struct{ Team struct{ Members page } }
					result{Data: b}.decode(t, &d)
					return d.Team.Members
				}
			},
			wantItems: []string{"m06@acme.com", "m05@acme.com", "m04@acme.com", "m03@acme.com", "m02@acme.com", "m01@acme.com", "m00@acme.com"},
			wantFlags: []string{"count=7 next=true prev=false", "count=7 next=false prev=true"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, flags := walk(t, hs.URL, tt.query, tt.get(t), map[string]any{"team": "acme/alpha"})
			if !reflect.DeepEqual(items, tt.wantItems) {
				t.Errorf("items:\n got %q\nwant %q", items, tt.wantItems)
			}
			if !reflect.DeepEqual(flags, tt.wantFlags) {
				t.Errorf("pages:\n got %q\nwant %q", flags, tt.wantFlags)
			}
		})
	}
}

// A cursor names the last item seen, so a page boundary does not move when
// people join or leave between two page reads.
func TestCursorSurvivesChanges(t *testing.T) {
	srv, hs := bksimtest.Start(t, seed(6, nil))
	q := `query($after: String) { organization(slug: "acme") { members(first: 3, after: $after, order: NAME) { pageInfo { endCursor } edges { node { user { email } } } } } }`
	var d struct{ Organization struct{ Members page } }
	gql(t, hs.URL, q, nil).decode(t, &d)
	if got, want := d.Organization.Members.items(), []string{"m00@acme.com", "m01@acme.com", "m02@acme.com"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("first page %q, want %q", got, want)
	}
	if err := srv.RemoveMember("m02@acme.com"); err != nil {
		t.Fatal(err)
	}
	if err := srv.AddMember(bksim.Member{Email: "m01b@acme.com", Name: "Member 01b"}); err != nil {
		t.Fatal(err)
	}
	gql(t, hs.URL, q, map[string]any{"after": *d.Organization.Members.PageInfo.EndCursor}).decode(t, &d)
	if got, want := d.Organization.Members.items(), []string{"m03@acme.com", "m04@acme.com", "m05@acme.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("second page %q, want %q", got, want)
	}
}

func TestPageSizeLimits(t *testing.T) {
	_, hs := bksimtest.StartWith(t, seed(3, nil), bksim.Options{PageMax: 2})
	tests := []struct {
		name, query string
		wantErrors  []string
		wantData    string
	}{
		{
			name:       "over PageMax",
			query:      `{ organization(slug: "acme") { slug members(first: 3) { count } } }`,
			wantErrors: []string{"Argument 'first' on Field 'members' has an invalid value (3). Expected a value between 0 and 2."},
			wantData:   `{"organization":{"slug":"acme","members":null}}`,
		},
		{
			name:       "negative",
			query:      `{ organization(slug: "acme") { members(first: -1) { count } } }`,
			wantErrors: []string{"Argument 'first' on Field 'members' has an invalid value (-1). Expected a value between 0 and 2."},
			wantData:   `{"organization":{"members":null}}`,
		},
		{
			name:     "omitted first defaults to PageMax",
			query:    `{ organization(slug: "acme") { members { pageInfo { hasNextPage } edges { cursor } } } }`,
			wantData: "", // checked below
		},
		{
			name:       "bad cursor",
			query:      `{ organization(slug: "acme") { members(first: 1, after: "nonsense") { count } } }`,
			wantErrors: []string{"Argument 'after' on Field 'members' is not a valid cursor"},
			wantData:   `{"organization":{"members":null}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gql(t, hs.URL, tt.query, nil)
			if !slices.Equal(r.messages(), tt.wantErrors) {
				t.Errorf("errors %q, want %q", r.messages(), tt.wantErrors)
			}
			if tt.wantData == "" {
				var d struct{ Organization struct{ Members page } }
				r.decode(t, &d)
				if n := len(d.Organization.Members.Edges); n != 2 || !d.Organization.Members.PageInfo.HasNextPage {
					t.Errorf("got %d edges, hasNextPage %t; want 2 and true", n, d.Organization.Members.PageInfo.HasNextPage)
				}
				return
			}
			if string(r.Data) != tt.wantData {
				t.Errorf("data %s, want %s", r.Data, tt.wantData)
			}
			if len(r.Errors) > 0 && !reflect.DeepEqual(r.Errors[0].Path, []any{"organization", "members"}) {
				t.Errorf("error path %v, want [organization members]", r.Errors[0].Path)
			}
		})
	}
}

func TestQueries(t *testing.T) {
	_, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	tests := []struct {
		name  string
		query string
		vars  map[string]any
		// want is the exact data JSON; IDs are deterministic.
		want       string
		wantErrors []string
	}{
		{
			name: "aliases, fragments, inline fragments, __typename keep field order",
			query: `query Q { org: organization(slug: "acme") { __typename ...OrgBits
				first: members(first: 1, order: NAME) { edges { node { ... on OrganizationMember { role } user { ...U } } } }
				last: members(first: 1, order: RECENTLY_CREATED) { edges { node { user { e: email } } } } } }
				fragment OrgBits on Organization { slug isTeamsEnabled }
				fragment U on User { name email bot }`,
			want: `{"org":{"__typename":"Organization","slug":"acme","isTeamsEnabled":true,` +
				`"first":{"edges":[{"node":{"role":"ADMIN","user":{"name":"Alice Admin","email":"alice@acme.com","bot":false}}}]},` +
				`"last":{"edges":[{"node":{"user":{"e":"Erin@Acme.com"}}}]}}}`,
		},
		{
			name:  "members(email:) matches case-insensitively",
			query: `{ organization(slug: "acme") { members(first: 5, email: "ERIN@acme.COM") { count edges { node { user { email name } } } } } }`,
			want:  `{"organization":{"members":{"count":1,"edges":[{"node":{"user":{"email":"Erin@Acme.com","name":"Erin"}}}]}}}`,
		},
		{
			name:  "user name defaults to the email's local part",
			query: `{ organization(slug: "acme") { members(first: 5, email: "dave@acme.com") { edges { node { user { name } } } } } }`,
			want:  `{"organization":{"members":{"edges":[{"node":{"user":{"name":"dave"}}}]}}}`,
		},
		{
			name:  "filters: search, role, team selector, privacy, pending invitations",
			query: `{ organization(slug: "acme") { s: members(first: 5, search: "CAR") { count } r: members(first: 5, role: [ADMIN]) { count } t: members(first: 5, team: "!platform") { count } v: teams(first: 5, privacy: [VISIBLE]) { edges { node { slug privacy } } } i: invitations(first: 5, state: [PENDING]) { edges { node { email state role teams(first: 5) { count edges { node { role team { slug } } } } } } } } }`,
			want:  `{"organization":{"s":{"count":1},"r":{"count":1},"t":{"count":2},"v":{"edges":[{"node":{"slug":"mobile","privacy":"VISIBLE"}}]},"i":{"edges":[{"node":{"email":"frank@acme.com","state":"PENDING","role":"MEMBER","teams":{"count":1,"edges":[{"node":{"role":"MEMBER","team":{"slug":"platform"}}}]}}}]}}}`,
		},
		{
			name:  "team(slug:) of a missing team is null without error",
			query: `{ a: team(slug: "acme/nope") { slug } b: team(slug: "platform") { slug } c: team(slug: "other/platform") { slug } d: team(slug: "acme/platform") { slug name privacy isDefaultTeam defaultMemberRole description } }`,
			want:  `{"a":null,"b":null,"c":null,"d":{"slug":"platform","name":"Platform","privacy":"SECRET","isDefaultTeam":false,"defaultMemberRole":"MEMBER","description":null}}`,
		},
		{
			name:  "organization of another slug is null",
			query: `{ organization(slug: "other") { id } }`,
			want:  `{"organization":null}`,
		},
		{
			name:  "node(id:) with a type condition",
			query: `{ node(id: "VGVhbS0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxMg==") { id ... on Team { slug } ... on User { email } } }`,
			want:  `{"node":{"id":"VGVhbS0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxMg==","slug":"platform"}}`,
		},
		{
			name:  "IDs are read decoded, so missing padding or a wrong type do not matter or match",
			query: `{ a: node(id: "VGVhbS0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxMg") { ... on Team { slug } } b: node(id: "not base64!") { id } c: node(id: "VXNlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxMg==") { id } }`,
			want:  `{"a":{"slug":"platform"},"b":null,"c":null}`,
		},
		{
			name:  "viewer is the first admin",
			query: `{ viewer { user { email } } }`,
			want:  `{"viewer":{"user":{"email":"alice@acme.com"}}}`,
		},
		{
			name:  "variable defaults and @skip/@include",
			query: `query($n: Int = 1, $no: Boolean = true) { organization(slug: "acme") { slug @skip(if: $no) members(first: $n) { count @include(if: $no) edges { node { role } } } } }`,
			want:  `{"organization":{"members":{"count":5,"edges":[{"node":{"role":"MEMBER"}}]}}}`,
		},
		{
			name:       "an unmodelled field fails loudly",
			query:      `{ organization(slug: "acme") { slug pipelines(first: 1) { count } } }`,
			want:       `{"organization":{"slug":"acme","pipelines":null}}`,
			wantErrors: []string{"simulator does not implement Organization.pipelines"},
		},
		{
			name:       "an unmodelled argument fails loudly",
			query:      `{ organization(slug: "acme") { members(last: 1) { count } } }`,
			want:       `{"organization":{"members":null}}`,
			wantErrors: []string{"simulator does not implement Organization.members(last:)"},
		},
		{
			name:       "a non-null unmodelled field nulls its nullable parent",
			query:      `{ organization(slug: "acme") { members(first: 1) { edges { node { uuid permissions { organizationMemberUpdate { allowed } } } } } } }`,
			want:       `{"organization":{"members":{"edges":[{"node":null}]}}}`,
			wantErrors: []string{"simulator does not implement OrganizationMember.permissions"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gql(t, hs.URL, tt.query, tt.vars)
			if !slices.Equal(r.messages(), tt.wantErrors) {
				t.Errorf("errors %q, want %q", r.messages(), tt.wantErrors)
			}
			if string(r.Data) != tt.want {
				t.Errorf("data:\n got %s\nwant %s", r.Data, tt.want)
			}
		})
	}
}

func TestValidationRejects(t *testing.T) {
	srv, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	tests := []struct {
		name, query string
		vars        map[string]any
		want        []string
		rejected    int
	}{
		{"unknown field", `{ organization(slug: "acme") { nope } }`, nil,
			[]string{`Cannot query field "nope" on type "Organization". Did you mean "name"?`}, 1},
		{"wrong enum", `{ organization(slug: "acme") { members(first: 1, order: OLDEST) { count } } }`, nil,
			[]string{`Value "OLDEST" does not exist in "OrganizationMemberOrder" enum.`}, 1},
		{"syntax error", `{ organization(slug: "acme") { `, nil,
			[]string{`Expected Name, found <EOF>`}, 1},
		{"missing required variable", `query($org: ID!) { organization(slug: $org) { id } }`, nil,
			[]string{`must be defined`}, 0},
		{"unknown operation name", `query A { viewer { id } } query B { viewer { id } }`, nil,
			[]string{`An operation name is required when the document contains more than one operation.`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.ResetStats()
			r := gql(t, hs.URL, tt.query, tt.vars)
			if r.Status != 200 || r.Data != nil {
				t.Errorf("status %d data %s, want 200 and no data", r.Status, r.Data)
			}
			if !slices.Equal(r.messages(), tt.want) {
				t.Errorf("errors %q, want %q", r.messages(), tt.want)
			}
			if got := srv.Stats(); got.Rejected != tt.rejected || got.Queries != 0 {
				t.Errorf("stats %+v, want Rejected %d and no queries", got, tt.rejected)
			}
		})
	}
}

func TestOperationName(t *testing.T) {
	_, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	body := `{"query": "query A { organization(slug: \"acme\") { slug } } query B { viewer { user { email } } }", "operationName": "B"}`
	r := send(t, "POST", hs.URL, "Bearer test-token", []byte(body))
	if got, want := string(r.Data), `{"viewer":{"user":{"email":"alice@acme.com"}}}`; got != want {
		t.Errorf("data %s, want %s", got, want)
	}
	body = `{"query": "query A { viewer { id } }", "operationName": "C"}`
	r = send(t, "POST", hs.URL, "Bearer test-token", []byte(body))
	if got, want := r.messages(), []string{`Unknown operation named "C".`}; !slices.Equal(got, want) {
		t.Errorf("errors %q, want %q", got, want)
	}
}

// Without a schema (the demo on a fresh clone) queries still run, and an
// unknown field is the simulator's loud error instead of gqlparser's.
func TestWithoutSchema(t *testing.T) {
	srv, err := bksim.New(mustLoad(t, "testdata/acme.yaml"), bksim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	r := gqlAs(t, hs.URL, "Bearer anything", `query($n: Int = 2) { organization(slug: "acme") { ...F nope } } fragment F on Organization { teams(first: $n) { edges { node { slug } } } }`, nil)
	if got, want := string(r.Data), `{"organization":{"teams":{"edges":[{"node":{"slug":"empty"}},{"node":{"slug":"mobile"}}]},"nope":null}}`; got != want {
		t.Errorf("data %s, want %s", got, want)
	}
	if got, want := r.messages(), []string{"simulator does not implement Organization.nope"}; !slices.Equal(got, want) {
		t.Errorf("errors %q, want %q", got, want)
	}
	// Connections are still priced without the schema: 1 + 1 + 1 + 2.
	if got := r.Header.Get("RateLimit-Complexity-Requested"); got != "5" {
		t.Errorf("requested complexity %s, want 5", got)
	}
}

// The machinebox/graphql client (what the buildkite package may use) reads
// the simulator's answers, including errors.
func TestMachineboxClient(t *testing.T) {
	_, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	client := graphql.NewClient(hs.URL)
	req := graphql.NewRequest(`query($org: ID!) { organization(slug: $org) { slug members(first: 1, email: "bob@acme.com") { edges { node { user { email } } } } } }`)
	req.Var("org", "acme")
	req.Header.Set("Authorization", "Bearer "+bksimtest.Token)
	var d struct {
		Organization struct {
			Slug    string
			Members struct {
				Edges []struct {
					Node struct{ User struct{ Email string } }
				}
			}
		}
	}
	if err := client.Run(context.Background(), req, &d); err != nil {
		t.Fatal(err)
	}
	if d.Organization.Slug != "acme" || len(d.Organization.Members.Edges) != 1 || d.Organization.Members.Edges[0].Node.User.Email != "bob@acme.com" {
		t.Errorf("got %+v", d)
	}
	bad := graphql.NewRequest(`mutation { teamMemberDelete(input: {id: "nope"}) { deletedTeamMemberID } }`)
	bad.Header.Set("Authorization", "Bearer "+bksimtest.Token)
	err := client.Run(context.Background(), bad, &d)
	if err == nil || !strings.Contains(err.Error(), `No TeamMember found with ID "nope"`) {
		t.Errorf("error %v, want the not-found message", err)
	}
}
