package buildkite

import (
	"context"
	"fmt"
)

// accessQuery asks, in one cheap request, who the token belongs to and
// what its user may do in the organization.
const accessQuery = `query TokenAccess($org: ID!) {
  viewer { user { email } }
  organization(slug: $org) {
    permissions {
      teamAdmin { allowed }
      teamCreate { allowed }
      organizationInvitationCreate { allowed }
      organizationMemberUpdate { allowed }
      auditEventsView { allowed }
    }
  }
}`

var opAccess = operation{name: "TokenAccess", doc: accessQuery}

// Access is what the token may do: whose it is and the organization
// permissions teamsync's writes and reads need.
type Access struct {
	// User is the email of the token's user; "" when the token has none.
	User string
	// TeamAdmin allows the membership writes; TeamCreate teamCreate;
	// InvitationCreate organizationInvitationCreate; MemberUpdate
	// (organizationMemberUpdate) is the organization-level permission of
	// an administrator over members, which offboarding's
	// organizationMemberDelete needs; AuditEventsView lets serve find
	// changed teams from the audit log.
	TeamAdmin, TeamCreate, InvitationCreate, MemberUpdate, AuditEventsView bool
}

type permission struct {
	Allowed bool `json:"allowed"`
}

// Access reads what the token may do in the organization. An organization
// the token cannot see is an error.
func (c *Client) Access(ctx context.Context) (*Access, error) {
	var resp struct {
		Viewer *struct {
			User *struct {
				Email string `json:"email"`
			} `json:"user"`
		} `json:"viewer"`
		Organization *struct {
			Permissions *struct {
				TeamAdmin        *permission `json:"teamAdmin"`
				TeamCreate       *permission `json:"teamCreate"`
				InvitationCreate *permission `json:"organizationInvitationCreate"`
				MemberUpdate     *permission `json:"organizationMemberUpdate"`
				AuditEventsView  *permission `json:"auditEventsView"`
			} `json:"permissions"`
		} `json:"organization"`
	}
	if _, err := c.run(ctx, opAccess, map[string]any{"org": c.org}, &resp); err != nil {
		return nil, c.secrets.Error(fmt.Errorf("buildkite: read the token's access: %w", err))
	}
	if resp.Organization == nil || resp.Organization.Permissions == nil {
		return nil, fmt.Errorf("buildkite: organization %q not found or not visible to this token", c.org)
	}
	a := &Access{}
	if v := resp.Viewer; v != nil && v.User != nil {
		a.User = v.User.Email
	}
	p := resp.Organization.Permissions
	allowed := func(p *permission) bool { return p != nil && p.Allowed }
	a.TeamAdmin, a.TeamCreate = allowed(p.TeamAdmin), allowed(p.TeamCreate)
	a.InvitationCreate, a.AuditEventsView = allowed(p.InvitationCreate), allowed(p.AuditEventsView)
	a.MemberUpdate = allowed(p.MemberUpdate)
	return a, nil
}
