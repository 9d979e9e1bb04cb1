package bksim_test

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// teamOf returns a pointer to the team with slug in st.
func teamOf(st *bksim.State, slug string) *bksim.Team {
	for i := range st.Teams {
		if st.Teams[i].Slug == slug {
			return &st.Teams[i]
		}
	}
	panic("no team " + slug)
}

func TestMutations(t *testing.T) {
	tests := []struct {
		name string
		// mutation is the request, given the seed's IDs.
		mutation   func(id ids) string
		wantData   string
		wantErrors []string
		wantPaths  [][]any
		// change edits the seed's canonical state into the expected one.
		change func(st *bksim.State)
	}{
		{
			name: "teamCreate derives the slug from the name",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamCreate(input: {organizationID: %q, name: "  Mobile / iOS Apps ", privacy: VISIBLE, isDefaultTeam: false, defaultMemberRole: MAINTAINER, description: "phones"}) {
					teamEdge { node { slug name privacy defaultMemberRole description isDefaultTeam membersCanCreatePipelines membersCanDestroyPackages members(first: 1) { count } } } organization { slug } } }`, id.Org)
			},
			wantData: `{"teamCreate":{"teamEdge":{"node":{"slug":"mobile-ios-apps","name":"Mobile / iOS Apps","privacy":"VISIBLE","defaultMemberRole":"MAINTAINER","description":"phones","isDefaultTeam":false,"membersCanCreatePipelines":true,"membersCanDestroyPackages":false,"members":{"count":0}}},"organization":{"slug":"acme"}}}`,
			change: func(st *bksim.State) {
				st.Teams = append(st.Teams, bksim.Team{Slug: "mobile-ios-apps", Name: "Mobile / iOS Apps", Privacy: "visible", Description: "phones", Members: []bksim.TeamMember{}})
				*st = st.Canonical()
			},
		},
		{
			name: "teamCreate with a taken slug",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamCreate(input: {organizationID: %q, name: "PLATFORM", privacy: SECRET, isDefaultTeam: false, defaultMemberRole: MEMBER}) { teamEdge { node { id } } } }`, id.Org)
			},
			wantData:   `{"teamCreate":null}`,
			wantErrors: []string{`Name has already been taken (a team with the slug "platform" already exists)`},
			wantPaths:  [][]any{{"teamCreate"}},
		},
		{
			name: "teamCreate with a blank name",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamCreate(input: {organizationID: %q, name: "  ", privacy: SECRET, isDefaultTeam: false, defaultMemberRole: MEMBER}) { teamEdge { node { id } } } }`, id.Org)
			},
			wantData:   `{"teamCreate":null}`,
			wantErrors: []string{`Name can't be blank`},
			wantPaths:  [][]any{{"teamCreate"}},
		},
		{
			name: "teamCreate with a name without letters",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamCreate(input: {organizationID: %q, name: "!!!", privacy: SECRET, isDefaultTeam: false, defaultMemberRole: MEMBER}) { teamEdge { node { id } } } }`, id.Org)
			},
			wantData:   `{"teamCreate":null}`,
			wantErrors: []string{`Name must contain at least one letter or number`},
			wantPaths:  [][]any{{"teamCreate"}},
		},
		{
			name: "teamCreate in an unknown organization",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamCreate(input: {organizationID: %q, name: "X", privacy: SECRET, isDefaultTeam: false, defaultMemberRole: MEMBER}) { teamEdge { node { id } } } }`, id.Teams["platform"])
			},
			wantData:   `{"teamCreate":null}`,
			wantErrors: []string{`No organization found with ID "VGVhbS0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxMg=="`},
			wantPaths:  [][]any{{"teamCreate"}},
		},
		{
			name: "teamMemberCreate adds with the given role",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamMemberCreate(input: {teamID: %q, userID: %q, role: MAINTAINER}) { teamMemberEdge { node { role user { email } team { slug } } } team { members(first: 10) { count } } } }`, id.Teams["mobile"], id.Users["dave@acme.com"])
			},
			wantData: `{"teamMemberCreate":{"teamMemberEdge":{"node":{"role":"MAINTAINER","user":{"email":"dave@acme.com"},"team":{"slug":"mobile"}}},"team":{"members":{"count":2}}}}`,
			change: func(st *bksim.State) {
				tm := teamOf(st, "mobile")
				tm.Members = append(tm.Members, bksim.TeamMember{Email: "dave@acme.com", Role: "maintainer"})
			},
		},
		{
			name: "teamMemberCreate without role uses the team default",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamMemberCreate(input: {teamID: %q, userID: %q}) { teamMemberEdge { node { role } } } }`, id.Teams["mobile"], id.Users["dave@acme.com"])
			},
			wantData: `{"teamMemberCreate":{"teamMemberEdge":{"node":{"role":"MEMBER"}}}}`,
			change: func(st *bksim.State) {
				tm := teamOf(st, "mobile")
				tm.Members = append(tm.Members, bksim.TeamMember{Email: "dave@acme.com", Role: "member"})
			},
		},
		{
			name: "teamMemberCreate for someone already in the team",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamMemberCreate(input: {teamID: %q, userID: %q, role: MEMBER}) { teamMemberEdge { node { id } } } }`, id.Teams["platform"], id.Users["bob@acme.com"])
			},
			wantData:   `{"teamMemberCreate":null}`,
			wantErrors: []string{`User has already been added to this team`},
			wantPaths:  [][]any{{"teamMemberCreate"}},
		},
		{
			name: "teamMemberCreate with an unknown team",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamMemberCreate(input: {teamID: "nope", userID: %q, role: MEMBER}) { teamMemberEdge { node { id } } } }`, id.Users["bob@acme.com"])
			},
			wantData:   `{"teamMemberCreate":null}`,
			wantErrors: []string{`No team found with ID "nope"`},
			wantPaths:  [][]any{{"teamMemberCreate"}},
		},
		{
			name: "teamMemberCreate with an OrganizationMember ID instead of a User ID",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamMemberCreate(input: {teamID: %q, userID: "T3JnYW5pemF0aW9uTWVtYmVyLS0tMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDA1", role: MEMBER}) { teamMemberEdge { node { id } } } }`, id.Teams["mobile"])
			},
			wantData:   `{"teamMemberCreate":null}`,
			wantErrors: []string{`No user found with ID "T3JnYW5pemF0aW9uTWVtYmVyLS0tMDAwMDAwMDAtMDAwMC00MDAwLTgwMDAtMDAwMDAwMDAwMDA1" in this organization`},
			wantPaths:  [][]any{{"teamMemberCreate"}},
		},
		{
			name: "teamMemberUpdate changes the role",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamMemberUpdate(input: {id: %q, role: MAINTAINER}) { teamMember { role user { email } } } }`, id.TeamMembers["platform/bob@acme.com"])
			},
			wantData: `{"teamMemberUpdate":{"teamMember":{"role":"MAINTAINER","user":{"email":"bob@acme.com"}}}}`,
			change: func(st *bksim.State) {
				teamOf(st, "platform").Members[1].Role = "maintainer"
			},
		},
		{
			name: "teamMemberUpdate of an unknown membership",
			mutation: func(id ids) string {
				return `mutation { teamMemberUpdate(input: {id: "VGVhbU1lbWJlci0tLTk5", role: MEMBER}) { teamMember { id } } }`
			},
			wantData:   `{"teamMemberUpdate":null}`,
			wantErrors: []string{`No TeamMember found with ID "VGVhbU1lbWJlci0tLTk5"`},
			wantPaths:  [][]any{{"teamMemberUpdate"}},
		},
		{
			name: "teamMemberDelete removes the membership",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { teamMemberDelete(input: {id: %q}) { deletedTeamMemberID team { slug members(first: 10) { count } } } }`, id.TeamMembers["platform/bob@acme.com"])
			},
			wantData: `{"teamMemberDelete":{"deletedTeamMemberID":"VGVhbU1lbWJlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxNA==","team":{"slug":"platform","members":{"count":2}}}}`,
			change: func(st *bksim.State) {
				p := teamOf(st, "platform")
				p.Members = slices.Delete(p.Members, 1, 2)
			},
		},
		{
			name: "teamMemberDelete twice: the second is not found",
			mutation: func(id ids) string {
				m := id.TeamMembers["platform/bob@acme.com"]
				return fmt.Sprintf(`mutation { a: teamMemberDelete(input: {id: %q}) { deletedTeamMemberID } b: teamMemberDelete(input: {id: %q}) { deletedTeamMemberID } }`, m, m)
			},
			wantData:   `{"a":{"deletedTeamMemberID":"VGVhbU1lbWJlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxNA=="},"b":null}`,
			wantErrors: []string{`No TeamMember found with ID "VGVhbU1lbWJlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxNA=="`},
			wantPaths:  [][]any{{"b"}},
			change: func(st *bksim.State) {
				p := teamOf(st, "platform")
				p.Members = slices.Delete(p.Members, 1, 2)
			},
		},
		{
			name: "organizationInvitationCreate with teams",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { organizationInvitationCreate(input: {organizationID: %q, emails: ["hank@acme.com", "Ivy@acme.com"], role: MEMBER, teams: [{id: %q, role: MAINTAINER}, {id: %q, role: MEMBER}]}) {
					invitationEdges { node { email state role teams(first: 5) { edges { node { role team { slug } } } } } } organization { invitations(first: 10, state: [PENDING]) { count } } } }`, id.Org, id.Teams["platform"], id.Teams["mobile"])
			},
			wantData: `{"organizationInvitationCreate":{"invitationEdges":[` +
				`{"node":{"email":"hank@acme.com","state":"PENDING","role":"MEMBER","teams":{"edges":[{"node":{"role":"MAINTAINER","team":{"slug":"platform"}}},{"node":{"role":"MEMBER","team":{"slug":"mobile"}}}]}}},` +
				`{"node":{"email":"Ivy@acme.com","state":"PENDING","role":"MEMBER","teams":{"edges":[{"node":{"role":"MAINTAINER","team":{"slug":"platform"}}},{"node":{"role":"MEMBER","team":{"slug":"mobile"}}}]}}}]` +
				`,"organization":{"invitations":{"count":3}}}}`,
			change: func(st *bksim.State) {
				teams := []bksim.TeamRole{{Team: "mobile", Role: "member"}, {Team: "platform", Role: "maintainer"}}
				st.Invitations = append(st.Invitations,
					bksim.Invitation{Email: "hank@acme.com", State: "pending", Role: "member", Teams: teams},
					bksim.Invitation{Email: "Ivy@acme.com", State: "pending", Role: "member", Teams: teams})
				*st = st.Canonical()
			},
		},
		{
			name: "organizationInvitationCreate for a member",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { organizationInvitationCreate(input: {organizationID: %q, emails: ["new@acme.com", "ERIN@acme.com"]}) { invitationEdges { node { id } } } }`, id.Org)
			},
			wantData:   `{"organizationInvitationCreate":null}`,
			wantErrors: []string{`ERIN@acme.com is already a member of this organization`},
			wantPaths:  [][]any{{"organizationInvitationCreate"}},
		},
		{
			name: "organizationInvitationCreate for someone already invited",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { organizationInvitationCreate(input: {organizationID: %q, emails: ["Frank@acme.com"]}) { invitationEdges { node { id } } } }`, id.Org)
			},
			wantData:   `{"organizationInvitationCreate":null}`,
			wantErrors: []string{`Frank@acme.com has already been invited (a pending invitation already exists)`},
			wantPaths:  [][]any{{"organizationInvitationCreate"}},
		},
		{
			name: "organizationInvitationCreate again after an expired invitation",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { organizationInvitationCreate(input: {organizationID: %q, emails: ["gina@acme.com"]}) { invitationEdges { node { email state } } } }`, id.Org)
			},
			wantData: `{"organizationInvitationCreate":{"invitationEdges":[{"node":{"email":"gina@acme.com","state":"PENDING"}}]}}`,
			change: func(st *bksim.State) {
				st.Invitations = append(st.Invitations, bksim.Invitation{Email: "gina@acme.com", State: "pending", Role: "member"})
				*st = st.Canonical()
			},
		},
		{
			name: "organizationInvitationCreate with a bad email",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { organizationInvitationCreate(input: {organizationID: %q, emails: ["not-an-email"]}) { invitationEdges { node { id } } } }`, id.Org)
			},
			wantData:   `{"organizationInvitationCreate":null}`,
			wantErrors: []string{`"not-an-email" is not a valid email address`},
			wantPaths:  [][]any{{"organizationInvitationCreate"}},
		},
		{
			name: "organizationInvitationCreate with an unknown team",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation { organizationInvitationCreate(input: {organizationID: %q, emails: ["hank@acme.com"], teams: [{id: "nope", role: MEMBER}]}) { invitationEdges { node { id } } } }`, id.Org)
			},
			wantData:   `{"organizationInvitationCreate":null}`,
			wantErrors: []string{`No team found with ID "nope"`},
			wantPaths:  [][]any{{"organizationInvitationCreate"}},
		},
		{
			name: "a batch runs in order and one failing alias leaves the others",
			mutation: func(id ids) string {
				return fmt.Sprintf(`mutation {
					a0: teamMemberCreate(input: {teamID: %[1]q, userID: %[2]q, role: MEMBER}) { teamMemberEdge { node { role } } }
					a1: teamMemberCreate(input: {teamID: %[1]q, userID: %[2]q, role: MAINTAINER}) { teamMemberEdge { node { role } } }
					a2: teamMemberUpdate(input: {id: %[3]q, role: MEMBER}) { teamMember { role } }
					a3: teamMemberDelete(input: {id: %[4]q}) { deletedTeamMemberID }
				}`, id.Teams["empty"], id.Users["carol@acme.com"], id.TeamMembers["platform/alice@acme.com"], id.TeamMembers["mobile/carol@acme.com"])
			},
			wantData:   `{"a0":{"teamMemberEdge":{"node":{"role":"MEMBER"}}},"a1":null,"a2":{"teamMember":{"role":"MEMBER"}},"a3":{"deletedTeamMemberID":"VGVhbU1lbWJlci0tLTAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAxNw=="}}`,
			wantErrors: []string{`User has already been added to this team`},
			wantPaths:  [][]any{{"a1"}},
			change: func(st *bksim.State) {
				teamOf(st, "empty").Members = []bksim.TeamMember{{Email: "carol@acme.com", Role: "member"}}
				teamOf(st, "platform").Members[0].Role = "member"
				teamOf(st, "mobile").Members = []bksim.TeamMember{}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seedState := mustLoad(t, "testdata/acme.yaml")
			srv, hs := bksimtest.Start(t, seedState)
			r := gql(t, hs.URL, tt.mutation(lookupIDs(t, hs.URL)), nil)
			if r.Status != 200 {
				t.Fatalf("status %d: %s", r.Status, r.Raw)
			}
			if string(r.Data) != tt.wantData {
				t.Errorf("data:\n got %s\nwant %s", r.Data, tt.wantData)
			}
			if !slices.Equal(r.messages(), tt.wantErrors) {
				t.Errorf("errors %q, want %q", r.messages(), tt.wantErrors)
			}
			var paths [][]any
			for _, e := range r.Errors {
				paths = append(paths, e.Path)
			}
			if !reflect.DeepEqual(paths, tt.wantPaths) {
				t.Errorf("error paths %v, want %v", paths, tt.wantPaths)
			}
			want := seedState.Canonical()
			// The snapshot spells team members as the organization member does.
			for i := range want.Teams {
				for j, m := range want.Teams[i].Members {
					if strings.EqualFold(m.Email, "erin@acme.com") {
						want.Teams[i].Members[j].Email = "Erin@Acme.com"
					}
				}
			}
			if tt.change != nil {
				tt.change(&want)
			}
			assertState(t, srv.State(), want)
		})
	}
}

func TestPendingInvitationCap(t *testing.T) {
	srv, hs := bksimtest.Start(t, mustLoad(t, "testdata/acme.yaml")) // 1 pending already
	id := lookupIDs(t, hs.URL)
	invite := func(emails ...string) result {
		return gql(t, hs.URL, `mutation($org: ID!, $emails: [String!]!) { organizationInvitationCreate(input: {organizationID: $org, emails: $emails}) { invitationEdges { node { email } } } }`,
			map[string]any{"org": id.Org, "emails": emails})
	}
	var batch []string
	for i := range 18 {
		batch = append(batch, fmt.Sprintf("new%02d@acme.com", i))
	}
	if r := invite(batch...); len(r.Errors) > 0 {
		t.Fatalf("inviting 18: %q", r.messages())
	}
	// 19 pending: two more would make 21, so neither is invited.
	r := invite("x@acme.com", "y@acme.com")
	if got, want := r.messages(), []string{"Your organization has reached its limit of 20 pending invitations"}; !slices.Equal(got, want) {
		t.Errorf("errors %q, want %q", got, want)
	}
	if r := invite("x@acme.com"); len(r.Errors) > 0 {
		t.Fatalf("the 20th: %q", r.messages())
	}
	pending := 0
	for _, inv := range srv.State().Invitations {
		if inv.State == bksim.InvitationPending {
			pending++
		}
	}
	if pending != 20 {
		t.Errorf("%d pending invitations, want 20", pending)
	}
	// Once one is accepted there is room again, and the person is placed.
	if err := srv.SetInvitationState("frank@acme.com", bksim.InvitationAccepted); err != nil {
		t.Fatal(err)
	}
	if r := invite("y@acme.com"); len(r.Errors) > 0 {
		t.Fatalf("after an acceptance: %q", r.messages())
	}
	st := srv.State()
	if !slices.ContainsFunc(st.Members, func(m bksim.Member) bool { return m.Email == "frank@acme.com" }) ||
		!slices.Contains(teamOf(&st, "platform").Members, bksim.TeamMember{Email: "frank@acme.com", Role: "member"}) {
		t.Errorf("accepted invitation did not place frank: %+v", st)
	}
}

func TestTeamCap(t *testing.T) {
	st := bksim.State{Organization: "acme"}
	for i := range bksim.MaxTeams {
		st.Teams = append(st.Teams, bksim.Team{Slug: fmt.Sprintf("t%03d", i)})
	}
	_, hs := bksimtest.Start(t, st)
	id := lookupIDs(t, hs.URL)
	r := gql(t, hs.URL, `mutation($org: ID!) { teamCreate(input: {organizationID: $org, name: "one more", privacy: SECRET, isDefaultTeam: false, defaultMemberRole: MEMBER}) { teamEdge { node { slug } } } }`, map[string]any{"org": id.Org})
	if got, want := r.messages(), []string{"Organization has reached the limit of 250 teams"}; !slices.Equal(got, want) {
		t.Errorf("errors %q, want %q", got, want)
	}
}
