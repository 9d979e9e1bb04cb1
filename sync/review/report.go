package review

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// Justification of a team membership.
const (
	// Justified: a group that read grants the membership.
	Justified = "justified"
	// Unjustified: every group of the team read, and none grants it.
	Unjustified = "unjustified"
	// Unknown: no group that read grants it, but a group of the team
	// failed to read, so it may. Unknown is not empty: nobody is called
	// unjustified on a failed read.
	Unknown = "unknown"
)

// What the next apply drafts for a membership (a guard may still hold it
// back); "" when nothing.
const (
	NextRemove = "remove"
	NextDemote = "demote"
	// NextRaise: the groups grant a higher role than the one held.
	NextRaise = "raise"
)

// Team read statuses in a report.
const (
	TeamRead       = "ok"
	TeamMissing    = "missing"     // not in Buildkite
	TeamReadFailed = "read_failed" // its membership could not be read
)

// MsgTeamToCreate is the error of a missing team that apply creates.
const MsgTeamToCreate = "team does not exist in Buildkite yet; apply creates it (create: true)"

// ReportInput is what the access report is made from: what one run read.
type ReportInput struct {
	Mapping *config.Mapping
	// Reads are the group reads by config.Group.Key(), as for plan.Build.
	Reads map[string]plan.GroupRead
	// Org is the Buildkite snapshot of the managed teams, with each
	// membership's CreatedAt and the pending invitations.
	Org *model.Org
	// People are all organization members, for the admins; nil when they
	// were not read (the report says so).
	People *model.People
	// Now is the moment expires: is checked against; it is never printed.
	Now time.Time
	// Teams limits the report to these managed teams (--team); empty is
	// all of them. The command checks the slugs (config.Mapping.Select).
	Teams []string
}

// Report is the access review: every member of every managed team and
// why they are there. Its JSON field names are a contract, like the plan's.
type Report struct {
	Organization string       `json:"organization"`
	Teams        []TeamReport `json:"teams"`
	// Unjustified are the memberships no group justifies that apply
	// leaves in place: in additive and observe teams, of protected users,
	// and roles above what the groups grant there.
	Unjustified []Exception `json:"unjustified"`
	// AdminsRead is false when the organization's members were not read:
	// Admins is then empty because unknown, not because there are none.
	AdminsRead  bool               `json:"admins_read"`
	Admins      []Admin            `json:"admins"`
	Invitations []InvitationReport `json:"invitations"`
}

// TeamReport is one managed team.
type TeamReport struct {
	Team   string       `json:"team"`
	Policy model.Policy `json:"policy"`
	// Status is TeamRead, TeamMissing or TeamReadFailed; Error says why
	// when it is not TeamRead.
	Status string `json:"status"`
	Error  string `json:"error,omitempty"`
	// FailedSources are the team's groups that could not be read: while
	// any did, members no other group grants are Unknown.
	FailedSources []SourceError  `json:"failed_sources"`
	Members       []MemberReport `json:"members"`
	// Unlisted counts memberships Buildkite shows but the report cannot
	// name: bots and users the token cannot see.
	Unlisted int `json:"unlisted"`
}

// SourceError is a group of a team that could not be read.
type SourceError struct {
	Source  string `json:"source"` // provenance label
	Message string `json:"message"`
}

// MemberReport is one membership of a managed team.
type MemberReport struct {
	Email string `json:"email"`
	// Role is the team role Buildkite shows; GrantedRole what the groups
	// grant ("" when none does).
	Role        model.Role `json:"role"`
	GrantedRole model.Role `json:"granted_role"`
	// Groups are the labels of the groups that grant the membership.
	Groups []string `json:"groups"`
	// Via are the nesting paths (see PathArrow) of those groups that
	// reach the person through nested groups, in Groups order.
	Via []string `json:"via"`
	// CreatedAt is when the membership was made, RFC 3339 UTC; "" when
	// Buildkite did not say.
	CreatedAt     string `json:"created_at"`
	Justification string `json:"justification"`
	// RoleExceedsGrant marks a role above what the groups grant.
	RoleExceedsGrant bool `json:"role_exceeds_grant"`
	// NextApply is NextRemove, NextDemote, NextRaise or "": what the
	// plan drafts for the membership. A guard may still hold it back.
	NextApply string `json:"next_apply"`
	// Note says why, in words.
	Note string `json:"note"`
}

// Exception is a membership, or a role, that no group justifies and that
// stays.
type Exception struct {
	Team        string       `json:"team"`
	Policy      model.Policy `json:"policy"`
	Email       string       `json:"email"`
	Role        model.Role   `json:"role"`
	GrantedRole model.Role   `json:"granted_role"`
	CreatedAt   string       `json:"created_at"`
	Reason      string       `json:"reason"`
}

// Admin is an organization administrator.
type Admin struct {
	Email     string `json:"email"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

// InvitationReport is a pending invitation and the teams it gives.
type InvitationReport struct {
	Email string           `json:"email"`
	Teams []model.TeamRole `json:"teams"`
}

// BuildReport makes the access report. It is pure and deterministic:
// everything is sorted (teams by slug, members by email) and no clock is
// read, so two reports of the same state are byte-identical.
func BuildReport(in ReportInput) *Report {
	org := in.Org
	if org == nil {
		org = &model.Org{}
	}
	desired := plan.Desired(in.Mapping, in.Reads, in.Now)
	r := &Report{Organization: organization(in.Mapping, org)}
	protected := func(string) bool { return false }
	if in.Mapping != nil {
		// A protected user is matched as the planner matches them.
		protected = plan.ProtectedBy(in.Mapping)
	}
	selected := func(slug string) bool { return len(in.Teams) == 0 || slices.Contains(in.Teams, slug) }
	for _, slug := range sortedKeys(desired) {
		if !selected(slug) {
			continue
		}
		tr := teamReport(desired[slug], org, protected)
		r.Teams = append(r.Teams, tr)
		for _, m := range tr.Members {
			if x, ok := exception(tr, m, protected(m.Email)); ok {
				r.Unjustified = append(r.Unjustified, x)
			}
		}
	}
	if in.People != nil {
		r.AdminsRead = true
		for _, e := range sortedKeys(in.People.Members) {
			if m := in.People.Members[e]; m.Role == model.OrgRoleAdmin {
				r.Admins = append(r.Admins, Admin{Email: e, Name: m.Name, CreatedAt: stamp(m.CreatedAt)})
			}
		}
	}
	for _, e := range sortedKeys(org.Invitations) {
		inv := org.Invitations[e]
		teams := sortedTeams(inv.Teams)
		if len(in.Teams) > 0 {
			// A report of some teams shows only those teams of an
			// invitation, and only the invitations that give one.
			teams = slices.DeleteFunc(teams, func(t model.TeamRole) bool { return !selected(t.Team) })
			if len(teams) == 0 {
				continue
			}
		}
		r.Invitations = append(r.Invitations, InvitationReport{Email: e, Teams: nonNil(teams)})
	}
	r.Teams, r.Unjustified = nonNil(r.Teams), nonNil(r.Unjustified)
	r.Admins, r.Invitations = nonNil(r.Admins), nonNil(r.Invitations)
	return r
}

// sortedTeams is a sorted copy of an invitation's teams, by slug.
func sortedTeams(teams []model.TeamRole) []model.TeamRole {
	teams = slices.Clone(teams)
	slices.SortFunc(teams, func(a, b model.TeamRole) int {
		return cmp.Or(strings.Compare(a.Team, b.Team), strings.Compare(string(a.Role), string(b.Role)))
	})
	return teams
}

// teamReport is one team's section: its read status and its members.
func teamReport(d plan.DesiredTeam, org *model.Org, protected func(string) bool) TeamReport {
	tr := TeamReport{Team: d.Slug, Policy: d.Policy, Status: TeamRead, FailedSources: []SourceError{}}
	for _, e := range d.Errors {
		tr.FailedSources = append(tr.FailedSources, SourceError{Source: e.Source, Message: e.Message})
	}
	if err, bad := org.TeamErrors[d.Slug]; bad {
		tr.Status, tr.Error = TeamReadFailed, "team membership could not be read"
		if err != nil {
			tr.Error = err.Error()
		}
		tr.Members = []MemberReport{}
		return tr
	}
	team, ok := org.Teams[d.Slug]
	if !ok {
		tr.Status, tr.Error = TeamMissing, plan.MsgTeamMissing
		if d.Create {
			tr.Error = MsgTeamToCreate
		}
		tr.Members = []MemberReport{}
		return tr
	}
	tr.Unlisted = len(team.Unlisted)
	tr.Members = make([]MemberReport, 0, len(team.Members))
	for _, e := range sortedKeys(team.Members) {
		tr.Members = append(tr.Members, memberReport(d, e, team.Members[e], protected(e)))
	}
	return tr
}

// memberReport judges one membership against the team's desired state.
func memberReport(d plan.DesiredTeam, email string, tm model.TeamMember, protected bool) MemberReport {
	m := MemberReport{Email: email, Role: tm.Role, Groups: []string{}, Via: []string{}, CreatedAt: stamp(tm.CreatedAt)}
	// mayLower is whether the plan drafts a removal or a demotion here at
	// all: the policy allows it, the person is not protected, and every
	// source of the team read.
	mayLower := d.Policy == model.PolicyAuthoritative && !protected && len(d.Errors) == 0
	want, granted := d.Members[email]
	switch {
	case granted:
		m.Justification, m.GrantedRole, m.Groups = Justified, want.Role, slices.Clone(want.Groups)
		m.Via = nestedPaths(d, email, want.Groups)
		holds, grants := tm.Role.Rank(), want.Role.Rank()
		if holds == grants {
			break
		}
		m.Note = "holds " + string(tm.Role) + "; the groups grant " + string(want.Role)
		switch {
		case holds > grants && mayLower:
			m.RoleExceedsGrant, m.NextApply = true, NextDemote
			m.Note += "; the next apply demotes them"
		case holds > grants:
			m.RoleExceedsGrant = true
			m.Note += "; " + staysBecause(d, protected)
		case d.Policy == model.PolicyObserve:
			m.Note += "; observe team: not applied"
		default:
			m.NextApply = NextRaise
			m.Note += "; the next apply raises the role"
		}
	case len(d.Errors) > 0:
		m.Justification = Unknown
		m.Note = "unknown: " + failedGroups(d) + " could not be read"
	default:
		m.Justification = Unjustified
		m.Note = plan.ReasonInNoGroup
		if why, listed := d.Inactive[email]; listed {
			m.Note = why
		}
		if mayLower {
			m.NextApply = NextRemove
			m.Note += "; the next apply removes them"
		} else {
			m.Note += "; " + staysBecause(d, protected)
		}
	}
	return m
}

// staysBecause says why a membership or role no group justifies stays.
func staysBecause(d plan.DesiredTeam, protected bool) string {
	switch {
	case protected:
		return "stays: protected user"
	case d.Policy != model.PolicyAuthoritative:
		return "stays: " + string(d.Policy) + " team"
	}
	return "stays while " + failedGroups(d) + " cannot be read"
}

// failedGroups names the team's groups that could not be read: "a, b".
func failedGroups(d plan.DesiredTeam) string {
	labels := make([]string, len(d.Errors))
	for i, e := range d.Errors {
		labels[i] = e.Source
	}
	return strings.Join(labels, ", ")
}

// exception is m, a member of team t, as an entry of the report's
// Unjustified list, when no group justifies its membership or its role
// and the policy or protection keeps it.
func exception(t TeamReport, m MemberReport, protected bool) (Exception, bool) {
	if m.NextApply != "" || (m.Justification != Unjustified && !m.RoleExceedsGrant) {
		return Exception{}, false
	}
	if t.Policy == model.PolicyAuthoritative && !protected {
		return Exception{}, false // stays only while a source is unknown
	}
	return Exception{
		Team: t.Team, Policy: t.Policy, Email: m.Email, Role: m.Role, GrantedRole: m.GrantedRole,
		CreatedAt: m.CreatedAt, Reason: m.Note,
	}, true
}

// nestedPaths are the nesting paths through which the granting groups
// reach the person, in the order of groups.
func nestedPaths(d plan.DesiredTeam, email string, groups []string) []string {
	out := []string{}
	for _, label := range groups {
		for _, e := range d.Entries {
			row, ok := e.Listed[email]
			if e.Label != label || e.Expired || !ok || !row.Active || len(row.Via) == 0 {
				continue
			}
			if p := path(label, row.Via); !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	return out
}
