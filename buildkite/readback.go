package buildkite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/teamsync/teamsync/sync/model"
)

// The reads that settle a write whose answer was lost. Each answers only
// from what Buildkite says now; an answer that does not say (a missing
// field, a node of another type) is an error, so the write's outcome is
// reported unknown rather than guessed.

// teamIDBySlug returns the ID of the team with slug, or "" if there is
// none.
func (c *Client) teamIDBySlug(ctx context.Context, slug string) (string, error) {
	var resp struct {
		Team json.RawMessage `json:"team"`
	}
	if _, err := c.run(ctx, opTeamBySlug, map[string]any{"slug": c.org + "/" + slug}, &resp); err != nil {
		if gone(err) {
			return "", nil
		}
		return "", fmt.Errorf("look up team %q: %w", slug, err)
	}
	var team struct {
		ID string `json:"id"`
	}
	found, err := present(resp.Team, "team", &team)
	switch {
	case err != nil:
		return "", fmt.Errorf("look up team %q: %w", slug, err)
	case found && team.ID == "":
		return "", fmt.Errorf("look up team %q: %w", slug, malformed("the team has no ID"))
	}
	return team.ID, nil
}

// isTeamMember reports whether the user (User ID) is a member of the team
// (Team ID), paging the team's members.
func (c *Client) isTeamMember(ctx context.Context, teamID, userID string) (bool, error) {
	first, err := largestFirst(opTeamMembership, nil, "first", c.pageSize)
	if err != nil {
		return false, fmt.Errorf("size team members page: %w", err)
	}
	after := ""
	for page := 1; ; page++ {
		var resp struct {
			Node json.RawMessage `json:"node"`
		}
		vars := map[string]any{"team": teamID, "first": first, "after": optionalCursor(after)}
		if _, err := c.run(ctx, opTeamMembership, vars, &resp); err != nil {
			if gone(err) {
				return false, nil
			}
			return false, fmt.Errorf("read team members (page %d): %w", page, err)
		}
		var team struct {
			Members *struct {
				PageInfo *pageInfo `json:"pageInfo"`
				Edges    []struct {
					Node *struct {
						User *struct {
							ID string `json:"id"`
						} `json:"user"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"members"`
		}
		found, err := present(resp.Node, "node", &team)
		switch {
		case err != nil:
			return false, fmt.Errorf("read team members (page %d): %w", page, err)
		case !found:
			return false, nil // no such team, so no such member
		case team.Members == nil || team.Members.PageInfo == nil || team.Members.Edges == nil:
			return false, fmt.Errorf("read team members (page %d): %w", page, malformed("the team's members are not a connection"))
		}
		for _, e := range team.Members.Edges {
			if e.Node == nil {
				return false, fmt.Errorf("read team members (page %d): %w", page, malformed("a membership without a node"))
			}
			if e.Node.User != nil && e.Node.User.ID == userID {
				return true, nil
			}
		}
		if after, err = team.Members.PageInfo.next(after); err != nil {
			return false, fmt.Errorf("read team members (page %d): %w", page, err)
		}
		if after == "" {
			return false, nil
		}
	}
}

// teamMemberRole returns the role (MEMBER or MAINTAINER) of a team
// membership by its TeamMember ID, or "" if there is no such membership.
func (c *Client) teamMemberRole(ctx context.Context, id string) (string, error) {
	var resp struct {
		Node json.RawMessage `json:"node"`
	}
	if _, err := c.run(ctx, opTeamMember, map[string]any{"id": id}, &resp); err != nil {
		if gone(err) {
			return "", nil
		}
		return "", fmt.Errorf("read team membership: %w", err)
	}
	var m struct {
		ID   string `json:"id"`
		Role string `json:"role"`
	}
	found, err := present(resp.Node, "node", &m)
	switch {
	case err != nil:
		return "", fmt.Errorf("read team membership: %w", err)
	case !found:
		return "", nil
	case m.ID != id || (m.Role != "MEMBER" && m.Role != "MAINTAINER"):
		return "", fmt.Errorf("read team membership: %w", malformed("the node is not that membership with a role"))
	}
	return m.Role, nil
}

// present decodes a field of an answer into v. The field must be there:
// null means "none" (false), a missing field is malformed.
func present(raw json.RawMessage, name string, v any) (bool, error) {
	switch string(raw) {
	case "":
		return false, malformed("the answer has no %s", name)
	case "null":
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, malformed("%s: %v", name, err)
	}
	return true, nil
}

// gone reports whether err is Buildkite saying that what was asked for
// does not exist ("No TeamMember found …"), which a read-back takes as an
// answer.
func gone(err error) bool {
	var ge *GraphQLError
	return errors.As(err, &ge) && errors.Is(classify(ge.Message), model.ErrNotFound)
}

// isOrgMember reports whether the organization member with that ID is
// still there.
func (c *Client) isOrgMember(ctx context.Context, id string) (bool, error) {
	var resp struct {
		Node json.RawMessage `json:"node"`
	}
	if _, err := c.run(ctx, opOrgMember, map[string]any{"id": id}, &resp); err != nil {
		if gone(err) {
			return false, nil
		}
		return false, fmt.Errorf("read organization member: %w", err)
	}
	var m struct {
		ID string `json:"id"`
	}
	found, err := present(resp.Node, "node", &m)
	switch {
	case err != nil:
		return false, fmt.Errorf("read organization member: %w", err)
	case found && m.ID != id:
		return false, fmt.Errorf("read organization member: %w", malformed("the node is not that member"))
	}
	return found, nil
}

// invitationState returns the state of an invitation by its ID (PENDING,
// ACCEPTED, REVOKED or EXPIRED), or "" if there is no such invitation.
func (c *Client) invitationState(ctx context.Context, id string) (string, error) {
	var resp struct {
		Node json.RawMessage `json:"node"`
	}
	if _, err := c.run(ctx, opInvitation, map[string]any{"id": id}, &resp); err != nil {
		if gone(err) {
			return "", nil
		}
		return "", fmt.Errorf("read invitation: %w", err)
	}
	var inv struct {
		ID    string `json:"id"`
		State string `json:"state"`
	}
	found, err := present(resp.Node, "node", &inv)
	switch {
	case err != nil:
		return "", fmt.Errorf("read invitation: %w", err)
	case !found:
		return "", nil
	case inv.ID != id || !slices.Contains([]string{"PENDING", "ACCEPTED", "REVOKED", "EXPIRED"}, inv.State):
		return "", fmt.Errorf("read invitation: %w", malformed("the node is not that invitation with a known state"))
	}
	return inv.State, nil
}
