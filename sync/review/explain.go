package review

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// PathArrow joins a nesting path: "google:eng@acme.com ← platform@acme.com
// ← sre@acme.com" reads "eng has platform as a member, which has sre,
// which lists the person". Membership flows along the arrow, from the
// group that lists the person to the group the mapping names.
const PathArrow = " ← "

// path is a group's label and its nesting joined with PathArrow.
func path(label string, via []string) string {
	return strings.Join(append([]string{label}, via...), PathArrow)
}

// ExplainInput is what explain is made from: what one run read, and what
// was looked up of the one person.
type ExplainInput struct {
	// Email is the person's address as Buildkite has it, or else as
	// teamsync matches it to Buildkite (plan.RewriteEmail). A group
	// row that lists alice@corp.acme.com, which sync.email_domains
	// rewrites to alice@acme.com, lists the same person (and says so in
	// GroupListing.ListedAs).
	Email   string
	Mapping *config.Mapping
	// Reads are the group reads by config.Group.Key(), as for plan.Build.
	Reads map[string]plan.GroupRead
	// Org is the Buildkite snapshot of the managed teams.
	Org *model.Org
	// Member is the person's organization membership; nil when they are
	// not a member.
	Member *model.Member
	// Invitation is their pending invitation; nil when none.
	Invitation *model.Invitation
	// Lookups are what each configured source says of them, by source
	// name (providers.SourceOkta, providers.SourceGoogle); a source that
	// is absent is not configured.
	Lookups map[string]providers.Person
	// Plan is the plan of this run, for what apply would change.
	Plan *plan.Plan
	// Offboarding says whether offboarding judges them: "" when the
	// mapping has none, "judged by okta", or "never judged: " and the
	// reason (plan.Exclusion).
	Offboarding string
	// Now is the moment expires: is checked against; never printed.
	Now time.Time
}

// Explanation is one person's access: from the IdPs, through the mapped
// groups, to the teams they should be in, against what Buildkite shows
// and what apply would change. Its JSON field names are a contract.
type Explanation struct {
	Email        string `json:"email"`
	Organization string `json:"organization"`
	// Summary is one line: the access they should have, or why none.
	Summary string `json:"summary"`
	// Sources are the person's status in each configured source, by name.
	Sources []SourceStatus `json:"sources"`
	// Offboarding says whether offboarding judges them, and if not why
	// (ExplainInput.Offboarding); empty without offboarding.
	Offboarding string `json:"offboarding,omitempty"`
	// Groups are the mapped group entries whose read lists the person,
	// by label.
	Groups []GroupListing `json:"groups"`
	// UnknownGroups are the mapped groups whose read failed: whether they
	// list the person is unknown, not "no".
	UnknownGroups []UnknownGroup `json:"unknown_groups"`
	// Teams are the managed teams they should be in, by slug.
	Teams     []TeamAccess  `json:"teams"`
	Buildkite BuildkiteView `json:"buildkite"`
	// Changes, Held and Unplaced are the plan's entries for this email,
	// team and organization level, in the plan's order.
	Changes  []plan.Change   `json:"changes"`
	Held     []plan.Change   `json:"held"`
	Unplaced []plan.Unplaced `json:"unplaced"`
}

// SourceStatus is what one identity source says of the person.
type SourceStatus struct {
	Source string `json:"source"`
	Found  bool   `json:"found"`
	Status string `json:"status"`
	Gone   bool   `json:"gone"`
	// Error is set when the lookup failed: nothing is known.
	Error string `json:"error,omitempty"`
}

// GroupListing is one mapped group whose read lists the person.
type GroupListing struct {
	Group string `json:"group"` // provenance label
	// ListedAs is the email the group gave, when sync.email_domains
	// rewrote it; "" when it is the person's.
	ListedAs string `json:"listed_as,omitempty"`
	Status   string `json:"status"` // the IdP's word
	Active   bool   `json:"active"`
	// Via is the nesting (providers.Member.Via), outermost first: empty
	// when the group lists them itself. Path is the label and Via joined
	// with PathArrow; "" when Via is empty.
	Via  []string `json:"via"`
	Path string   `json:"path,omitempty"`
	// Grants are the teams whose entries name this group, by slug.
	Grants []GroupGrant `json:"grants"`
}

// GroupGrant is one team entry naming a group, and whether it grants.
type GroupGrant struct {
	Team    string     `json:"team"`
	Role    model.Role `json:"role"`
	Expires string     `json:"expires,omitempty"` // RFC 3339 UTC
	Grants  bool       `json:"grants"`
	// Reason says why it grants nothing: an inactive account, an expired
	// entry.
	Reason string `json:"reason,omitempty"`
}

// UnknownGroup is a mapped group whose read failed.
type UnknownGroup struct {
	Group   string   `json:"group"`
	Message string   `json:"message"`
	Teams   []string `json:"teams"`
}

// TeamAccess is a managed team the person should be in.
type TeamAccess struct {
	Team   string       `json:"team"`
	Policy model.Policy `json:"policy"`
	Role   model.Role   `json:"role"`
	Groups []string     `json:"groups"`
	// Note says when the team cannot hold them as it stands: it does not
	// exist or could not be read.
	Note string `json:"note,omitempty"`
}

// BuildkiteView is what Buildkite shows of the person now.
type BuildkiteView struct {
	Member   bool          `json:"member"`
	Name     string        `json:"name,omitempty"`
	Role     model.OrgRole `json:"role,omitempty"`
	Bot      bool          `json:"bot,omitempty"`
	JoinedAt string        `json:"joined_at,omitempty"`
	// Teams are the managed teams they are in, by slug.
	Teams []TeamMembership `json:"teams"`
	// TeamsNotRead are managed teams whose membership could not be read.
	TeamsNotRead []string          `json:"teams_not_read"`
	Invitation   *InvitationReport `json:"invitation"`
}

// TeamMembership is one managed team the person is in.
type TeamMembership struct {
	Team      string     `json:"team"`
	Role      model.Role `json:"role"`
	CreatedAt string     `json:"created_at"`
}

// Explain explains one person's access. It is pure and deterministic.
func Explain(in ExplainInput) *Explanation {
	org := in.Org
	if org == nil {
		org = &model.Org{}
	}
	x := &Explanation{Email: in.Email, Organization: organization(in.Mapping, org)}
	for _, s := range sortedKeys(in.Lookups) {
		p := in.Lookups[s]
		st := SourceStatus{Source: s, Found: p.Found, Status: p.Status, Gone: p.Gone}
		if p.Err != nil {
			st.Error = p.Err.Error()
		}
		x.Sources = append(x.Sources, st)
	}
	desired := plan.Desired(in.Mapping, in.Reads, in.Now)
	x.explainGroups(desired)
	for _, slug := range sortedKeys(desired) {
		d := desired[slug]
		if w, ok := d.Members[in.Email]; ok {
			x.Teams = append(x.Teams, TeamAccess{Team: slug, Policy: d.Policy, Role: w.Role,
				Groups: slices.Clone(w.Groups), Note: teamNote(d, org)})
		}
	}
	x.Buildkite = buildkiteView(in, org)
	if in.Plan != nil {
		for _, c := range in.Plan.Changes {
			if c.Email == in.Email {
				x.Changes = append(x.Changes, c)
			}
		}
		for _, c := range in.Plan.Held {
			if c.Email == in.Email {
				x.Held = append(x.Held, c)
			}
		}
		for _, u := range in.Plan.Unplaced {
			if u.Email == in.Email {
				x.Unplaced = append(x.Unplaced, u)
			}
		}
	}
	x.Offboarding = in.Offboarding
	x.Sources, x.Groups, x.UnknownGroups = nonNil(x.Sources), nonNil(x.Groups), nonNil(x.UnknownGroups)
	x.Teams, x.Changes, x.Held, x.Unplaced = nonNil(x.Teams), nonNil(x.Changes), nonNil(x.Held), nonNil(x.Unplaced)
	x.Summary = x.summarise(in)
	return x
}

// explainGroups fills Groups and UnknownGroups from every team's entries.
// A group named by several teams is one listing with a grant per team.
func (x *Explanation) explainGroups(desired map[string]plan.DesiredTeam) {
	listings := map[string]*GroupListing{}
	unknown := map[string]*UnknownGroup{}
	for _, slug := range sortedKeys(desired) {
		for _, e := range desired[slug].Entries {
			if e.Err != "" {
				if e.Expired {
					continue // grants nothing, read or not
				}
				u := unknown[e.Key]
				if u == nil {
					u = &UnknownGroup{Group: e.Label, Message: e.Err}
					unknown[e.Key] = u
				}
				if !slices.Contains(u.Teams, slug) {
					u.Teams = append(u.Teams, slug)
				}
				continue
			}
			row, listed := e.Listed[x.Email]
			if !listed {
				continue
			}
			l := listings[e.Key]
			if l == nil {
				l = &GroupListing{Group: e.Label, Status: row.Status, Active: row.Active, Via: nonNil(slices.Clone(row.Via))}
				if row.Email != x.Email {
					l.ListedAs = row.Email
				}
				if len(row.Via) > 0 {
					l.Path = path(e.Label, row.Via)
				}
				listings[e.Key] = l
			}
			g := GroupGrant{Team: slug, Role: e.Role, Expires: stamp(e.Expires), Grants: row.Active && !e.Expired}
			switch {
			case e.Expired:
				g.Reason = plan.ExpiredReason(e.Label, e.Expires)
			case !row.Active:
				g.Reason = cmp.Or(row.Status, "inactive") + " in " + e.Label
			}
			l.Grants = append(l.Grants, g)
		}
	}
	for _, k := range sortedKeys(listings) {
		x.Groups = append(x.Groups, *listings[k])
	}
	for _, k := range sortedKeys(unknown) {
		x.UnknownGroups = append(x.UnknownGroups, *unknown[k])
	}
}

// teamNote says when a team cannot hold anyone as it stands.
func teamNote(d plan.DesiredTeam, org *model.Org) string {
	if _, bad := org.TeamErrors[d.Slug]; bad {
		return "its Buildkite membership could not be read"
	}
	if _, ok := org.Teams[d.Slug]; ok {
		return ""
	}
	if d.Create {
		return MsgTeamToCreate
	}
	return plan.MsgTeamMissing
}

// buildkiteView is what Buildkite shows of the person.
func buildkiteView(in ExplainInput, org *model.Org) BuildkiteView {
	v := BuildkiteView{Teams: []TeamMembership{}, TeamsNotRead: sortedKeys(org.TeamErrors)}
	if m := in.Member; m != nil {
		v.Member, v.Name, v.Role, v.Bot, v.JoinedAt = true, m.Name, m.Role, m.Bot, stamp(m.CreatedAt)
	}
	for _, slug := range sortedKeys(org.Teams) {
		if tm, ok := org.Teams[slug].Members[in.Email]; ok {
			v.Teams = append(v.Teams, TeamMembership{Team: slug, Role: tm.Role, CreatedAt: stamp(tm.CreatedAt)})
		}
	}
	if inv := in.Invitation; inv != nil {
		v.Invitation = &InvitationReport{Email: inv.Email, Teams: nonNil(sortedTeams(inv.Teams))}
	}
	return v
}

// summarise is the one line that answers "what access, and if none, why".
func (x *Explanation) summarise(in ExplainInput) string {
	var unknown []string
	for _, u := range x.UnknownGroups {
		unknown = append(unknown, u.Group)
	}
	couldNot := ""
	if len(unknown) > 0 {
		couldNot = " " + strings.Join(unknown, ", ") + " could not be read, so this may be incomplete."
	}
	if len(x.Teams) == 0 {
		// An organization member the mapping grants nothing still has
		// what membership gives (and whatever teams Buildkite shows):
		// the headline says the mapping is what grants nothing.
		notIn, noAccess := "", "No access through the mapping"
		if in.Member == nil {
			notIn, noAccess = ", and they are not in the Buildkite organization", "No access"
		}
		var reasons []string
		for _, g := range x.Groups {
			for _, gr := range g.Grants {
				if gr.Reason != "" && !slices.Contains(reasons, gr.Reason) {
					reasons = append(reasons, gr.Reason)
				}
			}
		}
		switch {
		case len(x.Groups) == 0 && len(unknown) > 0:
			return fmt.Sprintf("Unknown: no mapped group that was read lists %s%s, but %s could not be read.",
				x.Email, notIn, strings.Join(unknown, ", ")) + x.stillIn()
		case len(x.Groups) == 0:
			return fmt.Sprintf("%s: no mapped group lists %s%s.", noAccess, x.Email, notIn) + x.stillIn()
		}
		return fmt.Sprintf("%s: the mapped groups that list %s grant nothing (%s)%s.%s",
			noAccess, x.Email, strings.Join(reasons, "; "), notIn, couldNot) + x.stillIn()
	}
	parts := make([]string, len(x.Teams))
	for i, t := range x.Teams {
		parts[i] = t.Team + " as " + string(t.Role)
	}
	s := fmt.Sprintf("Should be in %s: %s.", plural(len(x.Teams), "team", "teams"), strings.Join(parts, ", "))
	if in.Member == nil {
		s += " Not in the Buildkite organization: " + x.placement(in) + "."
	}
	switch {
	case len(x.Changes) > 0:
		s += x.nextApply()
	case len(x.Held) == 0 && in.Member != nil && in.Plan != nil:
		s += " Buildkite matches."
	}
	if len(x.Held) > 0 {
		s += x.heldBack()
	}
	return s + couldNot
}

// placement says what happens about a person teams want who is not in the
// organization.
func (x *Explanation) placement(in ExplainInput) string {
	switch {
	case in.Invitation != nil:
		return "an invitation is pending"
	case slices.ContainsFunc(x.Changes, func(c plan.Change) bool { return c.Action == plan.ActionInvite }):
		return "the next apply invites them"
	case slices.ContainsFunc(x.Held, func(c plan.Change) bool { return c.Action == plan.ActionInvite }):
		return "their invitation is held back"
	}
	return "teamsync does not invite them (sync.missing_users: report); invite them in Buildkite"
}

// stillIn says, of someone the mapping grants nothing, which managed teams
// Buildkite still shows them in and whether the next apply changes that:
// "no access" must not read as "has none".
func (x *Explanation) stillIn() string {
	var s string
	switch {
	case len(x.Buildkite.Teams) > 0:
		slugs := make([]string, len(x.Buildkite.Teams))
		for i, t := range x.Buildkite.Teams {
			slugs[i] = t.Team
		}
		s = fmt.Sprintf(" Buildkite still shows them in %s.", strings.Join(slugs, ", "))
	case x.Buildkite.Member:
		// In no managed team, but still what organization membership
		// gives: that is access too.
		s = " Buildkite still shows them as an organization member."
	default:
		return ""
	}
	switch {
	case len(x.Changes) > 0:
		s += x.nextApply()
	case len(x.Held) > 0:
		s += x.heldBack()
	case len(x.Buildkite.Teams) > 0:
		s += " No apply removes them (an additive or observe team, or a protected user)."
	}
	return s
}

// nextApply is the sentence that counts the changes apply makes for them.
func (x *Explanation) nextApply() string {
	return fmt.Sprintf(" The next apply makes %s for them.", plural(len(x.Changes), "change", "changes"))
}

// heldBack is the sentence that counts their changes the guards hold.
func (x *Explanation) heldBack() string {
	return fmt.Sprintf(" %s held back.", plural(len(x.Held), "change is", "changes are"))
}
