package plan

import (
	"errors"
	"fmt"
	"io"
)

// Output formats accepted by Render, as given to --format.
const (
	FormatText     = "text"
	FormatJSON     = "json"
	FormatMarkdown = "markdown"
)

// errNilPlan is returned by the renderers when given no plan.
var errNilPlan = errors.New("plan: nothing to render (nil plan)")

// Render writes p to w in the named format (text, json or markdown).
func Render(w io.Writer, p *Plan, format string) error {
	switch format {
	case FormatText, "":
		return RenderText(w, p)
	case FormatJSON:
		return RenderJSON(w, p)
	case FormatMarkdown, "md":
		return RenderMarkdown(w, p)
	}
	return fmt.Errorf("plan: unknown format %q (want text, json or markdown)", format)
}

// view returns a shallow copy of p for rendering: lists are never nil, so a
// hand-built plan still renders [] rather than null, and the summary is
// recounted so that it always agrees with the lists it summarises.
func view(p *Plan) Plan {
	q := *p
	q.Changes = nonNil(q.Changes)
	q.Held = nonNil(q.Held)
	q.Unplaced = nonNil(q.Unplaced)
	q.Errors = nonNil(q.Errors)
	q.Recount()
	return q
}

// empty reports whether there is nothing at all to show.
func (p *Plan) empty() bool {
	return len(p.Changes) == 0 && len(p.Held) == 0 && len(p.Unplaced) == 0 && len(p.Errors) == 0
}

// countsLine is the summary sentence shared by the text and markdown views.
func countsLine(s Summary) string {
	return changeCounts(s) + "; " + otherCounts(s) + "."
}

// changeCounts counts what would be written.
func changeCounts(s Summary) string {
	line := fmt.Sprintf("%d to add, %d to change, %d to remove, %d to invite, %s to create",
		s.AddMember, s.UpdateRole, s.RemoveMember, s.Invite, plural(s.CreateTeam, "team", "teams"))
	if s.RemoveOrgMember > 0 || s.RevokeInvitation > 0 {
		line += fmt.Sprintf(", %d to remove from the organization, %s to revoke",
			s.RemoveOrgMember, plural(s.RevokeInvitation, "invitation", "invitations"))
	}
	return line
}

// otherCounts counts what will not be written.
func otherCounts(s Summary) string {
	return fmt.Sprintf("%d held, %d unplaced, %s", s.Held, s.Unplaced, plural(s.Errors, "error", "errors"))
}

// applyLine is the outcome sentence shown after apply.
func applyLine(s Summary) string {
	if s.Skipped > 0 {
		return fmt.Sprintf("%d applied, %d failed, %d skipped.", s.Applied, s.Failed, s.Skipped)
	}
	return fmt.Sprintf("%d applied, %d failed.", s.Applied, s.Failed)
}

// write sends the rendered bytes to w in one call and wraps a failure.
func write(w io.Writer, format string, b []byte) error {
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("plan: write %s: %w", format, err)
	}
	return nil
}

// plural is "1 team" or "2 teams".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
