package bksim_test

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// people looks up the OrganizationMember IDs (by email) and invitation IDs
// (by email, every state) that the organization mutations take.
func people(t testing.TB, url string) (members, invitations map[string]string) {
	t.Helper()
	var d struct {
		Organization struct {
			Members struct {
				Edges []struct {
					Node struct {
						ID   string
						User struct{ Email string }
					}
				}
			}
			Invitations struct {
				Edges []struct{ Node struct{ ID, Email string } }
			}
		}
	}
	gql(t, url, `{ organization(slug: "acme") {
		members(first: 100) { edges { node { id user { email } } } }
		invitations(first: 100) { edges { node { id email } } } } }`, nil).decode(t, &d)
	members, invitations = map[string]string{}, map[string]string{}
	for _, e := range d.Organization.Members.Edges {
		members[e.Node.User.Email] = e.Node.ID
	}
	for _, e := range d.Organization.Invitations.Edges {
		invitations[e.Node.Email] = e.Node.ID
	}
	return members, invitations
}

func TestOrganizationMutations(t *testing.T) {
	type seedIDs struct {
		ids                  ids
		members, invitations map[string]string
	}
	tests := []struct {
		name       string
		mutation   func(id seedIDs) string
		wantData   string
		wantErrors []string
		// change edits the seed's canonical state into the expected one.
		change func(st *bksim.State)
		// wantEvents are the audit events the mutation writes.
		wantEvents []bksim.AuditEvent
	}{
		{
			name: "organizationMemberDelete removes the member from the organization and every team",
			mutation: func(id seedIDs) string {
				return fmt.Sprintf(`mutation { organizationMemberDelete(input: {id: %q}) { deletedOrganizationMemberID user { email } organization { members(first: 10) { count } } } }`, id.members["Erin@Acme.com"])
			},
			wantData: `{"organizationMemberDelete":{"deletedOrganizationMemberID":"T3JnYW5pemF0aW9uTWVtYmVyLS0tMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDEx","user":{"email":"Erin@Acme.com"},"organization":{"members":{"count":4}}}}`,
			change: func(st *bksim.State) {
				st.Members = slices.DeleteFunc(st.Members, func(m bksim.Member) bool { return m.Email == "Erin@Acme.com" })
				p := teamOf(st, "platform")
				p.Members = slices.DeleteFunc(p.Members, func(m bksim.TeamMember) bool { return m.Email == "Erin@Acme.com" })
			},
			wantEvents: []bksim.AuditEvent{{Type: bksim.EventMemberDeleted, Actor: "alice@acme.com", SubjectType: bksim.SubjectOrganizationMember, Subject: "Erin@Acme.com"}},
		},
		{
			name: "organizationMemberDelete twice: the second is not found",
			mutation: func(id seedIDs) string {
				m := id.members["dave@acme.com"]
				return fmt.Sprintf(`mutation { a: organizationMemberDelete(input: {id: %q}) { user { email } } b: organizationMemberDelete(input: {id: %q}) { user { email } } }`, m, m)
			},
			wantData:   `{"a":{"user":{"email":"dave@acme.com"}},"b":null}`,
			wantErrors: []string{`No OrganizationMember found with ID "T3JnYW5pemF0aW9uTWVtYmVyLS0tMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDA5"`},
			change: func(st *bksim.State) {
				st.Members = slices.DeleteFunc(st.Members, func(m bksim.Member) bool { return m.Email == "dave@acme.com" })
			},
			wantEvents: []bksim.AuditEvent{{Type: bksim.EventMemberDeleted, Actor: "alice@acme.com", SubjectType: bksim.SubjectOrganizationMember, Subject: "dave@acme.com"}},
		},
		{
			name: "organizationMemberDelete with a User ID instead of an OrganizationMember ID",
			mutation: func(id seedIDs) string {
				return fmt.Sprintf(`mutation { organizationMemberDelete(input: {id: %q}) { deletedOrganizationMemberID } }`, id.ids.Users["bob@acme.com"])
			},
			wantData:   `{"organizationMemberDelete":null}`,
			wantErrors: []string{`No OrganizationMember found with ID "VXNlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwNA=="`},
		},
		{
			name: "organizationInvitationRevoke revokes a pending invitation",
			mutation: func(id seedIDs) string {
				return fmt.Sprintf(`mutation { organizationInvitationRevoke(input: {id: %q}) { organizationInvitation { email state } organizationInvitationEdge { node { state } } organization { invitations(first: 10, state: [PENDING]) { count } } } }`, id.invitations["frank@acme.com"])
			},
			wantData: `{"organizationInvitationRevoke":{"organizationInvitation":{"email":"frank@acme.com","state":"REVOKED"},"organizationInvitationEdge":{"node":{"state":"REVOKED"}},"organization":{"invitations":{"count":0}}}}`,
			change: func(st *bksim.State) {
				st.Invitations[0].State = bksim.InvitationRevoked
			},
			wantEvents: []bksim.AuditEvent{{Type: bksim.EventInvitationRevoked, Actor: "alice@acme.com", SubjectType: bksim.SubjectOrganizationInvitation, Subject: "frank@acme.com"}},
		},
		{
			name: "organizationInvitationRevoke twice: the second is refused",
			mutation: func(id seedIDs) string {
				i := id.invitations["frank@acme.com"]
				return fmt.Sprintf(`mutation { a: organizationInvitationRevoke(input: {id: %q}) { organizationInvitation { state } } b: organizationInvitationRevoke(input: {id: %q}) { organizationInvitation { state } } }`, i, i)
			},
			wantData:   `{"a":{"organizationInvitation":{"state":"REVOKED"}},"b":null}`,
			wantErrors: []string{"This invitation has already been revoked"},
			change: func(st *bksim.State) {
				st.Invitations[0].State = bksim.InvitationRevoked
			},
			wantEvents: []bksim.AuditEvent{{Type: bksim.EventInvitationRevoked, Actor: "alice@acme.com", SubjectType: bksim.SubjectOrganizationInvitation, Subject: "frank@acme.com"}},
		},
		{
			name: "organizationInvitationRevoke of an expired invitation",
			mutation: func(id seedIDs) string {
				return fmt.Sprintf(`mutation { organizationInvitationRevoke(input: {id: %q}) { organizationInvitation { state } } }`, id.invitations["gina@acme.com"])
			},
			wantData:   `{"organizationInvitationRevoke":null}`,
			wantErrors: []string{"This invitation has expired"},
		},
		{
			name: "organizationInvitationRevoke with a team's ID",
			mutation: func(id seedIDs) string {
				return fmt.Sprintf(`mutation { organizationInvitationRevoke(input: {id: %q}) { organizationInvitation { state } } }`, id.ids.Teams["mobile"])
			},
			wantData:   `{"organizationInvitationRevoke":null}`,
			wantErrors: []string{`No OrganizationInvitation found with ID "VGVhbS0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxNg=="`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seedState := mustLoad(t, "testdata/acme.yaml")
			srv, hs := bksimtest.Start(t, seedState)
			members, invitations := people(t, hs.URL)
			before := len(srv.AuditEvents())
			r := gql(t, hs.URL, tt.mutation(seedIDs{lookupIDs(t, hs.URL), members, invitations}), nil)
			if string(r.Data) != tt.wantData {
				t.Errorf("data:\n got %s\nwant %s", r.Data, tt.wantData)
			}
			if !slices.Equal(r.messages(), tt.wantErrors) {
				t.Errorf("errors %q, want %q", r.messages(), tt.wantErrors)
			}
			var events []bksim.AuditEvent
			for _, e := range srv.AuditEvents()[before:] {
				e.OccurredAt = time.Time{}
				events = append(events, e)
			}
			if !reflect.DeepEqual(events, tt.wantEvents) {
				t.Errorf("audit events %+v, want %+v", events, tt.wantEvents)
			}
			want := acmeSnapshot(seedState)
			if tt.change != nil {
				tt.change(&want)
			}
			assertState(t, srv.State(), want)
		})
	}
}

// TestOrganizationMutationsNeedAnAdmin: the token's user of an organization
// without admins is a member, who may neither remove people nor revoke
// invitations.
func TestOrganizationMutationsNeedAnAdmin(t *testing.T) {
	seedState := mustLoad(t, "testdata/acme.yaml")
	seedState.Members[0].Role = bksim.RoleMember
	srv, hs := bksimtest.Start(t, seedState)
	members, invitations := people(t, hs.URL)
	r := gql(t, hs.URL, fmt.Sprintf(`mutation { a: organizationMemberDelete(input: {id: %q}) { deletedOrganizationMemberID } b: organizationInvitationRevoke(input: {id: %q}) { organizationInvitation { state } } }`,
		members["bob@acme.com"], invitations["frank@acme.com"]), nil)
	want := []string{"Only organization administrators can remove members from the organization", "Only organization administrators can revoke invitations"}
	if string(r.Data) != `{"a":null,"b":null}` || !slices.Equal(r.messages(), want) {
		t.Errorf("data %s, errors %q; want both null with %q", r.Data, r.messages(), want)
	}
	assertState(t, srv.State(), acmeSnapshot(seedState))
}

// acmeSnapshot is testdata/acme.yaml as the server's snapshot shows it,
// which spells team members as the organization member does.
func acmeSnapshot(seedState bksim.State) bksim.State {
	want := seedState.Canonical()
	p := teamOf(&want, "platform")
	for j, m := range p.Members {
		if m.Email == "erin@acme.com" {
			p.Members[j].Email = "Erin@Acme.com"
		}
	}
	return want
}

// TestMemberCreatedAt: seeded members joined when the seed says, or at
// stable times that do not depend on the clock; members who join later
// joined when their event says.
func TestMemberCreatedAt(t *testing.T) {
	seedState := bksim.State{Organization: "acme", Members: []bksim.Member{
		{Email: "a@acme.com"},
		{Email: "b@acme.com", CreatedAt: time.Date(2023, 5, 6, 7, 8, 9, 0, time.UTC)},
		{Email: "c@acme.com"},
	}}
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	srv, hs := bksimtest.StartWith(t, seedState, bksim.Options{Now: c.now})
	if err := srv.AddMember(bksim.Member{Email: "d@acme.com"}); err != nil {
		t.Fatal(err)
	}
	var d struct {
		Organization struct {
			Members struct {
				Edges []struct {
					Node struct {
						CreatedAt string
						User      struct{ Email string }
					}
				}
			}
		}
	}
	gql(t, hs.URL, `{ organization(slug: "acme") { members(first: 10, order: NAME) { edges { node { createdAt user { email } } } } } }`, nil).decode(t, &d)
	got := map[string]string{}
	for _, e := range d.Organization.Members.Edges {
		got[e.Node.User.Email] = e.Node.CreatedAt
	}
	want := map[string]string{
		"a@acme.com": "2025-01-01T00:00:00.000Z",
		"b@acme.com": "2023-05-06T07:08:09.000Z",
		"c@acme.com": "2025-01-01T00:02:00.000Z",
		"d@acme.com": "2026-03-01T09:00:00.000Z",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("createdAt = %v, want %v", got, want)
	}
	// The snapshot keeps what the seed gave, so it compares with the seed.
	assertState(t, removeMember(srv.State(), "d@acme.com"), seedState.Canonical())
}

func removeMember(st bksim.State, email string) bksim.State {
	st.Members = slices.DeleteFunc(st.Members, func(m bksim.Member) bool { return m.Email == email })
	return st
}
