package plan

import (
	"fmt"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// Draft is a plan between the diff and the guards: every change the diff
// found, the changes held so far, and the per-team facts the guards decide
// on, so that no guard has to re-derive them from the inputs.
type Draft struct {
	// Changes are the changes that would still be applied.
	Changes []Change
	// Held are the changes a guard has stopped, with Guard set.
	Held []Change
	// Teams are the facts about every managed team that was diffed (it
	// exists in Buildkite or is to be created), by slug.
	Teams map[string]TeamFacts
	// MaxRemovals is sync.max_removals, or --allow-removals when given.
	MaxRemovals int
	// AllowRemovals reports that MaxRemovals came from --allow-removals.
	AllowRemovals bool
	// MaxRemovalPercent is sync.max_removal_percent.
	MaxRemovalPercent int
	// OrgMembers is how many organization members offboarding judged:
	// what max_removal_percent counts organization removals against.
	OrgMembers int
	// OrgPolicy is sync.policy, which governs offboarding's organization
	// changes: observe holds them as it holds an observe team's.
	OrgPolicy model.Policy
}

// TeamFacts is what the guards need to know about one team.
type TeamFacts struct {
	Policy model.Policy
	// Members is how many members the team has in Buildkite now (0 for a
	// team about to be created).
	Members int
	// FailedSources are the labels of the team's groups that could not be
	// read; any means the desired membership is incomplete.
	FailedSources []string
	// EmptyGroups are the labels of the team's groups that read successfully
	// but with no active member, and do not say allow_empty.
	EmptyGroups []string
}

// MinMembersForPercent is the team size from which max_removal_percent
// applies; smaller teams would trip it with a single removal.
const MinMembersForPercent = 10

// RunGuards applies the guards in their documented order (observe,
// unknown_source, empty_group, max_removal_percent, max_removals; see
// docs/semantics.md), the two budgets once for team removals and once,
// counted on their own, for offboarding's organization removals. Each guard only sees the changes that earlier guards
// let through, so the first match wins.
func RunGuards(d *Draft) {
	HoldObserve(d)
	HoldUnknownSource(d)
	HoldEmptyGroup(d)
	HoldMaxRemovalPercent(d)
	HoldOrgRemovalPercent(d)
	HoldMaxRemovals(d)
	HoldOrgMaxRemovals(d)
}

// HoldObserve holds every change of an observe team, team creation included:
// observe plans but never writes.
func HoldObserve(d *Draft) {
	match := func(c Change) bool {
		if c.OrgLevel() {
			return d.OrgPolicy == model.PolicyObserve
		}
		return c.Team != "" && d.Teams[c.Team].Policy == model.PolicyObserve
	}
	n := d.countByTeam(match)
	d.hold(GuardObserve, match, func(c Change) string {
		if c.OrgLevel() {
			return fmt.Sprintf("sync.policy is observe: offboarding plans %s and applies none; set sync.policy to authoritative or additive to apply them",
				plural(n[""], "organization change", "organization changes"))
		}
		return observeReason(c.Team, n[c.Team])
	})
}

// observeReason is the hold message of an observe team's changes.
func observeReason(team string, changes int) string {
	return fmt.Sprintf("team %s has policy observe: %s planned, none applied; set its policy (or sync.policy) to authoritative or additive to apply them",
		team, plural(changes, "change", "changes"))
}

// HoldUnknownSource holds the removals and role downgrades of a team one of
// whose sources failed: unknown is not empty. Adds and upgrades, computed
// from the sources that did read, still go ahead.
func HoldUnknownSource(d *Draft) {
	d.hold(GuardUnknownSource, func(c Change) bool {
		return len(d.Teams[c.Team].FailedSources) > 0 && lowers(c)
	}, func(c Change) string {
		failed := d.Teams[c.Team].FailedSources
		return fmt.Sprintf("team %s: %d of its groups could not be read (%s), so nothing is taken away until a run reads them all; fix the read (see errors), no setting overrides this",
			c.Team, len(failed), strings.Join(failed, ", "))
	})
}

// HoldEmptyGroup holds all removals and role downgrades of a team that has
// members while one of its groups read empty without allow_empty: an empty
// read is more often an IdP mistake than a whole group leaving, and an empty
// maintainers group would otherwise demote every maintainer.
func HoldEmptyGroup(d *Draft) {
	d.hold(GuardEmptyGroup, func(c Change) bool {
		f := d.Teams[c.Team]
		return lowers(c) && len(f.EmptyGroups) > 0 && f.Members > 0
	}, func(c Change) string {
		f := d.Teams[c.Team]
		return fmt.Sprintf("team %s: %s read empty while the team has %s; if that is meant, set allow_empty: true on %s in the mapping",
			c.Team, strings.Join(f.EmptyGroups, ", "), plural(f.Members, "member", "members"), itOrThem(len(f.EmptyGroups)))
	})
}

// HoldMaxRemovalPercent holds all removals of a team of MinMembersForPercent
// or more members that would lose more than MaxRemovalPercent percent of
// them. Exactly the share is allowed.
func HoldMaxRemovalPercent(d *Draft) {
	removals := d.countByTeam(func(c Change) bool { return c.Action == ActionRemoveMember })
	d.hold(GuardMaxRemovalPercent, func(c Change) bool {
		if c.Action != ActionRemoveMember {
			return false
		}
		n := d.Teams[c.Team].Members
		return n >= MinMembersForPercent && removals[c.Team]*100 > d.MaxRemovalPercent*n
	}, func(c Change) string {
		r, n := removals[c.Team], d.Teams[c.Team].Members
		need := (r*100 + n - 1) / n // the smallest percent that lets them through
		return fmt.Sprintf("team %s: removing %d of its %d members (%d%%) is over max_removal_percent %d; to let them through, set sync.max_removal_percent to %d",
			c.Team, r, n, r*100/n, d.MaxRemovalPercent, need)
	})
}

// HoldMaxRemovals holds every removal still planned when there are more of
// them than MaxRemovals: a run that wants to remove that many people needs a
// human to say so (--allow-removals).
func HoldMaxRemovals(d *Draft) {
	d.holdOverMaxRemovals(func(c Change) bool { return c.Action == ActionRemoveMember }, "", "removal exceeds", "removals exceed", "")
}

// holdOverMaxRemovals holds every planned change that match counts when
// there are more of them than MaxRemovals; the reason says how many, the
// limit and how to let them through.
func (d *Draft) holdOverMaxRemovals(match func(Change) bool, prefix, one, many, suffix string) {
	n := 0
	for _, c := range d.Changes {
		if match(c) {
			n++
		}
	}
	if n <= d.MaxRemovals {
		return
	}
	limit := "max_removals"
	if d.AllowRemovals {
		limit = "--allow-removals"
	}
	// The same words fit the CLI and serve, which has no flag of its own:
	// either way one apply with the flag lets them through.
	reason := fmt.Sprintf("%s%s %s %d%s; let them through once with teamsync apply --allow-removals %d, or raise sync.max_removals",
		prefix, plural(n, one, many), limit, d.MaxRemovals, suffix, n)
	d.hold(GuardMaxRemovals, match, func(Change) string { return reason })
}

// lowers reports whether c takes something away: a removal or a downgrade.
func lowers(c Change) bool {
	switch c.Action {
	case ActionRemoveMember:
		return true
	case ActionUpdateRole:
		return c.Role.Rank() < c.FromRole.Rank()
	}
	return false
}

// countByTeam counts the planned changes that match, by team.
func (d *Draft) countByTeam(match func(Change) bool) map[string]int {
	n := map[string]int{}
	for _, c := range d.Changes {
		if match(c) {
			n[c.Team]++
		}
	}
	return n
}

// hold moves the changes that match from Changes to Held under guard, each
// with the guard's reason for it.
func (d *Draft) hold(guard string, match func(Change) bool, reason func(Change) string) {
	kept := make([]Change, 0, len(d.Changes))
	for _, c := range d.Changes {
		if match(c) {
			c.Guard, c.GuardReason = guard, reason(c)
			d.Held = append(d.Held, c)
			continue
		}
		kept = append(kept, c)
	}
	d.Changes = kept
}

// itOrThem refers back to one or several groups.
func itOrThem(n int) string {
	if n == 1 {
		return "its entry"
	}
	return "their entries"
}

// OrgLevel reports whether c is one of offboarding's organization
// changes: a member removed from the organization or an invitation
// revoked. They name no team.
func (c Change) OrgLevel() bool {
	return c.Action == ActionRemoveOrgMember || c.Action == ActionRevokeInvitation
}

// HoldOrgRemovalPercent holds every organization removal when offboarding
// judged MinMembersForPercent or more members and would remove more than
// MaxRemovalPercent percent of them: a source that suddenly knows nobody
// (a wrong user_email, a search that misses) looks exactly like that.
func HoldOrgRemovalPercent(d *Draft) {
	removals := 0
	for _, c := range d.Changes {
		if c.Action == ActionRemoveOrgMember {
			removals++
		}
	}
	n := d.OrgMembers
	if n < MinMembersForPercent || removals*100 <= d.MaxRemovalPercent*n {
		return
	}
	need := (removals*100 + n - 1) / n
	reason := fmt.Sprintf("offboarding: removing %d of the %d organization members it judged (%d%%) is over max_removal_percent %d; to let them through, set sync.max_removal_percent to %d",
		removals, n, removals*100/n, d.MaxRemovalPercent, need)
	d.hold(GuardMaxRemovalPercent, Change.OrgLevel, func(Change) string { return reason })
}

// HoldOrgMaxRemovals holds every organization removal when there are more
// of them than MaxRemovals, counted apart from team removals.
func HoldOrgMaxRemovals(d *Draft) {
	d.holdOverMaxRemovals(Change.OrgLevel, "offboarding: ", "organization removal exceeds", "organization removals exceed", " (counted apart from team removals)")
}
