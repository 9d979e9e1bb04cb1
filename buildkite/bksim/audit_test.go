package bksim_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// auditQuery reads the audit log the way a change detector does.
const auditQuery = `query($from: DateTime, $types: [AuditSubjectType!]) { organization(slug: "acme") {
  auditEvents(first: 50, occurredAtFrom: $from, subjectType: $types) {
    count
    edges { node { type occurredAt actor { id }
      subject { id type name node { __typename ... on TeamMember { role team { slug } } ... on Team { slug } } } } }
  } } }`

type auditPage struct {
	Organization struct {
		AuditEvents struct {
			Count int
			Edges []struct {
				Node struct {
					Type       string
					OccurredAt string
					Actor      *struct{ ID string }
					Subject    struct {
						ID, Type, Name string
						Node           *struct {
							Typename string `json:"__typename"`
							Role     string
							Slug     string
							Team     *struct{ Slug string }
						}
					}
				}
			}
		}
	}
}

func readAudit(t *testing.T, url string, vars map[string]any) auditPage {
	t.Helper()
	var p auditPage
	gql(t, url, auditQuery, vars).decode(t, &p)
	return p
}

// TestAuditLogRecordsEveryChange: API writes are the token user's, hand
// edits the person's, organization changes Buildkite's own; the newest
// comes first; a deleted membership's node is null while its ID stays.
func TestAuditLogRecordsEveryChange(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	srv, hs := bksimtest.StartWith(t, mustLoad(t, "testdata/acme.yaml"), bksim.Options{Now: c.now})
	id := lookupIDs(t, hs.URL)
	// The API, as the token's user (alice, the first admin).
	c.t = c.t.Add(time.Second)
	gql(t, hs.URL, `mutation($t: ID!, $u: ID!) { teamMemberCreate(input: {teamID: $t, userID: $u, role: MEMBER}) { teamMemberEdge { node { id createdAt } } } }`,
		map[string]any{"t": id.Teams["mobile"], "u": id.Users["dave@acme.com"]}).decode(t, &struct{}{})
	// By hand, as carol.
	c.t = c.t.Add(time.Second)
	hand := srv.ByHand("carol@acme.com")
	if err := hand.RemoveTeamMember("platform", "bob@acme.com"); err != nil {
		t.Fatal(err)
	}
	if err := hand.SetTeamRole("platform", "erin@acme.com", "maintainer"); err != nil {
		t.Fatal(err)
	}
	if err := hand.AddTeamMember("empty", "bob@acme.com", "member"); err != nil {
		t.Fatal(err)
	}
	// Buildkite itself.
	if err := srv.RemoveMember("dave@acme.com"); err != nil {
		t.Fatal(err)
	}

	want := []bksim.AuditEvent{
		{Type: "TEAM_MEMBER_CREATED", Actor: "alice@acme.com", SubjectType: "TEAM_MEMBER", Subject: "mobile/dave@acme.com"},
		{Type: "TEAM_MEMBER_DELETED", Actor: "carol@acme.com", SubjectType: "TEAM_MEMBER", Subject: "platform/bob@acme.com"},
		{Type: "TEAM_MEMBER_UPDATED", Actor: "carol@acme.com", SubjectType: "TEAM_MEMBER", Subject: "platform/Erin@Acme.com"},
		{Type: "TEAM_MEMBER_CREATED", Actor: "carol@acme.com", SubjectType: "TEAM_MEMBER", Subject: "empty/bob@acme.com"},
		{Type: "ORGANIZATION_MEMBER_DELETED", SubjectType: "ORGANIZATION_MEMBER", Subject: "dave@acme.com"},
	}
	got := srv.AuditEvents()
	for i := range got {
		if i > 0 && !got[i].OccurredAt.After(got[i-1].OccurredAt) {
			t.Errorf("event %d at %s is not after the one before it (%s)", i, got[i].OccurredAt, got[i-1].OccurredAt)
		}
		got[i].OccurredAt = time.Time{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("audit log\n got %+v\nwant %+v", got, want)
	}

	p := readAudit(t, hs.URL, nil)
	edges := p.Organization.AuditEvents.Edges
	if p.Organization.AuditEvents.Count != 5 || len(edges) != 5 {
		t.Fatalf("read %d of %d events, want 5", len(edges), p.Organization.AuditEvents.Count)
	}
	var types []string
	for _, e := range edges {
		types = append(types, e.Node.Type)
	}
	if want := []string{"ORGANIZATION_MEMBER_DELETED", "TEAM_MEMBER_CREATED", "TEAM_MEMBER_UPDATED", "TEAM_MEMBER_DELETED", "TEAM_MEMBER_CREATED"}; !slices.Equal(types, want) {
		t.Errorf("newest first: %v, want %v", types, want)
	}
	gone, updated, first := edges[3].Node, edges[2].Node, edges[4].Node
	if gone.Subject.Node != nil || gone.Subject.ID != id.TeamMembers["platform/bob@acme.com"] {
		t.Errorf("deleted membership: node %+v, id %q; want null and the membership's ID", gone.Subject.Node, gone.Subject.ID)
	}
	if n := updated.Subject.Node; n == nil || n.Typename != "TeamMember" || n.Team == nil || n.Team.Slug != "platform" || n.Role != "MAINTAINER" {
		t.Errorf("updated membership's node = %+v", n)
	}
	if first.Actor == nil || first.Actor.ID != id.Users["alice@acme.com"] {
		t.Errorf("the API write's actor = %+v, want the token's user %s", first.Actor, id.Users["alice@acme.com"])
	}
	if first.Subject.Node != nil {
		t.Errorf("dave left, so his membership is gone too: node %+v", first.Subject.Node)
	}
	if edges[0].Node.Actor != nil {
		t.Errorf("a member leaving has no actor, got %+v", edges[0].Node.Actor)
	}

	// occurredAtFrom is inclusive; subjectType filters.
	from := edges[2].Node.OccurredAt
	p = readAudit(t, hs.URL, map[string]any{"from": from, "types": []string{"TEAM_MEMBER"}})
	if n := len(p.Organization.AuditEvents.Edges); n != 2 {
		t.Errorf("membership events from %s: %d, want 2 (the update and the add after it)", from, n)
	}
}

func TestTeamMemberCreatedAtAndFingerprintFields(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)}
	srv, hs := bksimtest.StartWith(t, mustLoad(t, "testdata/acme.yaml"), bksim.Options{Now: c.now})
	q := `{ team(slug: "acme/platform") {
	  newest: members(first: 1, order: RECENTLY_CREATED) { count edges { node { createdAt user { email } } } }
	  maintainers: members(role: MAINTAINER) { count } } }`
	type fp struct {
		Team struct {
			Newest struct {
				Count int
				Edges []struct {
					Node struct {
						CreatedAt string
						User      struct{ Email string }
					}
				}
			}
			Maintainers struct{ Count int }
		}
	}
	var before fp
	gql(t, hs.URL, q, nil).decode(t, &before)
	if before.Team.Newest.Count != 3 || before.Team.Maintainers.Count != 1 || before.Team.Newest.Edges[0].Node.User.Email != "Erin@Acme.com" {
		t.Fatalf("fingerprint of the seed = %+v", before)
	}
	seeded, err := time.Parse(time.RFC3339Nano, before.Team.Newest.Edges[0].Node.CreatedAt)
	if err != nil || !seeded.Before(c.t) {
		t.Errorf("a seeded membership's createdAt %q should be before the server started (%s): %v", before.Team.Newest.Edges[0].Node.CreatedAt, c.t, err)
	}
	if err := srv.ByHand("alice@acme.com").AddTeamMember("platform", "dave@acme.com", "maintainer"); err != nil {
		t.Fatal(err)
	}
	var after fp
	gql(t, hs.URL, q, nil).decode(t, &after)
	if after.Team.Newest.Count != 4 || after.Team.Maintainers.Count != 2 || after.Team.Newest.Edges[0].Node.User.Email != "dave@acme.com" ||
		after.Team.Newest.Edges[0].Node.CreatedAt != "2026-01-01T12:00:00.000Z" {
		t.Errorf("fingerprint after a hand add = %+v", after)
	}
}

func TestByHandRefusesWhatAPersonCouldNot(t *testing.T) {
	srv, _ := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml"))
	hand := srv.ByHand("alice@acme.com")
	for name, err := range map[string]error{
		"an actor outside the organization": srv.ByHand("zed@acme.com").AddTeamMember("platform", "dave@acme.com", "member"),
		"no such team":                      hand.AddTeamMember("nope", "dave@acme.com", "member"),
		"already in the team":               hand.AddTeamMember("platform", "bob@acme.com", "member"),
		"not in the team":                   hand.RemoveTeamMember("mobile", "bob@acme.com"),
		"a role teams do not have":          hand.SetTeamRole("platform", "bob@acme.com", "admin"),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if n := len(srv.AuditEvents()); n != 0 {
		t.Errorf("refused edits wrote %d audit events", n)
	}
}

func TestAuditLogRefused(t *testing.T) {
	srv, hs := bksimtest.StartWith(t, mustLoad(t, "testdata/acme.yaml"), bksim.Options{NoAuditLog: true})
	r := gql(t, hs.URL, auditQuery, nil)
	if r.Status != http.StatusOK || len(r.Errors) != 1 || r.Errors[0].Message != bksim.AuditLogRefused {
		t.Fatalf("status %d, errors %q; want 200 with the refusal", r.Status, r.messages())
	}
	if path, _ := json.Marshal(r.Errors[0].Path); string(path) != `["organization","auditEvents"]` {
		t.Errorf("error path %s, want the field's", path)
	}
	var d struct {
		Organization *struct{ AuditEvents any }
	}
	if err := json.Unmarshal(r.Data, &d); err != nil || d.Organization == nil || d.Organization.AuditEvents != nil {
		t.Errorf("data %s: want the organization with auditEvents null", r.Data)
	}
	_ = srv
}

// TestRenameTeamByHand: a rename keeps the team's ID, gives it the slug of
// its new name, and writes TEAM_UPDATED whose subject is the team as it is
// now.
func TestRenameTeamByHand(t *testing.T) {
	srv, hs := bksimtest.StartWith(t, mustLoad(t, "testdata/acme.yaml"), bksim.Options{})
	before := lookupIDs(t, hs.URL).Teams["platform"]
	if err := srv.ByHand("carol@acme.com").RenameTeam("platform", "Platform Legacy"); err != nil {
		t.Fatal(err)
	}
	after := lookupIDs(t, hs.URL).Teams
	if _, ok := after["platform"]; ok || after["platform-legacy"] != before {
		t.Errorf("after the rename teams = %v; want platform-legacy with platform's ID %s", after, before)
	}
	if err := srv.ByHand("carol@acme.com").RenameTeam("platform-legacy", "Mobile"); err == nil {
		t.Error("a rename to another team's slug succeeded")
	}
	e := readAudit(t, hs.URL, map[string]any{"types": []string{"TEAM"}}).Organization.AuditEvents.Edges[0].Node
	if e.Type != bksim.EventTeamUpdated || e.Subject.ID != before || e.Subject.Node == nil || e.Subject.Node.Slug != "platform-legacy" {
		t.Errorf("newest team event = %+v; want TEAM_UPDATED of %s, now platform-legacy", e, before)
	}
}
