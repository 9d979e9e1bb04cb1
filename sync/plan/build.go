package plan

import (
	"strings"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// Error sources and texts of the planner, exported so callers and tests can
// match them. Group read errors use the group's label as their source.
const (
	SourceBuildkite  = "buildkite"
	SourceMapping    = "mapping"
	MsgTeamMissing   = "team does not exist in Buildkite (set create: true to create it)"
	MsgTeamDuplicate = "team is listed more than once in the mapping; only the first entry is used"
)

// Build computes the plan for m against org, given the group reads keyed by
// config.Group.Key(). It is pure: no I/O, no logging, no clock; it does not
// modify its inputs; and the same inputs give the same plan, whatever the
// map iteration order. A nil m or org reads as empty.
func Build(m *config.Mapping, reads map[string]GroupRead, org *model.Org, opts Options) *Plan {
	if m == nil {
		m = &config.Mapping{}
	}
	snap := readSnapshot(org)
	domains := m.Sync.EmailDomains
	protected := ProtectedBy(m)

	d := &Draft{
		Teams:             map[string]TeamFacts{},
		MaxRemovals:       m.Sync.MaxRemovals,
		MaxRemovalPercent: m.Sync.MaxRemovalPercent,
	}
	if opts.AllowRemovals != nil {
		d.MaxRemovals, d.AllowRemovals = *opts.AllowRemovals, true
	}
	var errs []Error
	var missing []placement
	seen := map[string]bool{}
	g := Granted{Teams: map[string][]string{}}
	for _, t := range m.Teams {
		slug := normaliseSlug(t.Slug)
		if seen[slug] {
			errs = append(errs, Error{Team: slug, Source: SourceMapping, Message: MsgTeamDuplicate})
			continue
		}
		seen[slug] = true
		src := desiredTeam(slug, t, reads, domains, opts.Now)
		errs = append(errs, src.errors...)
		if m.Offboarding != nil {
			g.add(slug, src) // what offboarding needs to know of the grants
		}
		if msg, bad := snap.teamErrors[slug]; bad {
			errs = append(errs, Error{Team: slug, Source: SourceBuildkite, Message: msg})
			continue
		}
		current, exists := snap.teams[slug]
		if !exists {
			if !t.Create {
				errs = append(errs, Error{Team: slug, Source: SourceBuildkite, Message: MsgTeamMissing})
				continue
			}
			// The change carries everything the write needs, so the
			// applier does not go back to the mapping.
			d.Changes = append(d.Changes, Change{Action: ActionCreateTeam, Team: slug, Name: t.Name, Privacy: t.Privacy})
		}
		policy := policyOf(t, m.Sync)
		d.Teams[slug] = TeamFacts{
			Policy:        policy,
			Members:       len(current),
			FailedSources: src.failed,
			EmptyGroups:   src.empty,
		}
		changes, miss := diffTeam(teamDiff{
			slug: slug, policy: policy, desired: src.desired, current: current,
			members: snap.members, protected: protected, inactive: src.inactive,
		})
		d.Changes = append(d.Changes, changes...)
		missing = append(missing, miss...)
	}
	invites, heldInvites, unplaced := placeMissing(missing, snap.invitations, inviteMode(m.Sync))
	d.Changes = append(d.Changes, invites...)
	d.Held = append(d.Held, heldInvites...)
	var invitations map[string]model.Invitation
	if org != nil {
		invitations = org.Invitations
	}
	ob := offboard(m, opts.People, invitations, g)
	d.Changes = append(d.Changes, ob.changes...)
	d.Held = append(d.Held, ob.held...)
	d.OrgMembers = ob.population
	d.OrgPolicy = policyOf(config.Team{}, m.Sync)
	errs = append(errs, ob.errors...)
	RunGuards(d)

	org0 := m.Buildkite.Organization
	if org0 == "" {
		org0 = snap.slug
	}
	p := &Plan{
		Version:      Version,
		Organization: org0,
		Changes:      nonNil(d.Changes),
		Held:         nonNil(d.Held),
		Unplaced:     nonNil(unplaced),
		Errors:       nonNil(errs),
	}
	p.sort()
	p.Recount()
	return p
}

// policyOf is the team's policy, else the sync default, else authoritative.
// A policy the planner does not know is treated as observe: when unsure,
// write nothing.
func policyOf(t config.Team, s config.Sync) model.Policy {
	p := t.Policy
	if p == "" {
		p = s.Policy
	}
	if p == "" {
		return model.PolicyAuthoritative
	}
	if !p.Valid() {
		return model.PolicyObserve
	}
	return p
}

// inviteMode reports whether missing people are invited rather than reported.
func inviteMode(s config.Sync) bool {
	return strings.EqualFold(strings.TrimSpace(s.MissingUsers), config.MissingInvite)
}

// ProtectedSet holds the protected users as written and as rewritten by
// email_domains, so that either spelling protects the person. Both lists
// were normalised when mapping.yaml was read.
func ProtectedSet(users []string, domains map[string]string) map[string]bool {
	set := make(map[string]bool, 2*len(users))
	for _, u := range users {
		set[u] = true
		set[RewriteEmail(u, domains)] = true
	}
	return set
}

// nonNil turns a nil slice into an empty one, so JSON shows [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
