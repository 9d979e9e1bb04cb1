package buildkite

import (
	"context"
	"fmt"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/sync/model"
)

// readSeed is a small organization with case differences in emails, a bot,
// a team larger than the test page size and invitations in every state.
func readSeed() bksim.State {
	return bksim.State{
		Organization: "acme",
		Members: []bksim.Member{
			{Email: "alice@acme.com", Name: "Alice"},
			{Email: "Bob@Acme.COM", Name: "Bob"},
			{Email: "carol@acme.com", Name: "Carol"},
			{Email: "dave@acme.com", Name: "Dave"},
			{Email: "eve@acme.com", Name: "Eve"},
			{Email: "bot@buildkite.com", Name: "Buildkite Bot", Bot: true},
		},
		Teams: []bksim.Team{
			{Slug: "platform", Name: "Platform", Members: []bksim.TeamMember{
				{Email: "alice@acme.com", Role: "maintainer"},
				{Email: "bob@acme.com"},
				{Email: "carol@acme.com"},
				{Email: "dave@acme.com"},
				{Email: "bot@buildkite.com"},
			}},
			{Slug: "mobile", Name: "Mobile", Privacy: "visible", Members: []bksim.TeamMember{{Email: "carol@acme.com", Role: "maintainer"}}},
			{Slug: "empty", Name: "Empty"},
			{Slug: "unmanaged", Name: "Unmanaged", Members: []bksim.TeamMember{{Email: "eve@acme.com"}}},
		},
		Invitations: []bksim.Invitation{
			{Email: "Gina@Acme.com", Teams: []bksim.TeamRole{{Team: "platform", Role: "member"}, {Team: "mobile", Role: "maintainer"}}},
			{Email: "hank@acme.com", State: "expired", Teams: []bksim.TeamRole{{Team: "platform", Role: "member"}}},
			{Email: "ivy@acme.com", State: "revoked"},
		},
	}
}

// readSeedWant is what ReadOrg of platform, mobile, empty and a missing
// team gives for readSeed, with IDs left out. Members are the people of
// those teams: not eve, who is only in an unmanaged team, nor the bot.
func readSeedWant() *model.Org {
	tm := func(email string, r model.Role) model.TeamMember { return model.TeamMember{Email: email, Role: r} }
	return &model.Org{
		Slug: "acme",
		Members: map[string]model.Member{
			"alice@acme.com": {Email: "alice@acme.com"},
			"bob@acme.com":   {Email: "bob@acme.com"}, // Bob@Acme.COM in Buildkite
			"carol@acme.com": {Email: "carol@acme.com"},
			"dave@acme.com":  {Email: "dave@acme.com"},
		},
		Teams: map[string]model.Team{
			"platform": {Slug: "platform", Name: "Platform", Members: map[string]model.TeamMember{
				"alice@acme.com": tm("alice@acme.com", model.RoleMaintainer),
				"bob@acme.com":   tm("bob@acme.com", model.RoleMember),
				"carol@acme.com": tm("carol@acme.com", model.RoleMember),
				"dave@acme.com":  tm("dave@acme.com", model.RoleMember),
			}},
			"mobile": {Slug: "mobile", Name: "Mobile", Members: map[string]model.TeamMember{
				"carol@acme.com": tm("carol@acme.com", model.RoleMaintainer),
			}},
			"empty": {Slug: "empty", Name: "Empty", Members: map[string]model.TeamMember{}},
		},
		TeamErrors: map[string]error{},
		Invitations: map[string]model.Invitation{
			"gina@acme.com": {Email: "gina@acme.com", Teams: []model.TeamRole{
				{Team: "mobile", Role: model.RoleMaintainer}, {Team: "platform", Role: model.RoleMember},
			}},
		},
	}
}

// withoutIDs returns a copy of org with every GraphQL ID blanked, after
// checking that the IDs are there and agree with each other. Members come
// from teams, so they carry a user ID but no OrganizationMember ID.
func withoutIDs(t *testing.T, org *model.Org) *model.Org {
	t.Helper()
	if org.ID == "" {
		t.Error("organization ID is empty")
	}
	out := *org
	out.ID = ""
	out.Members = make(map[string]model.Member)
	for k, m := range org.Members {
		if m.ID != "" || m.UserID == "" {
			t.Errorf("member %s has IDs %q/%q, want no member ID and a user ID", k, m.ID, m.UserID)
		}
		m.ID, m.UserID = "", ""
		out.Members[k] = m
	}
	out.Teams = make(map[string]model.Team)
	for slug, team := range org.Teams {
		if team.ID == "" {
			t.Errorf("team %s has no ID", slug)
		}
		members := make(map[string]model.TeamMember)
		for k, m := range team.Members {
			if m.ID == "" || m.UserID != org.Members[k].UserID || m.CreatedAt.IsZero() {
				t.Errorf("team %s member %s: ID %q, user %q (org member's user %q), createdAt %s", slug, k, m.ID, m.UserID, org.Members[k].UserID, m.CreatedAt)
			}
			m.ID, m.UserID, m.CreatedAt = "", "", time.Time{}
			members[k] = m
		}
		for _, m := range team.Unlisted {
			if m.ID == "" || m.CreatedAt.IsZero() {
				t.Errorf("team %s: an unlisted membership without ID or createdAt: %+v", slug, m)
			}
		}
		team.ID, team.Members, team.Unlisted = "", members, nil
		out.Teams[slug] = team
	}
	out.Invitations = make(map[string]model.Invitation)
	for k, inv := range org.Invitations {
		if inv.ID == "" {
			t.Errorf("invitation %s has no ID", k)
		}
		inv.ID = ""
		out.Invitations[k] = inv
	}
	return &out
}

// startSim starts a validating simulator without a practical rate limit.
func startSim(t testing.TB, st bksim.State) (*bksim.Server, *httptest.Server) {
	t.Helper()
	return bksimtest.StartWith(t, st, bksim.Options{RateLimit: 1 << 30})
}

func simClient(t *testing.T, url string, pageSize int, mod func(*Config)) *testClient {
	t.Helper()
	return newTestClient(t, url, func(c *Config) {
		c.Token = bksimtest.Token
		c.PageSize = pageSize
		if mod != nil {
			mod(c)
		}
	})
}

func TestReadOrg(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 2, nil)
	org, err := tc.ReadOrg(context.Background(), []string{"platform", "mobile", "empty", "ghost", "platform"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := withoutIDs(t, org), readSeedWant(); !reflect.DeepEqual(got, want) {
		t.Errorf("ReadOrg =\n%+v\nwant\n%+v", got, want)
	}
	// The bot is not listed but counts in what the team's fingerprint must
	// read as.
	if fp := org.Teams["platform"].Fingerprint(); fp.Members != 5 || fp.Maintainers != 1 || len(org.Teams["platform"].Unlisted) != 1 {
		t.Errorf("platform's fingerprint from the read = %+v (unlisted %+v), want 5 members, the bot among them, and 1 maintainer", fp, org.Teams["platform"].Unlisted)
	}
	// Invitations: 1. Teams: one batch of 4 with 2 members each, then
	// platform's 3 more members in 2 pages. No organization member list.
	st := srv.Stats()
	if st.Requests != 4 || st.Rejected != 0 {
		t.Errorf("requests = %d (rejected %d), want 4 (0); by operation %v", st.Requests, st.Rejected, st.ByOperation)
	}
	if got := st.ByOperation["organization"]; got != 1 {
		t.Errorf("organization asked for %d times, want 1 (invitations)", got)
	}
	if st.Mutations != 0 {
		t.Errorf("ReadOrg sent %d mutations", st.Mutations)
	}
}

func TestReadOrgNoTeams(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, nil)
	org, err := tc.ReadOrg(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if org.ID == "" || len(org.Teams) != 0 || len(org.Members) != 0 || len(org.Invitations) != 1 {
		t.Errorf("read ID %q, %d teams, %d members, %d invitations; want an ID, 0, 0, 1", org.ID, len(org.Teams), len(org.Members), len(org.Invitations))
	}
	if got := srv.Stats().Requests; got != 1 {
		t.Errorf("requests = %d, want 1 (invitations, which carry the ID)", got)
	}
}

func TestReadOrgUnknownOrganization(t *testing.T) {
	_, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, func(c *Config) { c.Organization = "umbrella" })
	_, err := tc.ReadOrg(context.Background(), []string{"platform"})
	if got, want := errText(err), `buildkite: organization "umbrella" not found or not visible to this token`; got != want {
		t.Fatalf("error = %q, want %q", got, want)
	}
}

// bigSeed is an organization of n members and teams teams of size members
// each (members taken round the organization).
func bigSeed(n, teams, size int) bksim.State {
	st := bksim.State{Organization: "acme"}
	for i := range n {
		st.Members = append(st.Members, bksim.Member{Email: fmt.Sprintf("user%05d@acme.com", i)})
	}
	for i := range teams {
		team := bksim.Team{Slug: fmt.Sprintf("team-%03d", i)}
		for j := range size {
			team.Members = append(team.Members, bksim.TeamMember{Email: st.Members[(i*size+j)%n].Email})
		}
		st.Teams = append(st.Teams, team)
	}
	return st
}

func teamSlugs(st bksim.State) []string {
	var out []string
	for _, t := range st.Teams {
		out = append(out, t.Slug)
	}
	return out
}

// TestReadOrgRequestCount pins how many requests a read takes, so a
// change to paging or batching shows up as a number.
func TestReadOrgRequestCount(t *testing.T) {
	tests := []struct {
		name                       string
		members, teams, size, page int
		wantPeople                 int // distinct people in the teams
		want                       int
	}{
		// 1 invitations + 1 batch + 3 teams × 2 follow-ups.
		{"tiny pages", 7, 3, 5, 2, 7, 8},
		// 1 + 1 batch of 12 × 500; no follow-ups.
		{"teams fit the first page", 600, 12, 60, 500, 600, 2},
		// 1 + 1 batch of 10 × 20 + 10 teams × 2 follow-ups.
		{"follow-ups for every team", 60, 10, 45, 20, 60, 22},
		// 1 + 2 batches: 39 teams of 500 is the most one query holds.
		{"teams in two batches", 100, 45, 3, 500, 100, 3},
		// A full last page: the page after it is not asked for.
		{"exact pages", 40, 2, 20, 20, 40, 2},
		// A large organization costs nothing beyond its teams.
		{"members outside the teams", 5000, 2, 10, 500, 20, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := bigSeed(tt.members, tt.teams, tt.size)
			srv, ts := startSim(t, st)
			tc := simClient(t, ts.URL, tt.page, nil)
			org, err := tc.ReadOrg(context.Background(), teamSlugs(st))
			if err != nil {
				t.Fatal(err)
			}
			if len(org.Members) != tt.wantPeople || len(org.Teams) != tt.teams {
				t.Fatalf("read %d members and %d teams, want %d and %d", len(org.Members), len(org.Teams), tt.wantPeople, tt.teams)
			}
			for slug, team := range org.Teams {
				if len(team.Members) != tt.size {
					t.Fatalf("team %s has %d members, want %d", slug, len(team.Members), tt.size)
				}
			}
			s := srv.Stats()
			if s.Requests != tt.want || s.Rejected != 0 {
				t.Errorf("requests = %d (rejected %d), want %d (0)", s.Requests, s.Rejected, tt.want)
			}
		})
	}
}

func TestReadOrgDuplicateEmails(t *testing.T) {
	// The simulator refuses duplicate emails in a seed, so this answer is
	// scripted: teams a and b each hold one of two users whose emails
	// differ only in case. The one body answers both the invitations and
	// the teams query, each of which reads only its own fields.
	body := `{"data":{
	  "organization":{"id":"org-1","invitations":{"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":[]}},
	  "t0":{"id":"team-a","name":"A","members":{"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":[
	    {"node":{"id":"tm-1","role":"MEMBER","createdAt":"2026-01-02T03:04:05.000Z","user":{"id":"u-1","email":"Pat@acme.com","bot":false}}}]}},
	  "t1":{"id":"team-b","name":"B","members":{"pageInfo":{"hasNextPage":false,"endCursor":null},"edges":[
	    {"node":{"id":"tm-2","role":"MEMBER","createdAt":"2026-01-02T03:04:06.000Z","user":{"id":"u-2","email":"pat@ACME.com","bot":false}}}]}}}}`
	_, ts := startScripted(t, reply{body: body})
	tc := newTestClient(t, ts.URL, nil)
	org, err := tc.ReadOrg(context.Background(), []string{"b", "a"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]model.Member{"pat@acme.com": {UserID: "u-1", Email: "pat@acme.com"}}
	if !reflect.DeepEqual(org.Members, want) {
		t.Errorf("members = %+v, want %+v", org.Members, want)
	}
	if logs := tc.logs.String(); !strings.Contains(logs, "two organization members share an email; keeping the first") || !strings.Contains(logs, "skipped_user=u-2") {
		t.Errorf("no warning about the duplicate in the log:\n%s", logs)
	}
}
