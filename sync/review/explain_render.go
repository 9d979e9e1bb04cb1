package review

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/teamsync/teamsync/internal/textsafe"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// FormatText is explain's plain-text format, its default.
const FormatText = "text"

// errNilExplanation is returned by the renderers when given nothing.
var errNilExplanation = errors.New("review: nothing to render (nil explanation)")

// WriteExplanation writes x to w in the named format (text or json).
func WriteExplanation(w io.Writer, x *Explanation, format string) error {
	switch format {
	case FormatText, "":
		return x.WriteText(w)
	case FormatJSON:
		return x.WriteJSON(w)
	}
	return fmt.Errorf("review: unknown explain format %q (want text or json)", format)
}

// WriteJSON writes the explanation as indented JSON with a trailing
// newline.
func (x *Explanation) WriteJSON(w io.Writer) error {
	if x == nil {
		return errNilExplanation
	}
	return writeJSON(w, "explanation", x)
}

// WriteText writes the explanation for a helpdesk engineer: the summary
// line first, then one section per step from the IdPs to Buildkite, in
// aligned columns. Values from the IdPs and errors are kept on their line.
func (x *Explanation) WriteText(w io.Writer) error {
	if x == nil {
		return errNilExplanation
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s in organization %s\n", textsafe.Plain(x.Email), textsafe.Plain(x.Organization))
	b.WriteString(textsafe.Plain(x.Summary) + "\n")

	section(&b, "Identity providers", len(x.Sources) == 0, "no source to look them up in is configured", func(tw io.Writer) {
		for _, s := range x.Sources {
			switch {
			case s.Error != "":
				row(tw, s.Source, "unknown", "lookup failed: "+s.Error)
			case !s.Found:
				row(tw, s.Source, "not found")
			case s.Gone:
				row(tw, s.Source, "found", s.Status, "gone: the source says they have left")
			default:
				row(tw, s.Source, "found", s.Status)
			}
		}
		if x.Offboarding != "" {
			row(tw, "offboarding", x.Offboarding)
		}
	})
	section(&b, "Mapped groups that list them", len(x.Groups) == 0, "none", func(tw io.Writer) {
		for _, g := range x.Groups {
			state := "active"
			if !g.Active {
				state = "inactive"
			}
			extra := ""
			if g.ListedAs != "" {
				extra = "listed as " + g.ListedAs
			}
			row(tw, g.Group, state+" ("+g.Status+")", extra)
			if g.Path != "" {
				row(tw, "  path", g.Path)
			}
			for _, gr := range g.Grants {
				what := "grants " + string(gr.Role)
				if !gr.Grants {
					what = "grants nothing: " + gr.Reason
				} else if gr.Expires != "" {
					what += " until " + gr.Expires
				}
				row(tw, "  team "+gr.Team, what)
			}
		}
	})
	if len(x.UnknownGroups) > 0 {
		section(&b, "Groups that could not be read (whether they list them is unknown)", false, "", func(tw io.Writer) {
			for _, u := range x.UnknownGroups {
				row(tw, u.Group, "teams "+strings.Join(u.Teams, ", "), u.Message)
			}
		})
	}
	section(&b, "Teams they should be in", len(x.Teams) == 0, "none", func(tw io.Writer) {
		for _, t := range x.Teams {
			row(tw, t.Team, string(t.Role), "via "+strings.Join(t.Groups, ", "), t.Note)
		}
	})
	bk := x.Buildkite
	section(&b, "Buildkite now", false, "", func(tw io.Writer) {
		if !bk.Member {
			row(tw, "organization", "not a member")
		} else {
			// The organization role says member or admin; a read
			// that did not ask for it still shows membership.
			role := cmp.Or(string(bk.Role), "member")
			if bk.Bot {
				role += " (bot)"
			}
			row(tw, "organization", role, joined(bk.JoinedAt), bk.Name)
		}
		for _, t := range bk.Teams {
			row(tw, "team "+t.Team, string(t.Role), joined(t.CreatedAt))
		}
		if bk.Member && len(bk.Teams) == 0 {
			row(tw, "teams", "in no managed team")
		}
		if len(bk.TeamsNotRead) > 0 {
			row(tw, "not read", strings.Join(bk.TeamsNotRead, ", "))
		}
		if bk.Invitation != nil {
			row(tw, "invitation", "pending", cmp.Or(teamRoles(bk.Invitation.Teams), "to no team"))
		}
	})
	section(&b, "What apply would change", len(x.Changes) == 0, "nothing", func(tw io.Writer) {
		for _, c := range x.Changes {
			row(tw, string(c.Action), changeWords(c))
		}
	})
	if len(x.Held) > 0 {
		section(&b, "Held back by guards", false, "", func(tw io.Writer) {
			for _, c := range x.Held {
				row(tw, string(c.Action), changeWords(c), c.Guard+": "+c.GuardReason)
			}
		})
	}
	if slices.ContainsFunc(x.Changes, plan.Change.OrgLevel) || slices.ContainsFunc(x.Held, plan.Change.OrgLevel) {
		// explain judges one person: the budgets over the whole
		// organization are not evaluated here, and may hold this too.
		b.WriteString("\n" + orgBudgetNote + "\n")
	}
	if len(x.Unplaced) > 0 {
		section(&b, "Cannot be placed", false, "", func(tw io.Writer) {
			for _, u := range x.Unplaced {
				row(tw, "team "+u.Team, u.Reason)
			}
		})
	}
	return write(w, "explanation text", []byte(b.String()))
}

// section writes a titled block of aligned rows, or the title and what
// stands for nothing when empty.
func section(b *strings.Builder, title string, empty bool, none string, rows func(io.Writer)) {
	b.WriteString("\n" + title + "\n")
	if empty {
		b.WriteString("  " + none + "\n")
		return
	}
	tw := tabwriter.NewWriter(b, 0, 0, 3, ' ', 0)
	rows(tw)
	tw.Flush()
}

// row writes one aligned row, indented, without trailing empty cells.
func row(w io.Writer, cells ...string) {
	for len(cells) > 0 && cells[len(cells)-1] == "" {
		cells = cells[:len(cells)-1]
	}
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(textsafe.Plain(c), "\t", " ")
	}
	fmt.Fprintf(w, "  %s\n", strings.Join(cells, "\t"))
}

// joined is "since T", or "" when T is unknown.
func joined(at string) string {
	if at == "" {
		return ""
	}
	return "since " + at
}

// teamRoles is "a as member, b as maintainer"; "" for no team.
func teamRoles(teams []model.TeamRole) string {
	parts := make([]string, len(teams))
	for i, t := range teams {
		parts[i] = t.Team + " as " + string(t.Role)
	}
	return strings.Join(parts, ", ")
}

// orgBudgetNote follows an explanation with an organization-level change:
// explain looks at one person, and cannot say whether the organization's
// removal budgets hold it.
const orgBudgetNote = "Organization removals are also subject to sync.max_removals and max_removal_percent over the whole organization, which explain does not evaluate: run plan to see whether they hold this one."

// changeWords says what a plan entry does to the person.
func changeWords(c plan.Change) string {
	var s string
	switch c.Action {
	case plan.ActionAddMember:
		s = "add to " + c.Team + " as " + string(c.Role)
	case plan.ActionUpdateRole:
		s = "in " + c.Team + ": " + string(c.FromRole) + " -> " + string(c.Role)
	case plan.ActionRemoveMember:
		s = "remove from " + c.Team + " (" + string(c.Role) + ")"
	case plan.ActionInvite:
		s = "invite to " + teamRoles(c.Teams)
	case plan.ActionRemoveOrgMember:
		s = "remove from the organization"
	case plan.ActionRevokeInvitation:
		s = "revoke invitation"
	default:
		s = strings.TrimSpace(c.Team + " " + string(c.Role))
	}
	if c.Reason != "" {
		s += ": " + c.Reason
	}
	if len(c.Groups) > 0 {
		s += " (via " + strings.Join(c.Groups, ", ") + ")"
	}
	return s
}
