package buildkite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"time"
	"unique"

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
	var clashes []model.Clash
	org.Members, clashes = model.TeamPeople(org.Teams)
	for _, cl := range clashes {
		c.logger.Warn("buildkite: two organization members share an email; keeping the first",
			slog.String("email", cl.Email), slog.String("kept_user", cl.Kept), slog.String("skipped_user", cl.Skipped))
	}
	return org, nil
}

// ReadTeams reads the named teams (slugs without the organization) with
// all their members, as ReadOrg does: a team that does not exist is absent
// from teams, one whose read failed is in errs (and in teams too when a
// later page failed). Any other failure fails the whole read. It is how a
// caller that remembers the rest of the organization re-reads the teams
// that may have changed.
func (c *Client) ReadTeams(ctx context.Context, slugs []string) (teams map[string]model.Team, errs map[string]error, err error) {
	res, err := c.readTeams(ctx, slugs)
	if err != nil {
		return nil, nil, c.secrets.Error(err)
	}
	for slug, err := range res.errs {
		res.errs[slug] = c.secrets.Error(err)
	}
	return res.teams, res.errs, nil
}

// ReadInvitations reads the organization's ID and its pending invitations
// by normalised email, as ReadOrg does.
func (c *Client) ReadInvitations(ctx context.Context) (orgID string, invitations map[string]model.Invitation, err error) {
	orgID, invitations, err = c.readInvitations(ctx)
	return orgID, invitations, c.secrets.Error(err)
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
	// Every invitation asks for the most teams an organization can have,
	// since its teams have no cursor; a page of them asks for thousands of
	// points. Buildkite allows 20 pending invitations, which seldom carry
	// more than a few teams, so pacing expects that.
	expected, err := estimateComplexity(opOrgInvitations.doc,
		map[string]any{"first": min(first, maxPendingInvitations), "teams": expectedInvitationTeams})
	if err != nil {
		return "", nil, fmt.Errorf("buildkite: size invitations page: %w", err)
	}
	ctx = withExpectedCost(ctx, expected)
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
			ID        string    `json:"id"`
			Role      string    `json:"role"`
			CreatedAt string    `json:"createdAt"`
			User      *userNode `json:"user"`
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
		case !validTime(n.CreatedAt):
			return malformed("a membership whose createdAt is not a date and time")
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

// readTeams reads the named teams in TeamsBatch queries (see pageSizes
// and teamBatches), then follows the members of every team that has more.
func (c *Client) readTeams(ctx context.Context, slugs []string) (*teamsResult, error) {
	res := &teamsResult{teams: make(map[string]model.Team), errs: make(map[string]error)}
	slugs = uniqueSorted(slugs)
	if len(slugs) == 0 {
		return res, nil
	}
	firsts, err := c.pageSizes(ctx, slugs)
	if err != nil {
		return nil, err
	}
	batches, err := teamBatches(slugs, firsts, c.pacer.target(complexityBudget))
	if err != nil {
		return nil, fmt.Errorf("buildkite: size teams query: %w", err)
	}
	more := make(map[string]string) // slug → cursor of its next members page
	done := 0
	for _, part := range batches {
		bctx := withProgress(ctx, fmt.Sprintf("read %d/%d teams", done, len(slugs)))
		if err := c.readTeamsBatch(bctx, part, firsts, res, more); err != nil {
			return nil, err
		}
		done += len(part)
	}
	for i, slug := range slices.Sorted(maps.Keys(more)) {
		t := res.teams[slug]
		mctx := withProgress(ctx, fmt.Sprintf("read %d/%d teams; paging the rest of large teams, %d/%d", done, len(slugs), i, len(more)))
		if err := c.readMoreMembers(mctx, &t, more[slug]); err != nil {
			res.errs[slug] = err
		}
		res.teams[slug] = t
	}
	return res, nil
}

// sizeSlack is how many members past the count a sizing read found the
// first page of a sized team asks for, so that a team that grows a little
// in between still fits in it.
const sizeSlack = 5

// pageSizes chooses how many members the first page of each team asks
// for. Not knowing a team's size, that is the full page. When reading
// every team that way would take more than one query, or more than the
// pacer's target for one request, the teams' sizes are read first
// (fingerprints, five points a team), and each team's first page is its
// size and a little slack: the reads then cost about what they ask for,
// which is what pacing estimates by and batches are cut to.
func (c *Client) pageSizes(ctx context.Context, slugs []string) (map[string]int, error) {
	firsts := make(map[string]int, len(slugs))
	for _, s := range slugs {
		firsts[s] = c.pageSize
	}
	unsized, err := batchCost(slugs, firsts)
	if err != nil {
		return nil, fmt.Errorf("buildkite: size teams query: %w", err)
	}
	if unsized <= c.pacer.target(complexityBudget) {
		return firsts, nil
	}
	fps, errs, err := c.fingerprints(withProgress(ctx, fmt.Sprintf("sizing %d teams before reading them", len(slugs))), slugs)
	if err != nil {
		return nil, err
	}
	for _, s := range slugs {
		if fp, ok := fps[s]; ok && errs[s] == nil {
			firsts[s] = max(1, min(c.pageSize, fp.Members+sizeSlack))
		}
	}
	return firsts, nil
}

func (c *Client) readTeamsBatch(ctx context.Context, slugs []string, firsts map[string]int, res *teamsResult, more map[string]string) error {
	op := teamsBatchQuery(len(slugs))
	vars := make(map[string]any, 2*len(slugs))
	for i, s := range slugs {
		vars[teamAlias(i)] = c.org + "/" + s
		vars[firstVar(i)] = firsts[s]
	}
	out := make(map[string]*teamNode, len(slugs))
	errs, err := c.run(ctx, op, vars, &out)
	if err != nil && len(errs) == 0 {
		return fmt.Errorf("buildkite: read teams: %w", err)
	}
	// A GraphQL error under one alias fails that team only; any other
	// error fails the query.
	byAlias, ok := errorsByAlias(errs, len(slugs))
	if !ok {
		return fmt.Errorf("buildkite: read teams: %w", err)
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
		c.addTeamMembers(&t, node.Members)
		res.teams[slug] = t
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
func (c *Client) readMoreMembers(ctx context.Context, t *model.Team, after string) error {
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

// addTeamMembers adds one page of members, checked, to t. Bots (Buildkite
// manages them), memberships without a visible user and a second
// membership of one email go to Unlisted instead.
func (c *Client) addTeamMembers(t *model.Team, page *teamMembers) {
	for _, e := range page.Edges {
		n := e.Node
		created, _ := time.Parse(time.RFC3339Nano, n.CreatedAt) // checked
		m := model.TeamMember{ID: n.ID, Role: role(n.Role), CreatedAt: created}
		u := n.User
		if u == nil || u.Bot {
			if u != nil {
				m.UserID = u.ID
			}
			t.Unlisted = append(t.Unlisted, m)
			continue
		}
		// A person is in several teams: one copy of their ID and email
		// serves every membership (and serve's memory of them).
		key := unique.Make(model.NormalizeEmail(u.Email)).Value()
		m.UserID, m.Email = unique.Make(u.ID).Value(), key
		if prev, dup := t.Members[key]; dup {
			c.logger.Warn("buildkite: two members of a team share an email; keeping the first",
				slog.String("team", t.Slug), slog.String("email", key),
				slog.String("kept_user", prev.UserID), slog.String("skipped_user", u.ID))
			t.Unlisted = append(t.Unlisted, m)
			continue
		}
		t.Members[key] = m
	}
}

// validTime reports whether v is a DateTime as Buildkite writes them
// (ISO 8601, which RFC 3339 is a profile of).
func validTime(v string) bool {
	_, err := time.Parse(time.RFC3339Nano, v)
	return err == nil
}

func uniqueSorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// errorsByAlias groups a batched team read's GraphQL errors by the team
// alias at the head of their path, keeping the first for each. It reports
// false when an error is not under one of the n aliases: that error fails
// the whole query, not one team.
func errorsByAlias(errs []gqlError, n int) (map[string]gqlError, bool) {
	byAlias := make(map[string]gqlError)
	for _, e := range errs {
		if len(e.Path) == 0 || !isTeamAlias(e.Path[0], n) {
			return nil, false
		}
		if _, seen := byAlias[e.Path[0]]; !seen {
			byAlias[e.Path[0]] = e
		}
	}
	return byAlias, true
}
