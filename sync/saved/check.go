package saved

import (
	"fmt"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// clockSkew is how far in the future a plan's creation time may be: the
// machines that plan and apply need not share a clock exactly.
const clockSkew = 5 * time.Minute

// Check decides whether f may be applied at all, now, under the mapping
// whose bytes hash to mappingHash, that names organization org and
// manages the teams managed reports. Its error is the reason the whole
// plan is refused.
func Check(f *File, mappingHash, org string, managed func(slug string) bool, now time.Time, maxAge time.Duration) error {
	if err := checkChanges(f, managed); err != nil {
		return err
	}
	switch {
	case f.Basis.CreatedAt.After(now.Add(clockSkew)):
		return fmt.Errorf("the plan says it was made at %s, in the future: plan again", f.Basis.CreatedAt.UTC().Format(time.RFC3339))
	case f.Basis.Organization != org || f.Organization != org:
		return fmt.Errorf("the plan is for Buildkite organization %q, but the mapping names %q", f.Basis.Organization, org)
	case f.Basis.MappingSHA256 != mappingHash:
		return fmt.Errorf("the mapping changed since the plan was made (sha256 %.12s then, %.12s now): plan again", f.Basis.MappingSHA256, mappingHash)
	case maxAge > 0 && now.Sub(f.Basis.CreatedAt) > maxAge:
		return fmt.Errorf("the plan was made at %s, %s ago, more than --max-age %s: plan again",
			f.Basis.CreatedAt.UTC().Format(time.RFC3339), now.Sub(f.Basis.CreatedAt).Round(time.Minute), maxAge)
	}
	return nil
}

// checkChanges refuses a file whose changes are not the ones its basis was
// made for: edited after planning, or naming a team the mapping does not
// manage or the basis did not read.
func checkChanges(f *File, managed func(string) bool) error {
	if f.Basis.ChangesSHA256 != ChangesHash(&f.Plan) {
		return fmt.Errorf("the plan's changes were edited after it was made (they no longer match basis.changes_sha256): plan again")
	}
	for _, slug := range Touched(&f.Plan) {
		if !managed(slug) {
			return fmt.Errorf("the plan changes team %q, which the mapping does not manage", slug)
		}
		if _, ok := f.Basis.Teams[slug]; !ok {
			return fmt.Errorf("the plan changes team %q, which its basis did not read", slug)
		}
	}
	return nil
}

// Stale returns a copy of f's plan in which every change that no longer
// holds against org, what Buildkite shows now of the touched teams, is
// StatusSkipped with the reason in Error. A change holds when what it
// changes is still as it was when planned; one already in effect, or
// whose membership or role was changed since by someone else, does not,
// so a stale plan never reverts a change made by hand.
func Stale(f *File, org *model.Org) *plan.Plan {
	p := f.Plan
	p.Changes = make([]plan.Change, len(f.Changes))
	copy(p.Changes, f.Changes)
	created := make(map[string]bool)
	for _, c := range p.Changes {
		if c.Action == plan.ActionCreateTeam {
			created[c.Team] = true
		}
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		if why := stale(*c, org, created); why != "" {
			c.Status, c.Error = plan.StatusSkipped, "no longer holds: "+why
		}
	}
	p.Recount()
	return &p
}

// ChangedTeams lists the touched teams whose digest now differs from the
// basis: teams someone changed since the plan was made.
func ChangedTeams(f *File, org *model.Org) []string {
	var out []string
	for _, slug := range Touched(&f.Plan) {
		if TeamDigest(org, slug) != f.Basis.Teams[slug] {
			out = append(out, slug)
		}
	}
	return out
}

func stale(c plan.Change, org *model.Org, created map[string]bool) string {
	switch c.Action {
	case plan.ActionInvite:
		return staleInvite(c, org, created)
	case plan.ActionRemoveOrgMember:
		// Offboarding's changes name no team: what they change is the
		// organization's membership and invitations.
		m, ok := org.Members[c.Email]
		switch {
		case !ok:
			return fmt.Sprintf("%s is not a member of the organization any more", c.Email)
		case m.Role == model.OrgRoleAdmin:
			// No guard runs again, so an administrator is never removed
			// on a saved plan's word: plan and apply judge them afresh.
			return fmt.Sprintf("%s is an organization administrator, whom a saved plan never removes (apply judges administrators afresh)", c.Email)
		case m.Bot:
			return fmt.Sprintf("%s is a bot user", c.Email)
		}
		return ""
	case plan.ActionRevokeInvitation:
		if _, ok := org.Invitations[c.Email]; !ok {
			return fmt.Sprintf("%s has no pending invitation any more", c.Email)
		}
		return ""
	}
	if err, failed := org.TeamErrors[c.Team]; failed {
		return fmt.Sprintf("team %q could not be read again: %v", c.Team, err)
	}
	t, exists := org.Teams[c.Team]
	if c.Action == plan.ActionCreateTeam {
		if exists {
			return fmt.Sprintf("team %q exists now", c.Team)
		}
		return ""
	}
	if !exists && !created[c.Team] {
		return fmt.Sprintf("team %q does not exist any more", c.Team)
	}
	tm, in := t.Members[c.Email]
	switch c.Action {
	case plan.ActionAddMember:
		if in {
			return fmt.Sprintf("%s is in team %q now, as %s", c.Email, c.Team, tm.Role)
		}
		if _, ok := org.Members[c.Email]; !ok {
			return fmt.Sprintf("%s is not a member of the organization any more", c.Email)
		}
	case plan.ActionUpdateRole:
		switch {
		case !in:
			return fmt.Sprintf("%s is not in team %q any more", c.Email, c.Team)
		case tm.Role != c.FromRole:
			return fmt.Sprintf("%s is %s in team %q now, not %s as planned", c.Email, tm.Role, c.Team, c.FromRole)
		}
	case plan.ActionRemoveMember:
		switch {
		case !in:
			return fmt.Sprintf("%s is not in team %q any more", c.Email, c.Team)
		case c.Role != "" && tm.Role != c.Role:
			return fmt.Sprintf("%s is %s in team %q now, not %s as planned", c.Email, tm.Role, c.Team, c.Role)
		}
	}
	return ""
}

func staleInvite(c plan.Change, org *model.Org, created map[string]bool) string {
	if _, ok := org.Members[c.Email]; ok {
		return fmt.Sprintf("%s is a member of the organization now", c.Email)
	}
	if _, ok := org.Invitations[c.Email]; ok {
		return fmt.Sprintf("%s has a pending invitation now", c.Email)
	}
	for _, tr := range c.Teams {
		if _, ok := org.Teams[tr.Team]; !ok && !created[tr.Team] {
			return fmt.Sprintf("team %q does not exist any more", tr.Team)
		}
	}
	return ""
}
