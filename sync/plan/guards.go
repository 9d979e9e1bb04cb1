package plan

import "github.com/teamsync/teamsync/sync/model"

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
	// MaxRemovalPercent is sync.max_removal_percent.
	MaxRemovalPercent int
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
// docs/semantics.md). Each guard only sees the changes that earlier guards
// let through, so the first match wins.
func RunGuards(d *Draft) {
	HoldObserve(d)
	HoldUnknownSource(d)
	HoldEmptyGroup(d)
	HoldMaxRemovalPercent(d)
	HoldMaxRemovals(d)
}

// HoldObserve holds every change of an observe team, team creation included:
// observe plans but never writes.
func HoldObserve(d *Draft) {
	d.hold(GuardObserve, func(c Change) bool {
		return c.Team != "" && d.Teams[c.Team].Policy == model.PolicyObserve
	})
}

// HoldUnknownSource holds the removals and role downgrades of a team one of
// whose sources failed: unknown is not empty. Adds and upgrades, computed
// from the sources that did read, still go ahead.
func HoldUnknownSource(d *Draft) {
	d.hold(GuardUnknownSource, func(c Change) bool {
		return len(d.Teams[c.Team].FailedSources) > 0 && lowers(c)
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
	})
}

// HoldMaxRemovalPercent holds all removals of a team of MinMembersForPercent
// or more members that would lose more than MaxRemovalPercent percent of
// them. Exactly the share is allowed.
func HoldMaxRemovalPercent(d *Draft) {
	removals := map[string]int{}
	for _, c := range d.Changes {
		if c.Action == ActionRemoveMember {
			removals[c.Team]++
		}
	}
	d.hold(GuardMaxRemovalPercent, func(c Change) bool {
		if c.Action != ActionRemoveMember {
			return false
		}
		n := d.Teams[c.Team].Members
		return n >= MinMembersForPercent && removals[c.Team]*100 > d.MaxRemovalPercent*n
	})
}

// HoldMaxRemovals holds every removal still planned when there are more of
// them than MaxRemovals: a run that wants to remove that many people needs a
// human to say so (--allow-removals).
func HoldMaxRemovals(d *Draft) {
	n := 0
	for _, c := range d.Changes {
		if c.Action == ActionRemoveMember {
			n++
		}
	}
	if n <= d.MaxRemovals {
		return
	}
	d.hold(GuardMaxRemovals, func(c Change) bool { return c.Action == ActionRemoveMember })
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

// hold moves the changes that match from Changes to Held under guard.
func (d *Draft) hold(guard string, match func(Change) bool) {
	kept := make([]Change, 0, len(d.Changes))
	for _, c := range d.Changes {
		if match(c) {
			c.Guard = guard
			d.Held = append(d.Held, c)
			continue
		}
		kept = append(kept, c)
	}
	d.Changes = kept
}
