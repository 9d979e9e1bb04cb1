package buildkite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/teamsync/teamsync/sync/model"
)

// ReadOrg reads what the planner needs of the organization: its ID, the
// named teams (slugs without the organization) with all their members,
// pending invitations, and, in Members, the people in those teams (bots
// skipped). Every email, as map key and as field, is normalised here with
// model.NormalizeEmail, where Buildkite's data enters teamsync; nothing
// downstream normalises it again.
//
// Members is not the whole organization: listing it costs a request per
// 500 members and about two actual complexity points per member, all of a
// large organization's rate-limit window, every run. A run only needs the
// organization membership of the people it will place, so the caller looks
// those up with LookupMembers and merges them in. Since the people come
// from team memberships, their OrganizationMember ID and name are not
// known here and stay empty; UserID and Email are set.
//
// A named team that does not exist is absent from Teams. A team whose
// read failed goes to TeamErrors: if its first page failed it is absent
// from Teams too; if a later page failed it stays in Teams with the
// members read so far, since it does exist, and those people are in
// Members. Any other failure fails the whole read.
//
// Two users whose emails differ only in case cannot be told apart once
// normalised; the first one read is kept and the other is logged as
// a warning. The same goes for team members and invitations.
func (c *Client) ReadOrg(ctx context.Context, teams []string) (*model.Org, error) {
	org := &model.Org{Slug: c.org}
	var teamsRead *teamsResult
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		var err error
		teamsRead, err = c.readTeams(gctx, teams)
		return err
	})
	g.Go(func() error {
		var err error
		org.ID, org.Invitations, err = c.readInvitations(gctx)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, c.secrets.Error(err)
	}
	for slug, err := range teamsRead.errs {
		teamsRead.errs[slug] = c.secrets.Error(err)
	}
	org.Teams, org.TeamErrors = teamsRead.teams, teamsRead.errs
	org.Members = c.teamPeople(org.Teams)
	return org, nil
}

// teamPeople gathers the people of teams by email, visiting
// teams and members in sorted order so that which of two clashing users
// is kept does not depend on map order.
func (c *Client) teamPeople(teams map[string]model.Team) map[string]model.Member {
	people := make(map[string]model.Member)
	for _, slug := range slices.Sorted(maps.Keys(teams)) {
		members := teams[slug].Members
		for _, key := range slices.Sorted(maps.Keys(members)) {
			m := members[key]
			if prev, seen := people[key]; seen {
				if prev.UserID != m.UserID {
					c.logger.Warn("buildkite: two organization members share an email; keeping the first",
						slog.String("email", key), slog.String("kept_user", prev.UserID), slog.String("skipped_user", m.UserID))
				}
				continue
			}
			people[key] = model.Member{UserID: m.UserID, Email: m.Email}
		}
	}
	return people
}

// pageInfo is a connection's forward-paging state.
type pageInfo struct {
	HasNextPage bool    `json:"hasNextPage"`
	EndCursor   *string `json:"endCursor"`
}

// next returns the cursor of the next page, or "" at the end. A
// connection that says it has more but gives no new cursor would loop
// forever, so that is an error.
func (p pageInfo) next(prev string) (string, error) {
	if !p.HasNextPage {
		return "", nil
	}
	if p.EndCursor == nil || *p.EndCursor == "" || *p.EndCursor == prev {
		return "", errors.New("the server reported another page without a new cursor")
	}
	return *p.EndCursor, nil
}

func optionalCursor(after string) any {
	if after == "" {
		return nil
	}
	return after
}

type userNode struct {
	ID    string `json:"id"`
	Email string `json:"email"`
	Name  string `json:"name"`
	Bot   bool   `json:"bot"`
}

// readInvitations pages the pending invitations, and returns the
// organization's ID with them.
func (c *Client) readInvitations(ctx context.Context) (string, map[string]model.Invitation, error) {
	var resp struct {
		Organization *struct {
			ID          string           `json:"id"`
			Invitations *invitationsPage `json:"invitations"`
		} `json:"organization"`
	}
	base := map[string]any{"org": c.org, "teams": maxTeamsPerOrg}
	first, err := largestFirst(opOrgInvitations, base, "first", c.pageSize)
	if err != nil {
		return "", nil, fmt.Errorf("buildkite: size invitations page: %w", err)
	}
	invitations := make(map[string]model.Invitation)
	orgID, after := "", ""
	for page := 1; ; page++ {
		resp.Organization = nil
		vars := map[string]any{"org": c.org, "teams": maxTeamsPerOrg, "first": first, "after": optionalCursor(after)}
		if _, err := c.run(ctx, opOrgInvitations, vars, &resp); err != nil {
			return "", nil, fmt.Errorf("buildkite: read invitations (page %d): %w", page, err)
		}
		o := resp.Organization
		if o == nil {
			return "", nil, fmt.Errorf("buildkite: organization %q not found or not visible to this token", c.org)
		}
		if o.ID == "" {
			return "", nil, fmt.Errorf("buildkite: read invitations (page %d): %w", page, malformed("the organization has no ID"))
		}
		if err := o.Invitations.check(); err != nil {
			return "", nil, fmt.Errorf("buildkite: read invitations (page %d): %w", page, err)
		}
		orgID = o.ID
		for _, e := range o.Invitations.Edges {
			n := e.Node
			if n.State != "PENDING" {
				continue
			}
			key := model.NormalizeEmail(n.Email)
			if _, dup := invitations[key]; dup {
				c.logger.Warn("buildkite: two pending invitations for one email; keeping the first", slog.String("email", key))
				continue
			}
			inv := model.Invitation{ID: n.ID, Email: key}
			for _, t := range n.Teams.Edges {
				if t.Node.Team != nil {
					inv.Teams = append(inv.Teams, model.TeamRole{Team: t.Node.Team.Slug, Role: role(t.Node.Role)})
				}
			}
			slices.SortFunc(inv.Teams, func(a, b model.TeamRole) int { return strings.Compare(a.Team, b.Team) })
			invitations[key] = inv
		}
		if after, err = o.Invitations.PageInfo.next(after); err != nil {
			return "", nil, fmt.Errorf("buildkite: read invitations (page %d): %w", page, err)
		}
		if after == "" {
			return orgID, invitations, nil
		}
	}
}

// invitationsPage is one page of OrgInvitations.
type invitationsPage struct {
	PageInfo *pageInfo `json:"pageInfo"`
	Edges    []struct {
		Node *struct {
			ID    string `json:"id"`
			Email string `json:"email"`
			State string `json:"state"`
			Teams *struct {
				Edges []struct {
					Node *struct {
						Role string `json:"role"`
						Team *struct {
							Slug string `json:"slug"`
						} `json:"team"`
					} `json:"node"`
				} `json:"edges"`
			} `json:"teams"`
		} `json:"node"`
	} `json:"edges"`
}

// check refuses a page that does not have the shape asked for: a pending
// invitation that is missing or unreadable must not read as no invitation,
// or the person would be invited twice.
func (p *invitationsPage) check() error {
	if p == nil || p.PageInfo == nil || p.Edges == nil {
		return malformed("invitations are not a connection")
	}
	for _, e := range p.Edges {
		n := e.Node
		switch {
		case n == nil:
			return malformed("an invitation without a node")
		case n.ID == "" || strings.TrimSpace(n.Email) == "" || n.State == "":
			return malformed("an invitation without an ID, email or state")
		case n.State != "PENDING":
			continue
		case n.Teams == nil || n.Teams.Edges == nil:
			return malformed("a pending invitation whose teams are not a connection")
		}
		for _, t := range n.Teams.Edges {
			if t.Node == nil || (t.Node.Team != nil && !validRole(t.Node.Role)) {
				return malformed("an invitation team without a node or a known role")
			}
		}
	}
	return nil
}

// role turns Buildkite's MEMBER/MAINTAINER into a model.Role.
func role(r string) model.Role { return model.Role(strings.ToLower(r)) }

// validRole reports whether r is a TeamMemberRole teamsync knows. A role
// it does not know is not guessed at: the answer is malformed.
func validRole(r string) bool { return r == "MEMBER" || r == "MAINTAINER" }

// teamsResult is the outcome of reading the managed teams.
type teamsResult struct {
	teams map[string]model.Team
	errs  map[string]error
}

// teamMembers is one page of a team's members.
type teamMembers struct {
	PageInfo *pageInfo `json:"pageInfo"`
	Edges    []struct {
		Node *struct {
			ID   string    `json:"id"`
			Role string    `json:"role"`
			User *userNode `json:"user"`
		} `json:"node"`
	} `json:"edges"`
}

// check refuses a page that does not have the shape asked for, so that a
// member who is there but unreadable never reads as one who is not (and
// is planned to be added, or left out of a removal count).
func (m *teamMembers) check() error {
	if m == nil || m.PageInfo == nil || m.Edges == nil {
		return malformed("members are not a connection")
	}
	for _, e := range m.Edges {
		n := e.Node
		switch {
		case n == nil:
			return malformed("a membership without a node")
		case n.ID == "" || !validRole(n.Role):
			return malformed("a membership without an ID or a known role")
		case n.User != nil && (n.User.ID == "" || strings.TrimSpace(n.User.Email) == ""):
			return malformed("a member without an ID or email")
		}
	}
	return nil
}

type teamNode struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Members *teamMembers `json:"members"`
}

// readTeams reads the named teams in TeamsBatch queries sized by
// teamBatchSize, then follows the members of every team that has more.
func (c *Client) readTeams(ctx context.Context, slugs []string) (*teamsResult, error) {
	res := &teamsResult{teams: make(map[string]model.Team), errs: make(map[string]error)}
	slugs = uniqueSorted(slugs)
	k, batch, err := teamBatchSize(len(slugs), c.pageSize)
	if err != nil {
		return nil, fmt.Errorf("buildkite: size teams query: %w", err)
	}
	more := make(map[string]string) // slug → cursor of its next members page
	for start := 0; start < len(slugs); start += batch {
		part := slugs[start:min(start+batch, len(slugs))]
		if err := c.readTeamsBatch(ctx, part, k, res, more); err != nil {
			return nil, err
		}
	}
	for _, slug := range slices.Sorted(maps.Keys(more)) {
		t := res.teams[slug]
		if err := c.readMoreMembers(ctx, t, more[slug]); err != nil {
			res.errs[slug] = err
		}
	}
	return res, nil
}

func (c *Client) readTeamsBatch(ctx context.Context, slugs []string, k int, res *teamsResult, more map[string]string) error {
	op := teamsBatchQuery(len(slugs))
	vars := map[string]any{"first": k}
	for i, s := range slugs {
		vars[teamAlias(i)] = c.org + "/" + s
	}
	out := make(map[string]*teamNode, len(slugs))
	errs, err := c.run(ctx, op, vars, &out)
	if err != nil && len(errs) == 0 {
		return fmt.Errorf("buildkite: read teams: %w", err)
	}
	// A GraphQL error under one alias fails that team only; any other
	// error fails the query.
	byAlias := make(map[string]gqlError)
	for _, e := range errs {
		if len(e.Path) == 0 || !isTeamAlias(e.Path[0], len(slugs)) {
			return fmt.Errorf("buildkite: read teams: %w", err)
		}
		if _, seen := byAlias[e.Path[0]]; !seen {
			byAlias[e.Path[0]] = e
		}
	}
	for i, slug := range slugs {
		alias := teamAlias(i)
		node, answered := out[alias]
		e, failed := byAlias[alias]
		switch {
		case failed && node == nil && errors.Is(classify(e.Message), model.ErrNotFound):
			continue // the team does not exist
		case failed:
			res.errs[slug] = fmt.Errorf("buildkite: read team %q: %w", slug, &GraphQLError{Message: e.Message, Path: e.Path})
		case !answered:
			res.errs[slug] = fmt.Errorf("buildkite: read team %q: %w", slug, malformed("no %s in the answer", alias))
			continue
		case node == nil:
			continue // team: null, the team does not exist
		}
		if node == nil {
			continue // its read failed
		}
		if node.ID == "" {
			if !failed {
				res.errs[slug] = fmt.Errorf("buildkite: read team %q: %w", slug, malformed("the team has no ID"))
			}
			continue
		}
		if err := node.Members.check(); err != nil {
			if !failed {
				res.errs[slug] = fmt.Errorf("buildkite: read team %q: %w", slug, err)
			}
			continue
		}
		t := model.Team{ID: node.ID, Slug: slug, Name: node.Name, Members: make(map[string]model.TeamMember)}
		res.teams[slug] = t
		c.addTeamMembers(t, node.Members)
		if failed {
			continue
		}
		next, err := node.Members.PageInfo.next("")
		if err != nil {
			res.errs[slug] = fmt.Errorf("buildkite: read team %q: %w", slug, err)
		} else if next != "" {
			more[slug] = next
		}
	}
	return nil
}

// readMoreMembers pages t's members from cursor after to the end, adding
// them to t.Members.
func (c *Client) readMoreMembers(ctx context.Context, t model.Team, after string) error {
	var resp struct {
		Team *struct {
			Members *teamMembers `json:"members"`
		} `json:"team"`
	}
	for page := 2; ; page++ {
		resp.Team = nil
		vars := map[string]any{"team": c.org + "/" + t.Slug, "first": c.pageSize, "after": after}
		if _, err := c.run(ctx, opTeamMembersPage, vars, &resp); err != nil {
			return fmt.Errorf("buildkite: read members of team %q (page %d): %w", t.Slug, page, err)
		}
		if resp.Team == nil {
			return fmt.Errorf("buildkite: read members of team %q (page %d): the team is gone", t.Slug, page)
		}
		if err := resp.Team.Members.check(); err != nil {
			return fmt.Errorf("buildkite: read members of team %q (page %d): %w", t.Slug, page, err)
		}
		c.addTeamMembers(t, resp.Team.Members)
		next, err := resp.Team.Members.PageInfo.next(after)
		if err != nil {
			return fmt.Errorf("buildkite: read members of team %q (page %d): %w", t.Slug, page, err)
		}
		if next == "" {
			return nil
		}
		after = next
	}
}

// addTeamMembers adds one page of members, checked, to t, skipping bots
// (Buildkite manages them) and memberships without a visible user.
func (c *Client) addTeamMembers(t model.Team, page *teamMembers) {
	for _, e := range page.Edges {
		u := e.Node.User
		if u == nil || u.Bot {
			continue
		}
		key := model.NormalizeEmail(u.Email)
		if prev, dup := t.Members[key]; dup {
			c.logger.Warn("buildkite: two members of a team share an email; keeping the first",
				slog.String("team", t.Slug), slog.String("email", key),
				slog.String("kept_user", prev.UserID), slog.String("skipped_user", u.ID))
			continue
		}
		t.Members[key] = model.TeamMember{ID: e.Node.ID, UserID: u.ID, Email: key, Role: role(e.Node.Role)}
	}
}

func uniqueSorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
