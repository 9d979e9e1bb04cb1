package plan

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// PeopleRead is what a run read for offboarding: every organization member
// from Buildkite, and what the offboarding source says of each person it
// may judge (LookupEmails lists whom to ask).
type PeopleRead struct {
	// People are the organization's members; nil when Err is set.
	People *model.People
	// Lookups are the source's answers by email asked.
	Lookups map[string]providers.Person
	// Err is set when the members could not be read: nobody is offboarded
	// in this run, and the plan reports it.
	Err error
	// Only, when not nil, limits offboarding to the people with these
	// emails (explain asks about one person; plan --base about those whose
	// grants the change alters), not the whole organization. The
	// organization-wide guard against a source that counts nobody does
	// not apply then.
	Only []string
	// Sample, with Only, are other members the source was asked about
	// too (SampleEmails), so that a run judging a few people can still
	// tell a source that counts nobody.
	Sample []string
	// SearchErr is set when the source's search was tried once and
	// failed (validate --online's probe): it is reported as an error.
	SearchErr error
	// Grants, when set, is what the whole mapping grants (Grants): a plan
	// of some teams (plan --base) must not take a person its other teams
	// still grant, or may grant, for gone.
	Grants *Granted
}

// SourceOffboarding is the source of the errors offboarding reports.
const SourceOffboarding = "offboarding"

// viewerNotAdmin says why offboarding cannot write when the token's own
// user is a member but not an administrator of the organization: only
// administrators may remove members or revoke invitations. It is "" when
// the token's user is an administrator or is not among the members read.
func viewerNotAdmin(people *model.People) string {
	for _, p := range people.Members {
		if people.ViewerUserID != "" && p.UserID == people.ViewerUserID && p.Role != model.OrgRoleAdmin {
			return fmt.Sprintf("the token's user (%s) is not an organization administrator, and only administrators may remove members or revoke invitations, so nobody is offboarded", p.Email)
		}
	}
	return ""
}

// Exclusion says why offboarding never judges the organization member p
// with this email (normalised), whatever the source says of them: "outside
// offboarding.domains", "a bot user", "a protected user", "the token's
// own user", "an administrator, and offboarding.include_admins is off".
// It is "" when offboarding judges them, and when m has no offboarding.
func Exclusion(m *config.Mapping, email string, p model.Member, viewerUserID string) string {
	return exclusion(m, email, p, viewerUserID, ProtectedBy(m))
}

// exclusion is Exclusion with the protected users' test made once, for
// callers that ask about a whole organization.
func exclusion(m *config.Mapping, email string, p model.Member, viewerUserID string, protected func(string) bool) string {
	off := m.Offboarding
	switch {
	case off == nil:
		return ""
	case !off.Covers(email):
		return "outside offboarding.domains"
	case p.Bot:
		return "a bot user"
	case protected(email):
		return "a protected user (sync.protected_users)"
	case viewerUserID != "" && p.UserID == viewerUserID:
		return "the token's own user"
	case p.Role == model.OrgRoleAdmin && !off.IncludeAdmins:
		return "an administrator, and offboarding.include_admins is off"
	}
	return ""
}

// ProtectedBy returns the test of whether an email is one of m's
// protected users under either spelling: as listed, or as
// sync.email_domains rewrites it (a Buildkite member may have either).
// Every place that asks whether someone is protected uses it.
func ProtectedBy(m *config.Mapping) func(string) bool {
	set := ProtectedSet(m.Sync.ProtectedUsers, m.Sync.EmailDomains)
	return func(email string) bool { return set[email] || set[RewriteEmail(email, m.Sync.EmailDomains)] }
}

// judged lists, sorted, the people offboarding may judge: organization
// members and (with revoke_invitations) invitees whose email is in
// offboarding.domains, except bots, protected users, the token's own user
// and, unless include_admins, admins. Nobody else is looked up or touched.
func judged(m *config.Mapping, people *model.People, invitations map[string]model.Invitation, only []string) (members, invitees []string) {
	off := m.Offboarding
	if off == nil || people == nil {
		return nil, nil
	}
	if only != nil {
		some := &model.People{ViewerUserID: people.ViewerUserID, Members: map[string]model.Member{}}
		kept := map[string]model.Invitation{}
		for _, e := range only {
			if p, ok := people.Members[e]; ok {
				some.Members[e] = p
			}
			if inv, ok := invitations[e]; ok {
				kept[e] = inv
			}
		}
		people, invitations = some, kept
	}
	protected := ProtectedBy(m)
	for _, email := range sortedKeys(people.Members) {
		if exclusion(m, email, people.Members[email], people.ViewerUserID, protected) == "" {
			members = append(members, email)
		}
	}
	if off.RevokeInvitations {
		for _, email := range sortedKeys(invitations) {
			if off.Covers(email) && !protected(email) {
				invitees = append(invitees, email)
			}
		}
	}
	return members, invitees
}

// Spellings are the addresses an identity source may know a person by:
// their Buildkite email first, then each address sync.email_domains
// rewrites to it (alice@corp.acme.com when corp.acme.com is rewritten to
// acme.com), sorted.
func Spellings(email string, domains map[string]string) []string {
	out := []string{email}
	at := strings.LastIndexByte(email, '@')
	if at < 0 {
		return out
	}
	for from, to := range domains {
		if to == email[at+1:] && from != to {
			out = append(out, email[:at+1]+from)
		}
	}
	slices.Sort(out[1:])
	return out
}

// SampleEmails picks, sorted, up to n members of org whom offboarding
// would judge, from those the run read anyway (the managed teams'): a
// sample of people the source should know, for a run that judges too few
// people itself to tell a source that knows nobody.
func SampleEmails(m *config.Mapping, org *model.Org, n int) []string {
	if m == nil || m.Offboarding == nil || org == nil {
		return nil
	}
	var out []string
	protected := ProtectedBy(m)
	for _, email := range sortedKeys(org.Members) {
		if len(out) == n {
			break
		}
		if exclusion(m, email, org.Members[email], "", protected) == "" {
			out = append(out, email)
		}
	}
	return out
}

// LookupEmails lists, sorted and without repeats, the addresses to ask the
// offboarding source about: every spelling of every person offboarding may
// judge among read's people (and read.Only). It is empty without an
// offboarding section or people.
func LookupEmails(m *config.Mapping, read *PeopleRead, invitations map[string]model.Invitation) []string {
	if m == nil || read == nil {
		return nil
	}
	members, invitees := judged(m, read.People, invitations, read.Only)
	var out []string
	for _, email := range append(append(members, invitees...), read.Sample...) {
		out = append(out, Spellings(email, m.Sync.EmailDomains)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// verdict is what the source's answers say of one person.
type verdict struct {
	gone   bool
	reason string // why they are gone: "deprovisioned in okta", "not found in okta"
	err    string // the lookup failed: unknown, never gone
}

// judge reads the answers for a person's spellings: any account the
// source still counts keeps them; else a failed lookup leaves them
// unknown; else an account the source says has left, or no account at all
// in a domain it owns, means they are gone.
func judge(source string, emails []string, lookups map[string]providers.Person) verdict {
	var v verdict
	for _, e := range emails {
		p, ok := lookups[e]
		switch {
		case !ok:
			if v.err == "" {
				v.err = e + " was not looked up"
			}
		case p.Err != nil:
			if v.err == "" {
				v.err = p.Err.Error()
			}
		case p.Found && !p.Gone:
			return verdict{}
		case p.Found && v.reason == "":
			v.reason = inactiveReason(p.Status, source)
		}
	}
	if v.err != "" {
		return verdict{err: v.err}
	}
	if v.reason == "" {
		v.reason = "not found in " + source
	}
	v.gone = true
	return v
}

// offboarding is the organization-level part of a plan.
type offboarding struct {
	changes []Change
	held    []Change
	errors  []Error
	// population is how many members were judged, what
	// max_removal_percent counts organization removals against.
	population int
}

// Granted is what a mapping grants, as offboarding needs to know it: who
// its teams want, and which groups could not be read (whoever they list
// is unknown, so may still be granted).
type Granted struct {
	// Teams are the teams that want each desired person, in mapping order.
	Teams map[string][]string
	// Failed are the labels of the groups whose read failed.
	Failed []string
}

// Grants is what all of m's teams grant, from the group reads at now.
func Grants(m *config.Mapping, reads map[string]GroupRead, now time.Time) Granted {
	g := Granted{Teams: map[string][]string{}}
	seen := map[string]bool{}
	for _, t := range m.Teams {
		slug := normaliseSlug(t.Slug)
		if seen[slug] {
			continue
		}
		seen[slug] = true
		g.add(slug, desiredTeam(slug, t, reads, m.Sync.EmailDomains, now))
	}
	return g
}

// add records what one team's sources grant.
func (g *Granted) add(slug string, src teamSources) {
	for email := range src.desired {
		g.Teams[email] = append(g.Teams[email], slug)
	}
	for _, label := range src.failed {
		if !slices.Contains(g.Failed, label) {
			g.Failed = append(g.Failed, label)
		}
	}
}

// offboard drafts the organization-level changes: remove_org_member for a
// judged member the source says has left, revoke_invitation for a judged
// invitee who has left. A failed lookup holds the person (unknown_person);
// so does a grant the mapping still gives them (still_granted), since the
// mapping and the source then disagree and a human must settle it.
// granted is every desired person with the teams that want them.
func offboard(m *config.Mapping, read *PeopleRead, invitations map[string]model.Invitation, g Granted) offboarding {
	var out offboarding
	off := m.Offboarding
	if off == nil {
		return out
	}
	if read == nil || (read.People == nil && read.Err == nil) {
		out.errors = append(out.errors, Error{Source: SourceOffboarding, Message: "the organization's members were not read, so nobody is offboarded"})
		return out
	}
	if read.Err != nil {
		out.errors = append(out.errors, Error{Source: SourceOffboarding, Message: "could not read the organization's members, so nobody is offboarded: " + read.Err.Error()})
		return out
	}
	if read.SearchErr != nil {
		out.errors = append(out.errors, Error{Source: SourceOffboarding, Message: off.Source + " user search failed: " + read.SearchErr.Error()})
	}
	if msg := viewerNotAdmin(read.People); msg != "" {
		out.errors = append(out.errors, Error{Source: SourceOffboarding, Message: msg})
		return out
	}
	if read.Grants != nil {
		g = *read.Grants
	}
	granted := g.Teams
	members, invitees := judged(m, read.People, invitations, read.Only)
	out.population = len(members)
	counted := 0                           // judged people the source still counts
	failed := map[string]map[string]bool{} // error → the people it left unknown
	fail := func(msg, email string) {
		if failed[msg] == nil {
			failed[msg] = map[string]bool{}
		}
		failed[msg][email] = true
	}
	draft := func(action Action, email string) {
		v := judge(off.Source, Spellings(email, m.Sync.EmailDomains), read.Lookups)
		c := Change{Action: action, Email: email, Reason: v.reason}
		switch {
		case v.err != "":
			c.Reason = ""
			c.Guard = GuardUnknownPerson
			c.GuardReason = fmt.Sprintf("their lookup in %s failed, so nothing is taken from them until a lookup answers; fix the lookup (see errors), no setting overrides this", off.Source)
			out.held = append(out.held, c)
			fail(v.err, email)
		case !v.gone:
			counted++
		case len(g.Failed) > 0:
			// Whether a group that failed to read grants them is
			// unknown: unknown is not empty.
			c.Guard = GuardUnknownSource
			c.GuardReason = fmt.Sprintf("%s could not be read, so whether mapping.yaml still grants them is unknown; nobody leaves the organization until every group reads (see errors)",
				strings.Join(g.Failed, ", "))
			out.held = append(out.held, c)
		case len(granted[email]) > 0:
			c.Guard = GuardStillGranted
			c.GuardReason = fmt.Sprintf("%s is %s, but mapping.yaml still grants them %s; remove or expire that grant to offboard them",
				email, v.reason, plural(len(granted[email]), "team", "teams")+" ("+strings.Join(granted[email], ", ")+")")
			out.held = append(out.held, c)
		default:
			out.changes = append(out.changes, c)
		}
	}
	for _, email := range members {
		draft(ActionRemoveOrgMember, email)
	}
	for _, email := range invitees {
		draft(ActionRevokeInvitation, email)
	}
	asked := len(members) + len(invitees)
	if read.Only != nil {
		// Too few judged to tell: the sample stands in for them.
		counted, asked = 0, len(read.Sample)
		failedSample := false
		for _, email := range read.Sample {
			switch v := judge(off.Source, Spellings(email, m.Sync.EmailDomains), read.Lookups); {
			case v.err != "":
				failedSample = true
				fail(v.err, email)
			case !v.gone:
				counted++
			}
		}
		if asked > 0 && counted == 0 && !failedSample {
			out.errors = append(out.errors, Error{Source: SourceOffboarding, Message: fmt.Sprintf(
				"%s counts none of the %s it was asked about as still here: check its user attribute (okta.user_email) and that its token sees every user",
				off.Source, plural(asked, "organization member", "organization members"))})
		}
	}
	if counted == 0 && asked > 0 && len(out.changes) > 0 {
		// Not one judged person is still there by the source's account:
		// a wrong okta.user_email, or a token that sees only some users,
		// looks exactly like that, so nobody is removed on its word.
		reason := fmt.Sprintf("%s counts none of the %s it judged as still here, which a wrong user attribute or a token that sees only some users also looks like; nobody is removed until it counts someone",
			off.Source, plural(asked, "person", "people"))
		for _, c := range out.changes {
			c.Guard, c.GuardReason = GuardUnknownPerson, reason
			out.held = append(out.held, c)
		}
		out.changes = nil
	}
	for _, msg := range sortedKeys(failed) {
		// The source's error names whom it failed for; this says how many
		// people it leaves unknown.
		text := fmt.Sprintf("%s lookup failed for %s: %s", off.Source, plural(len(failed[msg]), "person", "people"), msg)
		out.errors = append(out.errors, Error{Source: SourceOffboarding, Message: text})
	}
	return out
}
