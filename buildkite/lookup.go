package buildkite

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/teamsync/teamsync/sync/model"
)

// LookupListThreshold is the most emails LookupMembers looks up one by
// one. Above it, listing every member costs fewer requests and points
// than the lookups would for any but the largest organizations, so the
// whole list is read instead.
const LookupListThreshold = 500

// LookupMembers returns the organization members among emails, by
// email, bots skipped, with their organization role and when they joined.
// People who are not members are simply absent.
// The emails must already be normalised (model.NormalizeEmail) and
// non-blank, as the planner's are; repeats count once. The members
// returned carry emails normalised the same way.
//
// Up to LookupListThreshold emails are looked up with aliased
// members(email:) filters, many to a request. Buildkite documents that
// filter as an exact match on the primary email but not whether it is
// case-sensitive, so the email is sent lower-cased and a returned user is
// accepted only if their normalised email equals the asked one. A
// person whose primary email has capitals may therefore be missed if the
// live filter is case-sensitive (the simulator's is not). Above the
// threshold the whole member list is read and returned, including people
// not asked for.
//
// The result is all or nothing: any failure, even for one email, fails
// the lookup, since a person whose membership is unknown must not be
// taken for one who is not in the organization.
func (c *Client) LookupMembers(ctx context.Context, emails []string) (map[string]model.Member, error) {
	asked := slices.Clone(emails)
	slices.Sort(asked)
	asked = slices.Compact(asked)

	var found map[string]model.Member
	var err error
	if len(asked) > LookupListThreshold {
		found, err = c.listMembers(ctx)
	} else {
		found, err = c.membersByEmail(ctx, asked, false)
	}
	if err != nil {
		return nil, c.secrets.Error(fmt.Errorf("buildkite: look up organization members: %w", err))
	}
	c.logger.Debug("buildkite: looked up organization members",
		slog.Int("asked", len(asked)), slog.Int("found", len(found)), slog.Bool("listed", len(asked) > LookupListThreshold))
	return found, nil
}

// memberEdge is one organization member as the member queries read it.
type memberEdge struct {
	Node *memberNode `json:"node"`
}

// checkMembers refuses organization members that do not have the shape
// asked for: someone who is a member but unreadable must not be taken for
// someone who is not.
func checkMembers(edges []memberEdge) error {
	if edges == nil {
		return malformed("members are not a connection")
	}
	for _, e := range edges {
		n := e.Node
		switch {
		case n == nil:
			return malformed("a member without a node")
		case n.ID == "":
			return malformed("a member without an ID")
		case !validOrgRole(n.Role):
			return malformed("a member without a known organization role")
		case !validTime(n.CreatedAt):
			return malformed("a member whose createdAt is not a date and time")
		case n.User != nil && (n.User.ID == "" || strings.TrimSpace(n.User.Email) == ""):
			return malformed("a member whose user has no ID or email")
		}
	}
	return nil
}

// memberMatches is one alias of a MembersByEmail answer.
type memberMatches struct {
	Edges []memberEdge `json:"edges"`
}

// membersByEmail looks up the normalised, distinct emails in batches of
// lookupBatchSize; bots are left out unless withBots.
func (c *Client) membersByEmail(ctx context.Context, emails []string, withBots bool) (map[string]model.Member, error) {
	found := make(map[string]model.Member)
	if len(emails) == 0 {
		return found, nil
	}
	batch, err := lookupBatchSize()
	if err != nil {
		return nil, fmt.Errorf("size lookup query: %w", err)
	}
	for start := 0; start < len(emails); start += batch {
		part := emails[start:min(start+batch, len(emails))]
		if err := c.membersByEmailBatch(ctx, part, found, withBots); err != nil {
			return nil, fmt.Errorf("batch %d of %d: %w", start/batch+1, (len(emails)+batch-1)/batch, err)
		}
	}
	return found, nil
}

// membersByEmailBatch sends one MembersByEmail query for emails and adds
// the members it finds to found.
func (c *Client) membersByEmailBatch(ctx context.Context, emails []string, found map[string]model.Member, withBots bool) error {
	var resp struct {
		Organization map[string]*memberMatches `json:"organization"`
	}
	vars := map[string]any{"org": c.org}
	for i, e := range emails {
		vars[emailVar(i)] = e
	}
	if _, err := c.run(ctx, membersByEmailQuery(len(emails)), vars, &resp); err != nil {
		return err
	}
	if resp.Organization == nil {
		return fmt.Errorf("organization %q not found or not visible to this token", c.org)
	}
	for i, email := range emails {
		m, ok := resp.Organization[memberAlias(i)]
		if !ok || m == nil {
			return malformed("no answer for %s", memberAlias(i))
		}
		if err := checkMembers(m.Edges); err != nil {
			return fmt.Errorf("%s: %w", memberAlias(i), err)
		}
		for _, e := range m.Edges {
			u := e.Node.User
			// The email check guards against a server that ignored the
			// filter: the first member of the organization is not a match.
			if u == nil || (u.Bot && !withBots) || model.NormalizeEmail(u.Email) != email {
				continue
			}
			found[email] = e.Node.member()
			break
		}
	}
	return nil
}

// listMembers pages every organization member, bots skipped, by
// normalised email.
func (c *Client) listMembers(ctx context.Context) (map[string]model.Member, error) {
	var resp struct {
		Organization *struct {
			Members *struct {
				PageInfo *pageInfo    `json:"pageInfo"`
				Edges    []memberEdge `json:"edges"`
			} `json:"members"`
		} `json:"organization"`
	}
	first, err := largestFirst(opOrgMembers, nil, "first", c.pageSize)
	if err != nil {
		return nil, fmt.Errorf("size members page: %w", err)
	}
	members := make(map[string]model.Member)
	after := ""
	for page := 1; ; page++ {
		resp.Organization = nil
		vars := map[string]any{"org": c.org, "first": first, "after": optionalCursor(after)}
		if _, err := c.run(ctx, opOrgMembers, vars, &resp); err != nil {
			return nil, fmt.Errorf("list members (page %d): %w", page, err)
		}
		o := resp.Organization
		if o == nil {
			return nil, fmt.Errorf("organization %q not found or not visible to this token", c.org)
		}
		if o.Members == nil || o.Members.PageInfo == nil {
			return nil, fmt.Errorf("list members (page %d): %w", page, malformed("members are not a connection"))
		}
		if err := checkMembers(o.Members.Edges); err != nil {
			return nil, fmt.Errorf("list members (page %d): %w", page, err)
		}
		for _, e := range o.Members.Edges {
			u := e.Node.User
			if u == nil || u.Bot {
				continue
			}
			key := model.NormalizeEmail(u.Email)
			if prev, dup := members[key]; dup {
				c.logger.Warn("buildkite: two organization members share an email; keeping the first",
					slog.String("email", key), slog.String("kept_user", prev.UserID), slog.String("skipped_user", u.ID))
				continue
			}
			members[key] = e.Node.member()
		}
		if after, err = o.Members.PageInfo.next(after); err != nil {
			return nil, fmt.Errorf("list members (page %d): %w", page, err)
		}
		if after == "" {
			return members, nil
		}
	}
}
