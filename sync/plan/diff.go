package plan

import "github.com/teamsync/teamsync/sync/model"

// placement is a person a team wants who is not in the organization yet.
type placement struct {
	team    string
	email   string
	role    model.Role
	groups  []string
	observe bool
}

// teamDiff is the input of diffTeam: one existing (or about to be created)
// team, what it should hold and what it holds.
type teamDiff struct {
	slug    string
	policy  model.Policy
	desired map[string]*want
	current map[string]model.Role
	members map[string]bool // organization members
	// protected tells a protected user under either spelling (the
	// Buildkite email may be one that sync.email_domains rewrites).
	protected func(email string) bool
	// inactive is why people the team's groups list do not count
	// (teamSources.inactive).
	inactive map[string]string
}

// diffTeam drafts the team's membership changes. Each want belongs to one
// person in one team and ends up in exactly one change or placement, so its
// groups slice is handed over rather than copied. Policy and protected users
// shape what is drafted at all: additive teams and protected users never get
// a removal or downgrade drafted, so those are neither planned nor held. The
// guards decide later what of the draft may go ahead.
func diffTeam(d teamDiff) (changes []Change, missing []placement) {
	for _, email := range sortedKeys(d.desired) {
		w := d.desired[email]
		cur, inTeam := d.current[email]
		switch {
		case !inTeam && !d.members[email]:
			missing = append(missing, placement{
				team: d.slug, email: email, role: w.role,
				groups: w.groups, observe: d.policy == model.PolicyObserve,
			})
		case !inTeam:
			changes = append(changes, Change{
				Action: ActionAddMember, Team: d.slug, Email: email,
				Role: w.role, Groups: w.groups,
			})
		case cur != w.role:
			if w.role.Rank() < cur.Rank() && !d.mayLower(email) {
				continue
			}
			changes = append(changes, Change{
				Action: ActionUpdateRole, Team: d.slug, Email: email,
				FromRole: cur, Role: w.role, Groups: w.groups,
			})
		}
	}
	for _, email := range sortedKeys(d.current) {
		if _, ok := d.desired[email]; ok || !d.mayLower(email) {
			continue
		}
		reason, listed := d.inactive[email]
		if !listed {
			reason = ReasonInNoGroup
		}
		changes = append(changes, Change{
			Action: ActionRemoveMember, Team: d.slug, Email: email, Role: d.current[email], Reason: reason,
		})
	}
	return changes, missing
}

// mayLower reports whether the team may lose or demote this person at all.
func (d teamDiff) mayLower(email string) bool {
	return d.policy != model.PolicyAdditive && !d.protected(email)
}
