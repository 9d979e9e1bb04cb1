package buildkite

import (
	"context"
	"fmt"
	"slices"

	"github.com/teamsync/teamsync/sync/model"
)

// viewerQuery names the token's own user: two points, for a run that
// judges a few people instead of reading every member.
const viewerQuery = `query Viewer {
  viewer { user { id email } }
}`

var opViewer = operation{name: "Viewer", doc: viewerQuery}

// ViewerID reads the User ID of the token's own user. A token without a
// user, or an answer without one, is an error: offboarding must know whom
// it never judges.
func (c *Client) ViewerID(ctx context.Context) (string, error) {
	id, _, err := c.viewer(ctx)
	return id, err
}

// viewer reads the token's own user: its User ID and normalised email.
func (c *Client) viewer(ctx context.Context) (id, email string, err error) {
	var resp struct {
		Viewer *struct {
			User *struct {
				ID    string `json:"id"`
				Email string `json:"email"`
			} `json:"user"`
		} `json:"viewer"`
	}
	if _, err := c.run(ctx, opViewer, nil, &resp); err != nil {
		return "", "", c.secrets.Error(fmt.Errorf("buildkite: read the token's user: %w", err))
	}
	if resp.Viewer == nil || resp.Viewer.User == nil || resp.Viewer.User.ID == "" || resp.Viewer.User.Email == "" {
		return "", "", fmt.Errorf("buildkite: read the token's user: the answer names no user")
	}
	return resp.Viewer.User.ID, model.NormalizeEmail(resp.Viewer.User.Email), nil
}

// LookupPeople reads what offboarding needs of a few people, instead of
// every member (ReadPeople): those of emails who are organization members,
// bots included with Bot set, and the token's own user, who is among the
// members returned (so that offboarding sees whether it is an
// administrator). The emails must be normalised. Like ReadPeople it is
// all or nothing.
func (c *Client) LookupPeople(ctx context.Context, emails []string) (*model.People, error) {
	viewer, viewerEmail, err := c.viewer(ctx)
	if err != nil {
		return nil, err
	}
	asked := append(slices.Clone(emails), viewerEmail)
	slices.Sort(asked)
	found, err := c.membersByEmail(ctx, slices.Compact(asked), true)
	if err != nil {
		return nil, c.secrets.Error(fmt.Errorf("buildkite: look up organization members: %w", err))
	}
	return &model.People{Members: found, ViewerUserID: viewer}, nil
}
