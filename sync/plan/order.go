package plan

import (
	"cmp"
	"slices"
	"strings"
)

// actionRank is the order of actions in a plan: create_team, add_member,
// update_role, remove_member, invite, remove_org_member, revoke_invitation
// (docs/semantics.md).
func actionRank(a Action) int {
	switch a {
	case ActionCreateTeam:
		return 0
	case ActionAddMember:
		return 1
	case ActionUpdateRole:
		return 2
	case ActionRemoveMember:
		return 3
	case ActionInvite:
		return 4
	case ActionRemoveOrgMember:
		return 5
	case ActionRevokeInvitation:
		return 6
	}
	return 7
}

// compareChanges sorts by team, then action, then email; changes without a
// team (invites, then offboarding's) come after all team changes.
func compareChanges(a, b Change) int {
	return cmp.Or(
		cmp.Compare(boolRank(a.Team == ""), boolRank(b.Team == "")),
		strings.Compare(a.Team, b.Team),
		cmp.Compare(actionRank(a.Action), actionRank(b.Action)),
		strings.Compare(string(a.Action), string(b.Action)),
		strings.Compare(a.Email, b.Email),
	)
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// sort puts every list of the plan in its documented order.
func (p *Plan) sort() {
	slices.SortStableFunc(p.Changes, compareChanges)
	slices.SortStableFunc(p.Held, compareChanges)
	slices.SortStableFunc(p.Unplaced, func(a, b Unplaced) int {
		return cmp.Or(strings.Compare(a.Team, b.Team), strings.Compare(a.Email, b.Email))
	})
	slices.SortStableFunc(p.Errors, func(a, b Error) int {
		return cmp.Or(strings.Compare(a.Team, b.Team), strings.Compare(a.Source, b.Source),
			strings.Compare(a.Message, b.Message))
	})
}

// Recount recomputes Summary from the plan's lists, including Applied,
// Failed and Skipped from the changes' statuses. The applier calls it after setting them.
func (p *Plan) Recount() {
	s := Summary{Held: len(p.Held), Unplaced: len(p.Unplaced), Errors: len(p.Errors), AfterApply: p.Applied}
	for _, c := range p.Changes {
		switch c.Action {
		case ActionCreateTeam:
			s.CreateTeam++
		case ActionAddMember:
			s.AddMember++
		case ActionUpdateRole:
			s.UpdateRole++
		case ActionRemoveMember:
			s.RemoveMember++
		case ActionInvite:
			s.Invite++
		case ActionRemoveOrgMember:
			s.RemoveOrgMember++
		case ActionRevokeInvitation:
			s.RevokeInvitation++
		}
		switch c.Status {
		case StatusApplied:
			s.Applied++
		case StatusFailed:
			s.Failed++
		case StatusSkipped:
			s.Skipped++
		}
	}
	p.Summary = s
}

// HasChanges reports whether the plan would write anything.
func (p *Plan) HasChanges() bool { return p != nil && len(p.Changes) > 0 }

// HeldByGuard reports whether a guard other than observe held something
// back: apply then exits 3. Observe teams are held by design, not by a
// safety limit, so they alone do not count.
func (p *Plan) HeldByGuard() bool {
	if p == nil {
		return false
	}
	for _, c := range p.Held {
		if c.Guard != GuardObserve {
			return true
		}
	}
	return false
}

// AfterApply reports whether the plan is apply's result (see Plan.Applied).
func (p *Plan) AfterApply() bool { return p != nil && p.Applied }
