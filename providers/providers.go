// Package providers defines what an identity source gives teamsync: the
// members of a group, as our own types. Each source (Okta, Google Workspace,
// explicit user lists) lives in its own package below this one and never
// leaks SDK types.
package providers

import "context"

// Source names, as written in mapping.yaml group entries.
const (
	SourceOkta   = "okta"
	SourceGoogle = "google"
	SourceUsers  = "users"
)

// GroupRef names one group of one source.
type GroupRef struct {
	// Source is SourceOkta, SourceGoogle or SourceUsers.
	Source string
	// Name is the Okta group name or ID, or the Google group email, exactly as
	// written in the mapping. Empty for SourceUsers.
	Name string
	// Users is the explicit list for SourceUsers.
	Users []string
}

// Member is one person in a group.
type Member struct {
	// Email is the address to match against Buildkite, normalised with
	// model.NormalizeEmail by the provider that read it. Nothing after the
	// provider normalises it again.
	Email string
	// Status is the IdP's own status word (ACTIVE, SUSPENDED, …), for reports.
	Status string
	// Active reports whether the person counts as a member: still employed,
	// not suspended or deprovisioned (docs/semantics.md says which IdP
	// statuses count).
	Active bool
	// Via is the chain of nested groups through which the person is in
	// the group read, outermost first, ending with the group that lists
	// them directly; nil when the group lists them itself.
	Via []string
}

// Provider reads group members from one identity source. A read that fails
// or is incomplete at any page must return an error, never a short list:
// the planner treats an error as "unknown" and a list as the whole truth.
type Provider interface {
	Members(ctx context.Context, ref GroupRef) ([]Member, error)
}

// Preparer is implemented by providers that can make a run's group reads
// cheaper by seeing them all first (for example resolving many group names
// in one request). Prepare is advisory: an error is logged by the caller and
// each read then proceeds on its own, so it must never make a later Members
// call wrong.
type Preparer interface {
	Prepare(ctx context.Context, refs []GroupRef) error
}

// Rejected is implemented by a provider's errors (reached with errors.As)
// when the API refused the credentials themselves: every read of that
// source fails the same way, and the fix is the credential, not the
// mapping.
type Rejected interface {
	error
	// Rejection says how the API refused, such as "E0000011" or
	// "HTTP 401"; "" when this error is not a refusal of the credentials.
	Rejection() string
}

// Person is what an identity source says of one person, looked up by
// email for offboarding and explain.
type Person struct {
	// Found reports that the source has an account with this email.
	Found bool
	// Status is the source's own status word for the account (ACTIVE,
	// DEPROVISIONED, SUSPENDED, ARCHIVED, …); "" when not found.
	Status string
	// Gone reports that the source says the person has left: Okta
	// DEPROVISIONED or SUSPENDED, Google suspended or archived. A person
	// who is not found is not Gone here: whether that means gone depends
	// on whether the source owns the email's domain, which the caller
	// decides.
	Gone bool
	// Err is set when the lookup failed: nothing is known of the person.
	Err error
}

// PersonLookup is implemented by sources that can look people up by
// email (Okta, Google).
type PersonLookup interface {
	// LookupPeople answers for every email asked, each with its own
	// outcome: a failure (of the whole source or of one batch) is an Err
	// on each person it leaves unknown, never a missing or not-found
	// answer. emails are normalised (model.NormalizeEmail); the map's keys
	// are those emails.
	LookupPeople(ctx context.Context, emails []string) map[string]Person
}
