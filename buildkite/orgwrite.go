package buildkite

import (
	"context"
	"errors"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// The offboarding writes: removing a member from the organization and
// revoking an invitation. Both need an organization admin's token. Like
// the team writes they are never sent twice unless Buildkite provably did
// not run them, and a lost answer is settled by reading the object back.

// RemoveOrgMember removes a member (OrganizationMember ID, model.Member.ID)
// from the organization, which takes them out of every team too. A member
// already gone is an error wrapping model.ErrNotFound. If the answer is
// lost, the member is read back by ID: gone means removed.
func (c *Client) RemoveOrgMember(ctx context.Context, memberID string) error {
	var out struct {
		OrganizationMemberDelete *struct{} `json:"organizationMemberDelete"`
	}
	return c.write(ctx, opOrgMemberDelete, map[string]any{"id": memberID}, &out,
		func() bool { return out.OrganizationMemberDelete != nil },
		func(ctx context.Context) (bool, error) {
			there, err := c.isOrgMember(ctx, memberID)
			return !there, err
		})
}

// RevokeInvitation revokes a pending invitation (model.Invitation.ID).
// An invitation that is revoked or expired, or does not exist, is an error
// wrapping model.ErrNotFound: there is nothing left to revoke. An
// invitation that was accepted is an error that does not wrap it
// (invitationAccepted): the person it was for is an organization member
// now, which revoking cannot undo, so the revoke is not done. Buildkite's
// words for such a refusal are not documented, so a refusal is read back:
// the invitation's state decides. If the answer is lost, the invitation
// is read back too: revoked means done, pending means not done, accepted
// is the same failure as above.
func (c *Client) RevokeInvitation(ctx context.Context, invitationID string) error {
	var out struct {
		OrganizationInvitationRevoke *struct{} `json:"organizationInvitationRevoke"`
	}
	err := c.write(ctx, opInvitationRevoke, map[string]any{"id": invitationID}, &out,
		func() bool { return out.OrganizationInvitationRevoke != nil },
		func(ctx context.Context) (bool, error) {
			state, err := c.invitationState(ctx, invitationID)
			switch {
			case err != nil:
				return false, err
			case state == "REVOKED":
				return true, nil
			case state == "PENDING":
				return false, nil
			case state == "ACCEPTED":
				return false, &invitationAccepted{}
			}
			return false, &invitationGone{state: state}
		})
	var oe *opError
	var ge *GraphQLError
	if !errors.As(err, &oe) || (oe.kind != nil && oe.kind != model.ErrNotFound) || !errors.As(oe.err, &ge) {
		return err
	}
	// Refused in words classify does not know: if the invitation is no
	// longer pending, that is why. A read that fails leaves the refusal
	// as it was. A refusal classify reads as "not found" is read back
	// too: an invitation accepted meanwhile must not count as done.
	state, rerr := c.invitationState(ctx, invitationID)
	switch {
	case rerr != nil || state == "PENDING":
	case state == "ACCEPTED":
		return c.secrets.Error(&opError{op: oe.op, err: &refusedError{refusal: oe.err, reason: &invitationAccepted{}}})
	case oe.kind == nil:
		return c.secrets.Error(&opError{op: oe.op, kind: model.ErrNotFound, err: &refusedError{refusal: oe.err, reason: &invitationGone{state: state}}})
	}
	return err
}

// invitationAccepted is an invitation a revoke came too late for: the
// person accepted it and is an organization member now. It does not wrap
// model.ErrNotFound, which the applier counts as done: the revoke failed.
type invitationAccepted struct{}

func (e *invitationAccepted) Error() string {
	return "the invitation was accepted: the person is an organization member now, which revoking cannot undo (the next run judges them as a member)"
}

// invitationGone is an invitation a revoke has nothing left to do with.
// It wraps model.ErrNotFound.
type invitationGone struct {
	state string // REVOKED or EXPIRED (or a state Buildkite adds); "" when there is none
}

func (e *invitationGone) Error() string {
	if e.state == "" {
		return "the invitation does not exist"
	}
	return "the invitation is " + strings.ToLower(e.state) + ", no longer pending"
}

func (e *invitationGone) Unwrap() error { return model.ErrNotFound }

// refusedError is a write Buildkite refused, with the reason a read found.
type refusedError struct {
	refusal error
	reason  error
}

func (e *refusedError) Error() string { return e.refusal.Error() + "; " + e.reason.Error() }

func (e *refusedError) Unwrap() []error { return []error{e.refusal, e.reason} }
