package bksim

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// State is a whole organization, used as seed (YAML/JSON files in testdata)
// and as the canonical snapshot that tests compare (sorted: members and teams
// by email/slug, team members by email, invitations by email).
type State struct {
	Organization string       `yaml:"organization" json:"organization"`
	Members      []Member     `yaml:"members" json:"members"`
	Teams        []Team       `yaml:"teams" json:"teams"`
	Invitations  []Invitation `yaml:"invitations,omitempty" json:"invitations,omitempty"`
}

// Member is a member of the organization (a user plus an organization role).
type Member struct {
	Email string `yaml:"email" json:"email"`
	// Name is the user's display name. When empty, User.name answers the
	// local part of the email; the snapshot keeps it empty.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Role is the organization role: admin or member (default member).
	Role string `yaml:"role,omitempty" json:"role,omitempty"`
	// Bot marks an official Buildkite-managed bot user (User.bot).
	Bot bool `yaml:"bot,omitempty" json:"bot,omitempty"`
	// CreatedAt is when they joined the organization
	// (OrganizationMember.createdAt). When zero, a seeded member joined
	// SeedMemberEpoch plus a minute per member before them in the seed,
	// whatever the server's clock, so that what is read of them is the
	// same on every run; the snapshot keeps it zero. A member who joins
	// later joined when their ORGANIZATION_MEMBER_CREATED event says.
	CreatedAt time.Time `yaml:"created_at,omitempty" json:"created_at,omitzero"`
}

// SeedMemberEpoch is when the first seeded member without a CreatedAt
// joined the organization.
var SeedMemberEpoch = time.Date(2025, time.January, 1, 0, 0, 0, 0, time.UTC)

// Team is a team with its memberships.
type Team struct {
	Slug string `yaml:"slug" json:"slug"`
	// Name defaults to the slug.
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Privacy is secret or visible (default secret).
	Privacy string `yaml:"privacy,omitempty" json:"privacy,omitempty"`
	// Description is the team's description (optional).
	Description string       `yaml:"description,omitempty" json:"description,omitempty"`
	Members     []TeamMember `yaml:"members" json:"members"`
}

// TeamMember is one membership of a team. Email must be an organization
// member's email (compared case-insensitively).
type TeamMember struct {
	Email string `yaml:"email" json:"email"`
	// Role is member or maintainer (default member).
	Role string `yaml:"role,omitempty" json:"role,omitempty"`
}

// Invitation is an invitation to join the organization, with the teams the
// person joins on acceptance.
type Invitation struct {
	Email string `yaml:"email" json:"email"`
	// State is pending (default), accepted, revoked or expired.
	State string `yaml:"state,omitempty" json:"state,omitempty"`
	// Role is the organization role offered: admin or member (default member).
	Role  string     `yaml:"role,omitempty" json:"role,omitempty"`
	Teams []TeamRole `yaml:"teams,omitempty" json:"teams,omitempty"`
}

// TeamRole is a team (by slug) and a team role (member or maintainer), as
// carried by invitations.
type TeamRole struct {
	Team string `yaml:"team" json:"team"`
	Role string `yaml:"role" json:"role"`
}

// Roles, privacies and invitation states as written in State (lower-case);
// the GraphQL API answers them upper-case.
const (
	RoleAdmin      = "admin"
	RoleMember     = "member"
	RoleMaintainer = "maintainer"

	PrivacySecret  = "secret"
	PrivacyVisible = "visible"

	InvitationPending  = "pending"
	InvitationAccepted = "accepted"
	InvitationRevoked  = "revoked"
	InvitationExpired  = "expired"
)

// Canonical returns a copy of s with defaults filled in (roles, privacy,
// invitation state, team names) and everything sorted as State documents, so
// a seed loaded from a file can be compared with Server.State. Team member
// emails keep their spelling here; the server's snapshot spells them as the
// organization member does.
func (s State) Canonical() State {
	out := State{Organization: s.Organization}
	for _, m := range s.Members {
		m.Role = orDefault(strings.ToLower(m.Role), RoleMember)
		out.Members = append(out.Members, m)
	}
	for _, t := range s.Teams {
		t.Name = orDefault(t.Name, t.Slug)
		t.Privacy = orDefault(strings.ToLower(t.Privacy), PrivacySecret)
		tms := make([]TeamMember, 0, len(t.Members))
		for _, tm := range t.Members {
			tm.Role = orDefault(strings.ToLower(tm.Role), RoleMember)
			tms = append(tms, tm)
		}
		slices.SortStableFunc(tms, func(a, b TeamMember) int { return cmpEmail(a.Email, b.Email) })
		t.Members = tms
		out.Teams = append(out.Teams, t)
	}
	for _, inv := range s.Invitations {
		inv.State = orDefault(strings.ToLower(inv.State), InvitationPending)
		inv.Role = orDefault(strings.ToLower(inv.Role), RoleMember)
		trs := make([]TeamRole, 0, len(inv.Teams))
		for _, tr := range inv.Teams {
			tr.Role = orDefault(strings.ToLower(tr.Role), RoleMember)
			trs = append(trs, tr)
		}
		slices.SortStableFunc(trs, func(a, b TeamRole) int { return cmp.Compare(a.Team, b.Team) })
		if len(trs) == 0 {
			trs = nil
		}
		inv.Teams = trs
		out.Invitations = append(out.Invitations, inv)
	}
	slices.SortStableFunc(out.Members, func(a, b Member) int { return cmpEmail(a.Email, b.Email) })
	slices.SortStableFunc(out.Teams, func(a, b Team) int { return cmp.Compare(a.Slug, b.Slug) })
	slices.SortStableFunc(out.Invitations, func(a, b Invitation) int { return cmpEmail(a.Email, b.Email) })
	if out.Members == nil {
		out.Members = []Member{}
	}
	if out.Teams == nil {
		out.Teams = []Team{}
	}
	return out
}

func cmpEmail(a, b string) int {
	if c := cmp.Compare(strings.ToLower(a), strings.ToLower(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}
