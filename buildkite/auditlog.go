package buildkite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/teamsync/teamsync/sync/model"
)

// auditFirstPage is the page size of the audit log's first page. A quiet
// organization has no event since the last run, and a page is paced by
// what it may cost (five points an event), so the first page is small;
// the pages after it, only read when there is more, are large.
const auditFirstPage = 50

// AuditEvents reads the organization's audit-log events about teams, team
// memberships, organization members and invitations that occurred at or
// after since (all of them when since is zero), newest first, to the last
// page. When the organization's plan or the token's permissions do not
// allow the audit log, the error wraps model.ErrRefused; a failure that
// may pass (a 5xx, "currently busy" after the retries) does not.
//
// Events made by the token's own user are marked Own: the actor's ID is
// compared with the viewer's User ID, as Buildkite documents
// AuditActor.id as "the GraphQL ID for this actor". The subject's ID is
// likewise taken to be the subject's own GraphQL ID (a TeamMember's for a
// membership). Neither has been checked against the live API; were either
// not so, no event would match what a caller remembers, and the caller
// would re-read or fingerprint more than it needs to, never less.
func (c *Client) AuditEvents(ctx context.Context, since time.Time) ([]model.AuditEvent, error) {
	events, err := c.auditEvents(ctx, since, false)
	return events, c.secrets.Error(err)
}

// NewestAuditEvent reads the newest of the events AuditEvents reads, or
// nil when there is none: where a caller that has just read everything
// starts watching the audit log from.
func (c *Client) NewestAuditEvent(ctx context.Context) (*model.AuditEvent, error) {
	events, err := c.auditEvents(ctx, time.Time{}, true)
	if err != nil || len(events) == 0 {
		return nil, c.secrets.Error(err)
	}
	return &events[0], nil
}

// auditEventsPage is one page of AuditEvents.
type auditEventsPage struct {
	Viewer *struct {
		User *struct {
			ID string `json:"id"`
		} `json:"user"`
	} `json:"viewer"`
	Organization *struct {
		AuditEvents *struct {
			PageInfo *pageInfo `json:"pageInfo"`
			Edges    []struct {
				Node *auditEventNode `json:"node"`
			} `json:"edges"`
		} `json:"auditEvents"`
	} `json:"organization"`
}

type auditEventNode struct {
	ID         string `json:"id"`
	Type       string `json:"type"`
	OccurredAt string `json:"occurredAt"`
	Actor      *struct {
		ID string `json:"id"`
	} `json:"actor"`
	Subject *struct {
		ID   string `json:"id"`
		Type string `json:"type"`
		Node *struct {
			teamRef          // a Team
			Team    *teamRef `json:"team"` // a TeamMember
		} `json:"node"`
	} `json:"subject"`
}

// teamRef is what the audit query reads of a team.
type teamRef struct {
	ID   string `json:"id"`
	Slug string `json:"slug"`
}

// event checks n and turns it into a model.AuditEvent. An event that
// cannot be read is malformed, never skipped: it may be the change that
// matters.
func (n *auditEventNode) event(viewer string) (model.AuditEvent, error) {
	if n == nil || n.ID == "" || n.Type == "" || n.Subject == nil || n.Subject.ID == "" || n.Subject.Type == "" {
		return model.AuditEvent{}, malformed("an audit event without an ID, type or subject")
	}
	at, err := time.Parse(time.RFC3339Nano, n.OccurredAt)
	if err != nil {
		return model.AuditEvent{}, malformed("an audit event whose occurredAt is not a date and time")
	}
	e := model.AuditEvent{
		ID: n.ID, Type: n.Type, OccurredAt: at,
		Own:         n.Actor != nil && viewer != "" && n.Actor.ID == viewer,
		SubjectType: n.Subject.Type, SubjectID: n.Subject.ID,
		Gone: n.Subject.Node == nil,
	}
	if s := n.Subject.Node; s != nil {
		switch {
		case s.Team != nil:
			e.Team, e.TeamID = s.Team.Slug, s.Team.ID
		case n.Subject.Type == model.AuditSubjectTeam:
			e.Team, e.TeamID = s.Slug, s.ID
		}
	}
	return e, nil
}

func (c *Client) auditEvents(ctx context.Context, since time.Time, newestOnly bool) ([]model.AuditEvent, error) {
	perEvent, err := linearCostOf(opAuditEvents)
	if err != nil {
		return nil, fmt.Errorf("buildkite: size audit events page: %w", err)
	}
	var from any
	if !since.IsZero() {
		from = since.UTC().Format(time.RFC3339Nano)
	}
	first := auditFirstPage
	if newestOnly {
		first = 1
	}
	var events []model.AuditEvent
	after := ""
	for page := 1; ; page++ {
		var resp auditEventsPage
		vars := map[string]any{"org": c.org, "first": first, "after": optionalCursor(after), "from": from}
		gerrs, err := c.run(ctx, opAuditEvents, vars, &resp)
		if err != nil {
			if refusedAuditLog(gerrs) {
				return nil, fmt.Errorf("buildkite: read the audit log: %w: %w", model.ErrRefused, err)
			}
			return nil, fmt.Errorf("buildkite: read the audit log (page %d): %w", page, err)
		}
		o := resp.Organization
		switch {
		case o == nil:
			return nil, fmt.Errorf("buildkite: organization %q not found or not visible to this token", c.org)
		case o.AuditEvents == nil || o.AuditEvents.PageInfo == nil || o.AuditEvents.Edges == nil:
			return nil, fmt.Errorf("buildkite: read the audit log (page %d): %w", page, malformed("audit events are not a connection"))
		}
		viewer := ""
		if resp.Viewer != nil && resp.Viewer.User != nil {
			viewer = resp.Viewer.User.ID
		}
		for _, e := range o.AuditEvents.Edges {
			ev, err := e.Node.event(viewer)
			if err != nil {
				return nil, fmt.Errorf("buildkite: read the audit log (page %d): %w", page, err)
			}
			events = append(events, ev)
		}
		if newestOnly {
			return events, nil
		}
		if after, err = o.AuditEvents.PageInfo.next(after); err != nil {
			return nil, fmt.Errorf("buildkite: read the audit log (page %d): %w", page, err)
		}
		if after == "" {
			return events, nil
		}
		first = max(1, min(c.pageSize, c.pacer.target(complexityBudget)/perEvent))
	}
}

// linearCostOf is what each event of an AuditEvents page adds to its
// requested complexity.
func linearCostOf(op operation) (int, error) {
	_, per, err := linearCost(op, nil, "first")
	return max(per, 1), err
}

// refusedAuditLog reports whether the answer's errors are Buildkite
// refusing the auditEvents field itself: the organization's plan has no
// audit log, or the token's user may not read it. The wording is not
// documented; the place is. An error there that reads as a permission or
// plan refusal is one; so is any other error there, unless it reads as
// transient ("currently busy", "try again", a timeout), which the caller
// may retry at its next run rather than give up the audit log.
func refusedAuditLog(errs []gqlError) bool {
	for _, e := range errs {
		if len(e.Path) < 2 || !slices.Equal(e.Path[:2], []string{"organization", "auditEvents"}) {
			continue
		}
		m := strings.ToLower(e.Message)
		if containsAny(m, refusalWords) || !containsAny(m, transientWords) {
			return true
		}
	}
	return false
}

// refusalWords and transientWords tell a refusal of the audit log from a
// passing failure, by the lower-cased message.
var (
	refusalWords   = []string{"not available", "permission", "not allowed", "not authorized", "unauthorized", "forbidden", "plan", "upgrade", "access"}
	transientWords = []string{busyMessage, "try again", "timeout", "timed out", "went wrong", "temporarily", "unavailable", "internal"}
)

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}
