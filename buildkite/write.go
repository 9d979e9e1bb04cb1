package buildkite

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// CreateTeam creates a team in the organization with GraphQL ID orgID and
// returns the new team's ID. New organization members are not added to it
// by default; its default role is member.
func (c *Client) CreateTeam(ctx context.Context, orgID string, t model.NewTeam) (string, error) {
	privacy := strings.ToUpper(orDefault(t.Privacy, "secret"))
	if privacy != "SECRET" && privacy != "VISIBLE" {
		return "", fmt.Errorf("buildkite: create team %q: privacy %q is not secret or visible", t.Name, t.Privacy)
	}
	input := map[string]any{
		"organizationID":    orgID,
		"name":              t.Name,
		"privacy":           privacy,
		"isDefaultTeam":     false,
		"defaultMemberRole": "MEMBER",
	}
	var out struct {
		TeamCreate *struct {
			TeamEdge struct {
				Node *struct {
					ID string `json:"id"`
				} `json:"node"`
			} `json:"teamEdge"`
		} `json:"teamCreate"`
	}
	if err := c.mutate(ctx, opTeamCreate, input, &out); err != nil {
		return "", err
	}
	if out.TeamCreate == nil || out.TeamCreate.TeamEdge.Node == nil || out.TeamCreate.TeamEdge.Node.ID == "" {
		return "", errors.New("buildkite: teamCreate: the response has no team")
	}
	return out.TeamCreate.TeamEdge.Node.ID, nil
}

// AddTeamMember adds the user (User ID, not OrganizationMember ID) to the
// team with the given role. The role is always sent: Buildkite has been
// seen to ignore the team's default role.
func (c *Client) AddTeamMember(ctx context.Context, teamID, userID string, r model.Role) error {
	gr, err := teamRole(r)
	if err != nil {
		return fmt.Errorf("buildkite: teamMemberCreate: %w", err)
	}
	var out struct {
		TeamMemberCreate *struct{} `json:"teamMemberCreate"`
	}
	input := map[string]any{"teamID": teamID, "userID": userID, "role": gr}
	if err := c.mutate(ctx, opTeamMemberCreate, input, &out); err != nil {
		return err
	}
	if out.TeamMemberCreate == nil {
		return errors.New("buildkite: teamMemberCreate: empty response")
	}
	return nil
}

// UpdateTeamMember sets the role of a team membership (TeamMember ID).
func (c *Client) UpdateTeamMember(ctx context.Context, teamMemberID string, r model.Role) error {
	gr, err := teamRole(r)
	if err != nil {
		return fmt.Errorf("buildkite: teamMemberUpdate: %w", err)
	}
	var out struct {
		TeamMemberUpdate *struct{} `json:"teamMemberUpdate"`
	}
	if err := c.mutate(ctx, opTeamMemberUpdate, map[string]any{"id": teamMemberID, "role": gr}, &out); err != nil {
		return err
	}
	if out.TeamMemberUpdate == nil {
		return errors.New("buildkite: teamMemberUpdate: empty response")
	}
	return nil
}

// RemoveTeamMember deletes a team membership (TeamMember ID).
func (c *Client) RemoveTeamMember(ctx context.Context, teamMemberID string) error {
	var out struct {
		TeamMemberDelete *struct{} `json:"teamMemberDelete"`
	}
	if err := c.mutate(ctx, opTeamMemberDelete, map[string]any{"id": teamMemberID}, &out); err != nil {
		return err
	}
	if out.TeamMemberDelete == nil {
		return errors.New("buildkite: teamMemberDelete: empty response")
	}
	return nil
}

// Invite invites email to the organization (GraphQL ID orgID) as a member,
// joining the given teams with their roles when the invitation is
// accepted.
func (c *Client) Invite(ctx context.Context, orgID, email string, teams []model.TeamAssignment) error {
	assign := make([]map[string]any, 0, len(teams))
	for _, t := range teams {
		gr, err := teamRole(t.Role)
		if err != nil {
			return fmt.Errorf("buildkite: organizationInvitationCreate: %w", err)
		}
		assign = append(assign, map[string]any{"id": t.TeamID, "role": gr})
	}
	input := map[string]any{
		"organizationID": orgID,
		"emails":         []string{email},
		"role":           "MEMBER",
		"teams":          assign,
	}
	var out struct {
		OrganizationInvitationCreate *struct{} `json:"organizationInvitationCreate"`
	}
	if err := c.mutate(ctx, opInvitationCreate, input, &out); err != nil {
		return err
	}
	if out.OrganizationInvitationCreate == nil {
		return errors.New("buildkite: organizationInvitationCreate: empty response")
	}
	return nil
}

// mutate runs a mutation with one input object. A GraphQL error whose
// prose means "already in effect" wraps model.ErrAlreadyExists or
// model.ErrNotFound as well as the *GraphQLError.
func (c *Client) mutate(ctx context.Context, op operation, input map[string]any, out any) error {
	field := strings.ToLower(op.name[:1]) + op.name[1:]
	_, err := c.run(ctx, op, map[string]any{"input": input}, out)
	if err == nil {
		return nil
	}
	oe := &opError{op: field, err: err}
	var ge *GraphQLError
	if errors.As(err, &ge) {
		oe.kind = classify(ge.Message)
	}
	return oe
}

// teamRole turns a model.Role into Buildkite's TeamMemberRole.
func teamRole(r model.Role) (string, error) {
	if !r.Valid() {
		return "", fmt.Errorf("role %q is not member or maintainer", r)
	}
	return strings.ToUpper(string(r)), nil
}
