package plan

import (
	"slices"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// placeMissing decides what happens to people teams want who are not in the
// organization. A pending invitation makes them invitation_pending
// everywhere (never invited twice). Otherwise, in invite mode, one invite
// carries all their non-observe teams, and a second one, held with guard
// observe, shows what their observe teams would invite them to: observe
// plans everything and writes nothing. In report mode they are
// not_in_organization everywhere.
func placeMissing(missing []placement, pending map[string]bool, invite bool) (invites, held []Change, unplaced []Unplaced) {
	byEmail := map[string][]placement{}
	for _, p := range missing {
		byEmail[p.email] = append(byEmail[p.email], p)
	}
	for _, email := range sortedKeys(byEmail) {
		ps := byEmail[email]
		slices.SortFunc(ps, func(a, b placement) int { return strings.Compare(a.team, b.team) })
		var inv, obs Change
		for _, p := range ps {
			reason := ReasonNotInOrganization
			switch {
			case pending[email]:
				reason = ReasonInvitationPending
			case invite && p.observe:
				obs.addTeam(p)
				continue
			case invite:
				inv.addTeam(p)
				continue
			}
			unplaced = append(unplaced, Unplaced{Team: p.team, Email: email, Reason: reason, Groups: p.groups})
		}
		if len(inv.Teams) > 0 {
			inv.Action, inv.Email = ActionInvite, email
			invites = append(invites, inv)
		}
		if len(obs.Teams) > 0 {
			obs.Action, obs.Email, obs.Guard = ActionInvite, email, GuardObserve
			obs.GuardReason = observeInviteReason(obs.Teams)
			held = append(held, obs)
		}
	}
	return invites, held, unplaced
}

// addTeam adds p's team, role and groups to the invitation c.
func (c *Change) addTeam(p placement) {
	c.Teams = append(c.Teams, model.TeamRole{Team: p.team, Role: p.role})
	for _, g := range p.groups {
		if !slices.Contains(c.Groups, g) {
			c.Groups = append(c.Groups, g)
		}
	}
}

// observeInviteReason is the hold message of an invitation to observe
// teams only.
func observeInviteReason(teams []model.TeamRole) string {
	names := make([]string, len(teams))
	for i, t := range teams {
		names[i] = t.Team
	}
	if len(names) == 1 {
		return "team " + names[0] + " has policy observe: the invitation is planned, not sent; set its policy (or sync.policy) to authoritative or additive to send it"
	}
	return "teams " + strings.Join(names, ", ") + " have policy observe: the invitation is planned, not sent; set their policy (or sync.policy) to authoritative or additive to send it"
}
