package reconcile

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// Person is what explain reads of one person besides a run's plan.
type Person struct {
	// Member is their organization membership; nil when they are not a
	// member.
	Member *model.Member
	// Invitation is their pending invitation; nil when none.
	Invitation *model.Invitation
	// Lookups are what each source the mapping configures says of them,
	// by source name.
	Lookups map[string]providers.Person
	// Offboarding says whether offboarding judges them, and if not why;
	// "" without offboarding.
	Offboarding string
	// Email is the address explained: the one asked when Buildkite has a
	// member with it, else as sync.email_domains rewrites it (the address
	// teamsync matches to Buildkite).
	Email string
}

// Explain plans as Plan does, then reads what the plan does not show of
// the person asked about (asked, normalised): their organization
// membership and role, and what each configured source says of them. A
// Buildkite member may have any of the person's spellings (the address
// asked, its sync.email_domains rewrite, or the addresses rewritten to
// it): offboarding judges all of them, and the one Buildkite has is the
// one explained (Person.Email). Nothing is written.
func (r *Runner) Explain(ctx context.Context, m *config.Mapping, opts plan.Options, asked string) (*Result, *Person, error) {
	start := time.Now()
	opts = withNow(opts, start)
	res := &Result{}
	canonical := plan.RewriteEmail(asked, m.Sync.EmailDomains)
	candidates := append([]string{asked}, plan.Spellings(canonical, m.Sync.EmailDomains)...)
	slices.Sort(candidates)
	candidates = slices.Compact(candidates)
	one := *r
	one.JudgeOnly = candidates
	p, org, clients, err := one.plan(ctx, m, opts, res)
	finish := func() {
		res.Duration = time.Since(start)
		if clients != nil {
			res.Points = clients.Buildkite.Points()
		}
	}
	if err != nil {
		finish()
		return res, nil, err
	}
	res.Plan, res.Org = p, org
	email := canonical
	for _, e := range append([]string{asked, canonical}, candidates...) {
		if found, ok := org.Members[e]; ok && found.Role != "" {
			email = e // a member read by this run under this address
			break
		}
	}
	who := &Person{Email: email, Lookups: map[string]providers.Person{}}
	mem, ok := org.Members[email]
	if !ok || mem.Role == "" {
		found, err := clients.Buildkite.LookupMembers(ctx, []string{email})
		if err != nil {
			finish()
			return res, nil, fmt.Errorf("look up %s in buildkite organization %q: %w", email, m.Buildkite.Organization, err)
		}
		mem, ok = found[email]
	}
	if ok {
		who.Member = &mem
	}
	if inv, ok := org.Invitations[email]; ok {
		who.Invitation = &inv
	}
	for _, source := range configuredSources(m) {
		var known map[string]providers.Person
		if res.People != nil && m.Offboarding != nil && m.Offboarding.Source == source {
			known = res.People.Lookups // the plan asked already
		}
		who.Lookups[source] = lookUpOne(ctx, clients.Providers[source], email, m.Sync.EmailDomains, known)
	}
	who.Offboarding = offboardingOf(m, email, who, res.People)
	for _, e := range p.Errors {
		if e.Source == plan.SourceOffboarding && who.Offboarding != "" {
			// Whatever the rules say of them, this run judged nobody
			// to the end: say why.
			who.Offboarding = "not judged in this run: " + e.Message
			break
		}
	}
	finish()
	return res, who, nil
}

// offboardingOf says whether offboarding judges the person, and if not
// why, as plan.Exclusion decides it.
func offboardingOf(m *config.Mapping, email string, who *Person, read *plan.PeopleRead) string {
	off := m.Offboarding
	if off == nil {
		return ""
	}
	judgedBy := "judged by " + off.Source
	if who.Member == nil {
		switch why := plan.Exclusion(m, email, model.Member{}, ""); {
		case who.Invitation == nil || !off.RevokeInvitations:
			return "not judged: not an organization member"
		case why != "":
			return "never judged: " + why
		}
		return judgedBy + " (their pending invitation)"
	}
	viewer := ""
	if read != nil && read.People != nil {
		viewer = read.People.ViewerUserID
	}
	if why := plan.Exclusion(m, email, *who.Member, viewer); why != "" {
		return "never judged: " + why
	}
	return judgedBy
}

// configuredSources are the identity sources the mapping has a section
// for.
func configuredSources(m *config.Mapping) []string {
	var out []string
	if m.Okta != nil {
		out = append(out, providers.SourceOkta)
	}
	if m.Google != nil {
		out = append(out, providers.SourceGoogle)
	}
	return out
}

// lookUpOne asks p about every spelling of email (unless known holds the
// answers already) and gives the answer that decides, as the planner
// reads them: an account the source counts, else a failure, else one it
// says has left, else not found.
func lookUpOne(ctx context.Context, p providers.Provider, email string, domains map[string]string, known map[string]providers.Person) providers.Person {
	emails := plan.Spellings(email, domains)
	answers := known
	for _, e := range emails {
		if _, ok := known[e]; !ok {
			answers = nil // not all of them asked already: ask now
			break
		}
	}
	if answers == nil {
		var err error
		if answers, err = lookupPeople(ctx, p, emails); err != nil {
			return providers.Person{Err: err}
		}
	}
	var gone, failed *providers.Person
	for _, e := range emails {
		a, ok := answers[e]
		if !ok {
			// An answer left out is unknown, never "not found", as the
			// planner's judge takes it.
			a = providers.Person{Err: fmt.Errorf("%s was not looked up", e)}
		}
		switch {
		case a.Err != nil:
			if failed == nil {
				failed = &a
			}
		case a.Found && !a.Gone:
			return a
		case a.Found && gone == nil:
			gone = &a
		}
	}
	// In the planner's order (plan's judge): a failure leaves the person
	// unknown even when another spelling's account has left.
	switch {
	case failed != nil:
		return *failed
	case gone != nil:
		return *gone
	}
	return providers.Person{}
}
