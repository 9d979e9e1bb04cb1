package bksim

import (
	"fmt"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// seedError is a problem with one element of a seed State. loc is the path to
// the element (keys and indexes) so LoadState can turn it into a file line.
type seedError struct {
	loc []any
	msg string
}

func (e *seedError) Error() string { return locString(e.loc) + ": " + e.msg }

func locString(loc []any) string {
	var b strings.Builder
	for _, p := range loc {
		switch p := p.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", p)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		}
	}
	return b.String()
}

func seedErr(msg string, loc ...any) error { return &seedError{loc: loc, msg: msg} }

// validateSeed checks that st describes a consistent organization: unique
// emails and slugs, known roles, team members and invitation teams that
// exist. It reports the first problem found.
func validateSeed(st State) error {
	if st.Organization == "" {
		return seedErr("organization slug is required", "organization")
	}
	if !validSlug(st.Organization) {
		return seedErr(fmt.Sprintf("organization slug %q must be lower-case letters, digits and single hyphens", st.Organization), "organization")
	}
	members := map[string]bool{}
	for i, m := range st.Members {
		if !validEmail(m.Email) {
			return seedErr(fmt.Sprintf("email %q is not an email address", m.Email), "members", i)
		}
		key := strings.ToLower(m.Email)
		if members[key] {
			return seedErr(fmt.Sprintf("duplicate member %q", m.Email), "members", i)
		}
		members[key] = true
		if !oneOf(m.Role, "", RoleAdmin, RoleMember) {
			return seedErr(fmt.Sprintf("member %q: role %q must be admin or member", m.Email, m.Role), "members", i)
		}
	}
	teams := map[string]bool{}
	for i, t := range st.Teams {
		if !validSlug(t.Slug) {
			return seedErr(fmt.Sprintf("team slug %q must be lower-case letters, digits and single hyphens", t.Slug), "teams", i)
		}
		if teams[t.Slug] {
			return seedErr(fmt.Sprintf("duplicate team slug %q", t.Slug), "teams", i)
		}
		teams[t.Slug] = true
		if !oneOf(t.Privacy, "", PrivacySecret, PrivacyVisible) {
			return seedErr(fmt.Sprintf("team %q: privacy %q must be secret or visible", t.Slug, t.Privacy), "teams", i)
		}
		seen := map[string]bool{}
		for j, tm := range t.Members {
			key := strings.ToLower(tm.Email)
			if !members[key] {
				return seedErr(fmt.Sprintf("team %q: %q is not an organization member", t.Slug, tm.Email), "teams", i, "members", j)
			}
			if seen[key] {
				return seedErr(fmt.Sprintf("team %q: duplicate member %q", t.Slug, tm.Email), "teams", i, "members", j)
			}
			seen[key] = true
			if !oneOf(tm.Role, "", RoleMember, RoleMaintainer) {
				return seedErr(fmt.Sprintf("team %q: member %q: role %q must be member or maintainer", t.Slug, tm.Email, tm.Role), "teams", i, "members", j)
			}
		}
	}
	pending := map[string]bool{}
	for i, inv := range st.Invitations {
		if !validEmail(inv.Email) {
			return seedErr(fmt.Sprintf("invitation email %q is not an email address", inv.Email), "invitations", i)
		}
		if !oneOf(inv.State, "", InvitationPending, InvitationAccepted, InvitationRevoked, InvitationExpired) {
			return seedErr(fmt.Sprintf("invitation %q: state %q must be pending, accepted, revoked or expired", inv.Email, inv.State), "invitations", i)
		}
		if !oneOf(inv.Role, "", RoleAdmin, RoleMember) {
			return seedErr(fmt.Sprintf("invitation %q: role %q must be admin or member", inv.Email, inv.Role), "invitations", i)
		}
		key := strings.ToLower(inv.Email)
		if inv.State == "" || inv.State == InvitationPending {
			if members[key] {
				return seedErr(fmt.Sprintf("pending invitation for %q, who is already a member", inv.Email), "invitations", i)
			}
			if pending[key] {
				return seedErr(fmt.Sprintf("second pending invitation for %q", inv.Email), "invitations", i)
			}
			pending[key] = true
		}
		for k, tr := range inv.Teams {
			if !teams[tr.Team] {
				return seedErr(fmt.Sprintf("invitation %q: unknown team %q", inv.Email, tr.Team), "invitations", i, "teams", k)
			}
			if !oneOf(tr.Role, "", RoleMember, RoleMaintainer) {
				return seedErr(fmt.Sprintf("invitation %q: team %q: role %q must be member or maintainer", inv.Email, tr.Team, tr.Role), "invitations", i, "teams", k)
			}
		}
	}
	return nil
}

func oneOf(v string, allowed ...string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// validEmail is deliberately loose: something@something, no spaces.
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t\r\n") && strings.Count(s, "@") == 1
}

// validSlug reports whether s is what Slugify produces: lower-case ASCII
// letters and digits in runs joined by single hyphens.
func validSlug(s string) bool {
	return s != "" && model.Slugify(s) == s
}
