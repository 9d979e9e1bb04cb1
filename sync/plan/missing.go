package plan

import (
	"slices"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// placeMissing decides what happens to people teams want who are not in the
// organization. A pending invitation makes them invitation_pending
// everywhere (never invited twice). Otherwise, in invite mode, one invite
// carries all their non-observe teams; observe teams never write, and an
// invitation is a write, so there they stay not_in_organization, as they do
// everywhere in report mode.
func placeMissing(missing []placement, pending map[string]bool, invite bool) (invites []Change, unplaced []Unplaced) {
	byEmail := map[string][]placement{}
	for _, p := range missing {
		byEmail[p.email] = append(byEmail[p.email], p)
	}
	for _, email := range sortedKeys(byEmail) {
		ps := byEmail[email]
		slices.SortFunc(ps, func(a, b placement) int { return strings.Compare(a.team, b.team) })
		var inv Change
		for _, p := range ps {
			reason := ReasonNotInOrganization
			switch {
			case pending[email]:
				reason = ReasonInvitationPending
			case invite && !p.observe:
				inv.Teams = append(inv.Teams, model.TeamRole{Team: p.team, Role: p.role})
				for _, g := range p.groups {
					if !slices.Contains(inv.Groups, g) {
						inv.Groups = append(inv.Groups, g)
					}
				}
				continue
			}
			unplaced = append(unplaced, Unplaced{Team: p.team, Email: email, Reason: reason, Groups: p.groups})
		}
		if len(inv.Teams) > 0 {
			inv.Action, inv.Email = ActionInvite, email
			invites = append(invites, inv)
		}
	}
	return invites, unplaced
}
