package plan

import (
	"fmt"
	"io"
	"strings"

	"github.com/teamsync/teamsync/internal/textsafe"
)

// TextOptions tune the text view.
type TextOptions struct {
	// Color adds ANSI colours, for terminals only.
	Color bool
}

// ANSI colour codes used by the text view.
const (
	ansiRed     = "31"
	ansiGreen   = "32"
	ansiYellow  = "33"
	ansiMagenta = "35"
	ansiBold    = "1"
)

// What the text view prints for a plan, or apply's result, with nothing in it.
const (
	MsgNoChanges      = "No changes. Buildkite teams match mapping.yaml."
	MsgNothingApplied = "Nothing to apply. Buildkite teams match mapping.yaml."
)

// RenderText writes p in a terraform-like layout without colours: the
// changes per team, invitations, then what was held back, the people who
// could not be placed, the errors, and one summary line.
func RenderText(w io.Writer, p *Plan) error { return RenderTextWith(w, p, TextOptions{}) }

// RenderTextWith is RenderText with options.
func RenderTextWith(w io.Writer, p *Plan, o TextOptions) error {
	if p == nil {
		return errNilPlan
	}
	q := view(p)
	t := textView{color: o.Color}
	t.render(&q)
	return write(w, "text", []byte(t.b.String()))
}

// textView accumulates the text rendering.
type textView struct {
	b     strings.Builder
	color bool
}

func (t *textView) render(p *Plan) {
	if p.empty() {
		if p.AfterApply() {
			t.line(MsgNothingApplied)
		} else {
			t.line(MsgNoChanges)
		}
		return
	}
	verb := "plan"
	if p.AfterApply() {
		verb = "apply"
	}
	t.line(t.paint(ansiBold, fmt.Sprintf("teamsync %s for organization %s", verb, textsafe.Plain(p.Organization))))

	if p.scoped() {
		for _, sc := range scopeSections {
			t.line("")
			t.line(t.paint(ansiBold, "== "+sc.title+" =="))
			cs := p.byScope(sc.scope)
			if len(cs) == 0 {
				t.line("  (none)")
			}
			t.changes(cs)
		}
	} else {
		t.changes(p.Changes)
	}
	if len(p.Held) > 0 {
		t.line("")
		t.line(t.paint(ansiBold, "held back by guards (not applied)"))
		for _, h := range holds(p.Held) {
			t.line("  " + t.paint(ansiMagenta, textsafe.Plain(h.title())))
			for _, c := range h.changes {
				t.change(c, true)
			}
		}
	}
	if len(p.Unplaced) > 0 {
		t.line("")
		t.line(t.paint(ansiBold, "unplaced"))
		for _, u := range p.Unplaced {
			t.line("  " + t.paint(ansiYellow, "?") + " " + textsafe.Plain(u.Email+" for "+u.Team+": "+u.Reason+via(u.Groups)))
		}
	}
	if len(p.Errors) > 0 {
		t.line("")
		t.line(t.paint(ansiBold, "errors"))
		for _, e := range p.Errors {
			t.line("  " + t.paint(ansiRed, "!") + " " + textsafe.Plain(errorSubject(e)+e.Message))
		}
	}
	t.line("")
	t.line("Plan: " + countsLine(p.Summary))
	if p.AfterApply() {
		t.line("Apply: " + applyLine(p.Summary))
	}
}

// changes writes changes under a header per team.
func (t *textView) changes(cs []Change) {
	header := "\x00" // no header is this, so the first change opens one
	for _, c := range cs {
		if h := sectionOf(c); h != header {
			header = h
			t.line("")
			t.line(t.paint(ansiBold, textsafe.Plain(header)))
		}
		t.change(c, false)
	}
}

// sectionOf is the header a change stands under in the text view: its
// team, "invitations", or "organization" for offboarding's changes.
func sectionOf(c Change) string {
	switch {
	case c.Team != "":
		return "team " + c.Team
	case c.OrgLevel():
		return "organization"
	}
	return "invitations"
}

// change writes one change line. Held lines name their team, since they
// are not under a team header, and stand indented under their guard's
// reason.
func (t *textView) change(c Change, held bool) {
	sign, colour := "+", ansiGreen
	switch c.Action {
	case ActionUpdateRole:
		sign, colour = "~", ansiYellow
	case ActionRemoveMember, ActionRemoveOrgMember, ActionRevokeInvitation:
		sign, colour = "-", ansiRed
	}
	if held {
		colour = ansiMagenta
	}
	indent := "  "
	if held {
		indent = "    "
	}
	s := indent + t.paint(colour, sign) + " " + fmt.Sprintf("%-7s", verbOf(c.Action)) + textsafe.Plain(describe(c, held))
	switch {
	case c.Status == StatusFailed:
		s += "  " + t.paint(ansiRed, "[failed: "+textsafe.Plain(c.Error)+"]")
	case c.Status == StatusSkipped:
		s += "  " + t.paint(ansiYellow, "[skipped: "+textsafe.Plain(c.Error)+"]")
	case c.Status != "":
		s += "  [" + string(c.Status) + "]"
	}
	t.line(s)
}

// verbOf is the short word for an action in the text view.
func verbOf(a Action) string {
	switch a {
	case ActionCreateTeam:
		return "create"
	case ActionAddMember:
		return "add"
	case ActionUpdateRole:
		return "role"
	case ActionRemoveMember:
		return "remove"
	case ActionInvite:
		return "invite"
	case ActionRemoveOrgMember:
		return "remove"
	case ActionRevokeInvitation:
		return "revoke"
	}
	return string(a)
}

// describe says who and what a change is about; withTeam names the team
// for lines that do not stand under a team header.
func describe(c Change, withTeam bool) string {
	var s string
	switch c.Action {
	case ActionCreateTeam:
		return "team " + c.Team
	case ActionAddMember:
		s = c.Email
		if withTeam {
			s += " to " + c.Team
		}
		s += " as " + string(c.Role)
	case ActionUpdateRole:
		s = c.Email
		if withTeam {
			s += " in " + c.Team
		}
		s += " " + string(c.FromRole) + " -> " + string(c.Role)
	case ActionRemoveMember:
		s = c.Email
		if withTeam {
			s += " from " + c.Team
		}
		s += " (" + string(c.Role) + ")"
		if c.Reason != "" {
			s += ": " + c.Reason
		}
	case ActionInvite:
		s = c.Email + " to " + teamRoles(c)
	case ActionRemoveOrgMember, ActionRevokeInvitation:
		s = c.Email + " from the organization"
		if c.Action == ActionRevokeInvitation {
			s = "invitation of " + c.Email
		}
		if c.Reason != "" {
			s += ": " + c.Reason
		}
	default:
		s = strings.TrimSpace(c.Team + " " + c.Email)
	}
	return s + via(c.Groups)
}

// teamRoles lists an invitation's teams as "a as member, b as maintainer".
func teamRoles(c Change) string {
	parts := make([]string, 0, len(c.Teams))
	for _, tr := range c.Teams {
		parts = append(parts, tr.Team+" as "+string(tr.Role))
	}
	return strings.Join(parts, ", ")
}

// via is the provenance suffix " (via a, b)", empty without groups.
func via(groups []string) string {
	if len(groups) == 0 {
		return ""
	}
	return " (via " + strings.Join(labelWords(groups), ", ") + ")"
}

// labelWords are provenance labels for people to read: the bare "users"
// label of an explicit list says where that list is.
func labelWords(groups []string) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		if g == "users" {
			g = "users listed in mapping.yaml"
		}
		out[i] = g
	}
	return out
}

// hold is the held changes that share a guard and its reason.
type hold struct {
	guard, reason string
	changes       []Change
}

// title is the line that stands above a hold's changes.
func (h hold) title() string {
	if h.reason == "" {
		return h.guard + ":"
	}
	return h.guard + ": " + h.reason
}

// holds groups held changes by guard and reason, in the order each first
// appears, so that a reason is said once above the changes it holds.
func holds(held []Change) []hold {
	var out []hold
	at := map[[2]string]int{}
	for _, c := range held {
		k := [2]string{c.Guard, c.GuardReason}
		i, ok := at[k]
		if !ok {
			i = len(out)
			at[k] = i
			out = append(out, hold{guard: c.Guard, reason: c.GuardReason})
		}
		out[i].changes = append(out[i].changes, c)
	}
	return out
}

// errorSubject is "team source: " with the empty parts left out.
func errorSubject(e Error) string {
	s := strings.TrimSpace(e.Team + " " + e.Source)
	if s == "" {
		return ""
	}
	return s + ": "
}

func (t *textView) paint(code, s string) string {
	if !t.color {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (t *textView) line(s string) {
	t.b.WriteString(s)
	t.b.WriteByte('\n')
}
