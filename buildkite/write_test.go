package buildkite

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/sync/model"
)

// readForWrite reads readSeed's platform and mobile teams, for the IDs the
// writes take, and looks up eve, who is in neither, as the reconciler does
// for the people it will place.
func readForWrite(t *testing.T, tc *testClient) *model.Org {
	t.Helper()
	ctx := context.Background()
	org, err := tc.ReadOrg(ctx, []string{"platform", "mobile"})
	if err != nil {
		t.Fatal(err)
	}
	found, err := tc.LookupMembers(ctx, []string{"eve@acme.com"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := found["eve@acme.com"]; !ok {
		t.Fatalf("eve not found: %v", found)
	}
	maps.Copy(org.Members, found)
	return org
}

func findTeam(st bksim.State, slug string) *bksim.Team {
	for i := range st.Teams {
		if st.Teams[i].Slug == slug {
			return &st.Teams[i]
		}
	}
	return nil
}

func TestCreateTeam(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, nil)
	org := readForWrite(t, tc)
	ctx := context.Background()

	id, err := tc.CreateTeam(ctx, org.ID, model.NewTeam{Name: "Data Science", Privacy: "visible"})
	if err != nil {
		t.Fatal(err)
	}
	got := findTeam(srv.State(), "data-science")
	want := &bksim.Team{Slug: "data-science", Name: "Data Science", Privacy: "visible"}
	if got == nil || got.Slug != want.Slug || got.Name != want.Name || got.Privacy != want.Privacy || len(got.Members) != 0 {
		t.Fatalf("team in simulator = %+v, want %+v", got, want)
	}
	// The returned ID is the team's: a member can be added with it.
	if _, err := tc.AddTeamMember(ctx, id, org.Members["eve@acme.com"].UserID, model.RoleMember); err != nil {
		t.Fatalf("add to the new team by its returned ID: %v", err)
	}

	_, err = tc.CreateTeam(ctx, org.ID, model.NewTeam{Name: "Data Science"})
	if !errors.Is(err, model.ErrAlreadyExists) {
		t.Errorf("second create: %v, want ErrAlreadyExists", err)
	}
	if _, err := tc.CreateTeam(ctx, org.ID, model.NewTeam{Name: "X", Privacy: "public"}); errText(err) != `buildkite: create team "X": privacy "public" is not secret or visible` {
		t.Errorf("bad privacy: %v", err)
	}
}

// TestCreateTeamDefaults checks the fixed settings teamsync creates teams
// with, which the simulator's snapshot does not show: it reads them back.
func TestCreateTeamDefaults(t *testing.T) {
	_, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, nil)
	org := readForWrite(t, tc)
	ctx := context.Background()
	if _, err := tc.CreateTeam(ctx, org.ID, model.NewTeam{Name: "Ops"}); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Team struct {
			Privacy           string `json:"privacy"`
			IsDefaultTeam     bool   `json:"isDefaultTeam"`
			DefaultMemberRole string `json:"defaultMemberRole"`
		} `json:"team"`
	}
	op := operation{name: "Check", doc: `query Check($t: ID!) { team(slug: $t) { privacy isDefaultTeam defaultMemberRole } }`}
	if _, err := tc.run(ctx, op, map[string]any{"t": "acme/ops"}, &out); err != nil {
		t.Fatal(err)
	}
	if out.Team.Privacy != "SECRET" || out.Team.IsDefaultTeam || out.Team.DefaultMemberRole != "MEMBER" {
		t.Errorf("new team = %+v, want SECRET, not default, MEMBER", out.Team)
	}
}

func TestTeamMemberWrites(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, nil)
	org := readForWrite(t, tc)
	ctx := context.Background()
	mobile := org.Teams["mobile"]

	// Add Eve as maintainer: the role is sent, not the team default. The
	// new membership comes back, for a caller that remembers the team.
	eve, err := tc.AddTeamMember(ctx, mobile.ID, org.Members["eve@acme.com"].UserID, model.RoleMaintainer)
	if err != nil {
		t.Fatal(err)
	}
	if eve.ID == "" || eve.UserID != org.Members["eve@acme.com"].UserID || eve.Role != model.RoleMaintainer || eve.CreatedAt.IsZero() {
		t.Errorf("AddTeamMember returned %+v, want the new membership with its ID, user, role and createdAt", eve)
	}
	// Bob's email differs in case in Buildkite; the User ID is what counts.
	if _, err := tc.AddTeamMember(ctx, mobile.ID, org.Members["bob@acme.com"].UserID, model.RoleMember); err != nil {
		t.Fatal(err)
	}
	// Carol: maintainer → member.
	if err := tc.UpdateTeamMember(ctx, mobile.Members["carol@acme.com"].ID, model.RoleMember); err != nil {
		t.Fatal(err)
	}
	want := []bksim.TeamMember{
		{Email: "Bob@Acme.COM", Role: "member"},
		{Email: "carol@acme.com", Role: "member"},
		{Email: "eve@acme.com", Role: "maintainer"},
	}
	if got := findTeam(srv.State(), "mobile").Members; !reflect.DeepEqual(got, want) {
		t.Fatalf("mobile members = %+v, want %+v", got, want)
	}

	// Adding again: already a member.
	_, err = tc.AddTeamMember(ctx, mobile.ID, org.Members["eve@acme.com"].UserID, model.RoleMaintainer)
	if !errors.Is(err, model.ErrAlreadyExists) || errText(err) != "buildkite: teamMemberCreate: graphql: User has already been added to this team" {
		t.Errorf("second add: %v, want ErrAlreadyExists", err)
	}

	// Remove Carol; removing again is "not found".
	carol := mobile.Members["carol@acme.com"].ID
	if err := tc.RemoveTeamMember(ctx, carol); err != nil {
		t.Fatal(err)
	}
	if got := findTeam(srv.State(), "mobile").Members; len(got) != 2 || got[0].Email != "Bob@Acme.COM" || got[1].Email != "eve@acme.com" {
		t.Fatalf("after remove, mobile members = %+v", got)
	}
	err = tc.RemoveTeamMember(ctx, carol)
	if !errors.Is(err, model.ErrNotFound) || errors.Is(err, model.ErrAlreadyExists) {
		t.Errorf("second remove: %v, want ErrNotFound", err)
	}
	if err := tc.UpdateTeamMember(ctx, carol, model.RoleMaintainer); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("update of a removed membership: %v, want ErrNotFound", err)
	}

	if _, err := tc.AddTeamMember(ctx, mobile.ID, org.Members["eve@acme.com"].UserID, "owner"); errText(err) != `buildkite: teamMemberCreate: role "owner" is not member or maintainer` {
		t.Errorf("bad role: %v", err)
	}
	if st := srv.Stats(); st.Rejected != 0 {
		t.Errorf("%d operations failed schema validation", st.Rejected)
	}
}

func TestInvite(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, nil)
	org := readForWrite(t, tc)
	ctx := context.Background()

	teams := []model.TeamAssignment{
		{TeamID: org.Teams["platform"].ID, Role: model.RoleMaintainer},
		{TeamID: org.Teams["mobile"].ID, Role: model.RoleMember},
	}
	if err := tc.Invite(ctx, org.ID, "newbie@acme.com", teams); err != nil {
		t.Fatal(err)
	}
	var got *bksim.Invitation
	for _, inv := range srv.State().Invitations {
		if inv.Email == "newbie@acme.com" {
			got = &inv
		}
	}
	want := bksim.Invitation{Email: "newbie@acme.com", State: "pending", Role: "member", Teams: []bksim.TeamRole{
		{Team: "mobile", Role: "member"}, {Team: "platform", Role: "maintainer"},
	}}
	if got == nil || !reflect.DeepEqual(*got, want) {
		t.Fatalf("invitation = %+v, want %+v", got, want)
	}

	// It reads back as pending with its teams.
	again, err := tc.ReadOrg(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if inv := again.Invitations["newbie@acme.com"]; !reflect.DeepEqual(inv.Teams, []model.TeamRole{{Team: "mobile", Role: model.RoleMember}, {Team: "platform", Role: model.RoleMaintainer}}) {
		t.Errorf("read back invitation teams = %+v", inv.Teams)
	}

	tests := []struct {
		name, email, want string
	}{
		{"already invited", "newbie@acme.com", "buildkite: organizationInvitationCreate: graphql: newbie@acme.com has already been invited (a pending invitation already exists)"},
		{"already a member", "carol@acme.com", "buildkite: organizationInvitationCreate: graphql: carol@acme.com is already a member of this organization"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tc.Invite(ctx, org.ID, tt.email, nil)
			if !errors.Is(err, model.ErrAlreadyExists) || errText(err) != tt.want {
				t.Errorf("Invite = %v, want %q wrapping ErrAlreadyExists", err, tt.want)
			}
		})
	}
}
