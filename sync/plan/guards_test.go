package plan

import (
	"reflect"
	"testing"

	"github.com/teamsync/teamsync/sync/model"
)

func add(team, email string) Change {
	return Change{Action: ActionAddMember, Team: team, Email: email, Role: mem}
}

func rm(team, email string) Change {
	return Change{Action: ActionRemoveMember, Team: team, Email: email, Role: mem}
}

func roleChange(team, email string, from, to model.Role) Change {
	return Change{Action: ActionUpdateRole, Team: team, Email: email, FromRole: from, Role: to}
}

type guardCase struct {
	name    string
	draft   Draft
	changes []string
	held    []string
}

func runGuardCases(t *testing.T, guard func(*Draft), cases []guardCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := tc.draft
			guard(&d)
			if got := describeChanges(d.Changes); !reflect.DeepEqual(got, list(tc.changes...)) {
				t.Errorf("changes:\n got  %q\n want %q", got, tc.changes)
			}
			if got := describeChanges(d.Held); !reflect.DeepEqual(got, list(tc.held...)) {
				t.Errorf("held:\n got  %q\n want %q", got, tc.held)
			}
		})
	}
}

func TestHoldObserve(t *testing.T) {
	facts := map[string]TeamFacts{
		"watch": {Policy: model.PolicyObserve},
		"live":  {Policy: model.PolicyAuthoritative},
	}
	runGuardCases(t, HoldObserve, []guardCase{
		{
			name: "every change of an observe team, creation included",
			draft: Draft{Teams: facts, Changes: []Change{
				{Action: ActionCreateTeam, Team: "watch"},
				add("watch", "a@x"), rm("watch", "b@x"), add("live", "c@x"),
			}},
			changes: list("add_member live c@x member"),
			held: list(
				"observe: create_team watch",
				"observe: add_member watch a@x member",
				"observe: remove_member watch b@x member",
			),
		},
		{
			name: "invites have no team and are not held",
			draft: Draft{Teams: facts, Changes: []Change{
				{Action: ActionInvite, Email: "d@x", Teams: []model.TeamRole{{Team: "live", Role: mem}}},
			}},
			changes: list("invite d@x live:member"),
		},
	})
}

func TestHoldUnknownSource(t *testing.T) {
	facts := map[string]TeamFacts{
		"broken": {Members: 3, FailedSources: []string{"okta:Leads"}},
		"fine":   {Members: 3},
	}
	runGuardCases(t, HoldUnknownSource, []guardCase{
		{
			name: "removals and downgrades of a team with a failed source",
			draft: Draft{Teams: facts, Changes: []Change{
				add("broken", "a@x"),
				roleChange("broken", "up@x", mem, mnt),
				roleChange("broken", "down@x", mnt, mem),
				rm("broken", "gone@x"),
				rm("fine", "gone@x"),
				roleChange("fine", "down@x", mnt, mem),
			}},
			changes: list(
				"add_member broken a@x member",
				"update_role broken up@x member->maintainer",
				"remove_member fine gone@x member",
				"update_role fine down@x maintainer->member",
			),
			held: list(
				"unknown_source: update_role broken down@x maintainer->member",
				"unknown_source: remove_member broken gone@x member",
			),
		},
	})
}

func TestHoldEmptyGroup(t *testing.T) {
	runGuardCases(t, HoldEmptyGroup, []guardCase{
		{
			name: "all removals and downgrades of a team with an empty group; adds and upgrades go ahead",
			draft: Draft{
				Teams: map[string]TeamFacts{"t": {Members: 2, EmptyGroups: []string{"okta:X"}}},
				Changes: []Change{
					rm("t", "a@x"), rm("t", "b@x"), roleChange("t", "c@x", mnt, mem), add("t", "d@x"), roleChange("t", "e@x", mem, mnt),
				},
			},
			changes: list("add_member t d@x member", "update_role t e@x member->maintainer"),
			held:    list("empty_group: remove_member t a@x member", "empty_group: remove_member t b@x member", "empty_group: update_role t c@x maintainer->member"),
		},
		{
			name: "no empty group, nothing held",
			draft: Draft{
				Teams:   map[string]TeamFacts{"t": {Members: 2}},
				Changes: []Change{rm("t", "a@x")},
			},
			changes: list("remove_member t a@x member"),
		},
	})
}

func TestHoldMaxRemovalPercent(t *testing.T) {
	described := func(guard, team string, n int) []string {
		return describeChanges(heldAs(guard, removalsFor(team, n)))
	}
	cases := []struct {
		name     string
		members  int
		removals int
		percent  int
		wantHeld bool
	}{
		{"10 members, 3 of 30%: allowed", 10, 3, 30, false},
		{"10 members, 4 of 30%: held", 10, 4, 30, true},
		{"9 members, 9 of 30%: exempt", 9, 9, 30, false},
		{"20 members, 6 of 30%: allowed", 20, 6, 30, false},
		{"20 members, 7 of 30%: held", 20, 7, 30, true},
		{"11 members, 3 of 30% (27%): allowed", 11, 3, 30, false},
		{"11 members, 4 of 30% (36%): held", 11, 4, 30, true},
		{"10 members, 1 of 0%: held", 10, 1, 0, true},
	}
	// Team u is below the size limit, so its removal always goes ahead.
	for _, tc := range cases {
		gc := guardCase{
			name: tc.name,
			draft: Draft{
				Teams:             map[string]TeamFacts{"t": {Members: tc.members}, "u": {Members: 9}},
				MaxRemovalPercent: tc.percent,
				Changes:           append(removalsFor("t", tc.removals), add("t", "new@x"), rm("u", "keep@x")),
			},
		}
		if tc.wantHeld {
			gc.changes = list("add_member t new@x member", "remove_member u keep@x member")
			gc.held = described(GuardMaxRemovalPercent, "t", tc.removals)
		} else {
			gc.changes = append(describeChanges(removalsFor("t", tc.removals)),
				"add_member t new@x member", "remove_member u keep@x member")
		}
		runGuardCases(t, HoldMaxRemovalPercent, []guardCase{gc})
	}
}

func TestHoldMaxRemovals(t *testing.T) {
	draft := func(limit int) Draft {
		return Draft{
			MaxRemovals: limit,
			Teams:       map[string]TeamFacts{"a": {Members: 5}, "b": {Members: 5}},
			Changes:     []Change{rm("a", "x@x"), add("a", "n@x"), rm("b", "y@x"), roleChange("b", "z@x", mnt, mem)},
			Held:        []Change{heldAs(GuardEmptyGroup, []Change{rm("c", "w@x")})[0]},
		}
	}
	runGuardCases(t, HoldMaxRemovals, []guardCase{
		{
			name:    "at the limit: all go ahead (held ones do not count)",
			draft:   draft(2),
			changes: list("remove_member a x@x member", "add_member a n@x member", "remove_member b y@x member", "update_role b z@x maintainer->member"),
			held:    list("empty_group: remove_member c w@x member"),
		},
		{
			name:    "over the limit: every removal is held, other changes go ahead",
			draft:   draft(1),
			changes: list("add_member a n@x member", "update_role b z@x maintainer->member"),
			held: list(
				"empty_group: remove_member c w@x member",
				"max_removals: remove_member a x@x member",
				"max_removals: remove_member b y@x member",
			),
		},
	})
}

func TestRunGuardsOrder(t *testing.T) {
	// One team matches every guard at once: observe must win.
	all := TeamFacts{Policy: model.PolicyObserve, Members: 10, FailedSources: []string{"okta:A"}, EmptyGroups: []string{"okta:B"}}
	d := Draft{Teams: map[string]TeamFacts{"t": all}, Changes: removalsFor("t", 10)}
	RunGuards(&d)
	for _, c := range d.Held {
		if c.Guard != GuardObserve {
			t.Fatalf("held %s by %q, want observe first", c.Email, c.Guard)
		}
	}
	// Without observe, the failed source wins over empty group and the limits.
	all.Policy = model.PolicyAuthoritative
	d = Draft{Teams: map[string]TeamFacts{"t": all}, Changes: removalsFor("t", 10)}
	RunGuards(&d)
	if len(d.Changes) != 0 || len(d.Held) != 10 || d.Held[0].Guard != GuardUnknownSource {
		t.Fatalf("got changes %v held %v, want all 10 held by unknown_source", describeChanges(d.Changes), describeChanges(d.Held))
	}
}

func removalsFor(team string, n int) []Change {
	var cs []Change
	for _, e := range roster(team, n) {
		cs = append(cs, rm(team, e))
	}
	return cs
}

func heldAs(guard string, cs []Change) []Change {
	out := make([]Change, len(cs))
	for i, c := range cs {
		c.Guard = guard
		out[i] = c
	}
	return out
}
