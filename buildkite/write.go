package buildkite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/sync/model"
)

// Writes are never sent twice unless Buildkite provably did not run them
// (a 429, "currently busy", a refused connection: the edge retries those).
// When a write fails in a way that leaves open whether it took effect (a
// timeout, a dropped connection, a 5xx, an answer without its payload),
// the client reads to learn what happened, and reports that: done, not
// done, or unknown when the read fails too. See settle.

// CreateTeam creates a team in the organization with GraphQL ID orgID and
// returns the new team's ID. New organization members are not added to it
// by default; its default role is member. If the answer is lost, the team
// is looked up by the slug Buildkite derives from the name, and its ID
// returned if it now exists.
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
			TeamEdge *struct {
				Node *struct {
					ID string `json:"id"`
				} `json:"node"`
			} `json:"teamEdge"`
		} `json:"teamCreate"`
	}
	var id string
	answered := func() bool {
		if p := out.TeamCreate; p != nil && p.TeamEdge != nil && p.TeamEdge.Node != nil && p.TeamEdge.Node.ID != "" {
			id = p.TeamEdge.Node.ID
			return true
		}
		return false
	}
	check := func(ctx context.Context) (bool, error) {
		var err error
		id, err = c.teamIDBySlug(ctx, model.Slugify(t.Name))
		return id != "", err
	}
	if err := c.write(ctx, opTeamCreate, input, &out, answered, check); err != nil {
		return "", err
	}
	return id, nil
}

// AddTeamMember adds the user (User ID, not OrganizationMember ID) to the
// team with the given role. The role is always sent: Buildkite has been
// seen to ignore the team's default role. It returns the new membership
// as Buildkite's answer gives it (ID, user, role and createdAt, without
// the email), so that a caller that remembers the team can keep up; the
// membership is zero when the answer did not carry it (the write was
// settled by reading it back, or the answer was incomplete).
func (c *Client) AddTeamMember(ctx context.Context, teamID, userID string, r model.Role) (model.TeamMember, error) {
	gr, err := teamRole(r)
	if err != nil {
		return model.TeamMember{}, fmt.Errorf("buildkite: teamMemberCreate: %w", err)
	}
	var out struct {
		TeamMemberCreate *struct {
			TeamMemberEdge *struct {
				Node *struct {
					ID        string `json:"id"`
					Role      string `json:"role"`
					CreatedAt string `json:"createdAt"`
				} `json:"node"`
			} `json:"teamMemberEdge"`
		} `json:"teamMemberCreate"`
	}
	input := map[string]any{"teamID": teamID, "userID": userID, "role": gr}
	err = c.write(ctx, opTeamMemberCreate, input, &out,
		func() bool { return out.TeamMemberCreate != nil },
		func(ctx context.Context) (bool, error) { return c.isTeamMember(ctx, teamID, userID) })
	if err != nil || out.TeamMemberCreate == nil || out.TeamMemberCreate.TeamMemberEdge == nil {
		return model.TeamMember{}, err
	}
	n := out.TeamMemberCreate.TeamMemberEdge.Node
	if n == nil || n.ID == "" || !validRole(n.Role) || !validTime(n.CreatedAt) {
		return model.TeamMember{}, nil
	}
	created, _ := time.Parse(time.RFC3339Nano, n.CreatedAt)
	return model.TeamMember{ID: n.ID, UserID: userID, Role: role(n.Role), CreatedAt: created}, nil
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
	return c.write(ctx, opTeamMemberUpdate, map[string]any{"id": teamMemberID, "role": gr}, &out,
		func() bool { return out.TeamMemberUpdate != nil },
		func(ctx context.Context) (bool, error) {
			role, err := c.teamMemberRole(ctx, teamMemberID)
			return role == gr, err
		})
}

// RemoveTeamMember deletes a team membership (TeamMember ID).
func (c *Client) RemoveTeamMember(ctx context.Context, teamMemberID string) error {
	var out struct {
		TeamMemberDelete *struct{} `json:"teamMemberDelete"`
	}
	return c.write(ctx, opTeamMemberDelete, map[string]any{"id": teamMemberID}, &out,
		func() bool { return out.TeamMemberDelete != nil },
		func(ctx context.Context) (bool, error) {
			role, err := c.teamMemberRole(ctx, teamMemberID)
			return role == "", err
		})
}

// Invite invites email to the organization (GraphQL ID orgID) as a member,
// joining the given teams with their roles when the invitation is
// accepted. email is normalised (model.NormalizeEmail), as the planner
// gives it, so it matches the keys readInvitations returns.
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
	return c.write(ctx, opInvitationCreate, input, &out,
		func() bool { return out.OrganizationInvitationCreate != nil },
		func(ctx context.Context) (bool, error) {
			_, pending, err := c.readInvitations(ctx)
			_, found := pending[email]
			return found, err
		})
}

// write sends a mutation with one input object. answered reports whether
// the answer holds the mutation's payload. A GraphQL error whose prose
// means "already in effect" wraps model.ErrAlreadyExists or
// model.ErrNotFound as well as the *GraphQLError. A failure that leaves
// open whether the write took effect is settled by check (see settle).
func (c *Client) write(ctx context.Context, op operation, input map[string]any, out any, answered func() bool, check func(context.Context) (bool, error)) error {
	_, err := c.run(ctx, op, map[string]any{"input": input}, out)
	switch {
	case err == nil && answered():
		return nil
	case err == nil:
		// A 200 without the payload and without an error: Buildkite may
		// well have run it.
		err = malformed("%s has no result and no error", op.label())
	case !httpx.MayHaveRun(err):
		oe := &opError{op: op.label(), err: err}
		var ge *GraphQLError
		if errors.As(err, &ge) {
			oe.kind = classify(ge.Message)
		}
		return c.secrets.Error(oe)
	}
	return c.secrets.Error(c.settle(ctx, op.label(), err, check))
}

// settle decides a write whose failure (err) leaves open whether it took
// effect, by reading what is there now: nil if it did, else an error that
// says it did not, or that the outcome is unknown because the read failed
// as well. check may also answer an error wrapping model.ErrNotFound: the
// read shows the write did not take effect and never will, its object
// being gone, and the error says so and wraps model.ErrNotFound, as the
// write's own "not found" would have. An invitationAccepted answer is
// taken the same way, and the error wraps it instead: the write did not
// take effect and never will, but the object is not gone. A write that did take effect is
// logged, since its own answer never said so.
func (c *Client) settle(ctx context.Context, op string, err error, check func(context.Context) (bool, error)) error {
	// The write's own context may be what ended it: the read-back gets
	// time of its own, so a write cut short is still looked at.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readBackTimeout)
	defer cancel()
	done, cerr := check(rctx)
	var accepted *invitationAccepted
	switch {
	case errors.Is(cerr, model.ErrNotFound), errors.As(cerr, &accepted):
		return &unsettledError{op: op, err: err, gone: cerr}
	case cerr != nil:
		return &unsettledError{op: op, err: err, checkErr: cerr}
	case !done:
		return &unsettledError{op: op, err: err}
	}
	c.logger.Warn("buildkite: a write whose answer was lost took effect, as reading it back shows",
		"operation", op, "error", err.Error())
	return nil
}

// readBackTimeout bounds the read that settles a write whose answer was
// lost.
const readBackTimeout = time.Minute

// teamRole turns a model.Role into Buildkite's TeamMemberRole.
func teamRole(r model.Role) (string, error) {
	if !r.Valid() {
		return "", fmt.Errorf("role %q is not member or maintainer", r)
	}
	return strings.ToUpper(string(r)), nil
}
