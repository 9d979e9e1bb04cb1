package plan

import (
	"fmt"
	"io"
	"strings"

	"github.com/teamsync/teamsync/internal/textsafe"
)

// DetailsThreshold is the number of table rows above which the markdown
// view folds a table into <details>, to keep annotations and PR comments
// short.
const DetailsThreshold = 50

// RenderMarkdown writes p as markdown for a Buildkite annotation or a pull
// request comment: a heading with the counts, one table of changes, and
// sections for held changes, unplaced people and errors. Emails, labels and
// messages are escaped so they cannot break the tables or the markup.
func RenderMarkdown(w io.Writer, p *Plan) error {
	if p == nil {
		return errNilPlan
	}
	q := view(p)
	var b strings.Builder
	renderMarkdown(&b, &q)
	return write(w, "markdown", []byte(b.String()))
}

func renderMarkdown(b *strings.Builder, p *Plan) {
	org := textsafe.Markdown(p.Organization)
	if p.empty() {
		verb := "plan"
		if p.AfterApply() {
			verb = "apply"
		}
		fmt.Fprintf(b, "### teamsync %s for %s: no changes\n\nBuildkite teams match mapping.yaml.\n", verb, org)
		return
	}
	applied := p.AfterApply()
	if applied {
		fmt.Fprintf(b, "### teamsync apply for %s: %s\n\n", org, strings.TrimSuffix(applyLine(p.Summary), "."))
		fmt.Fprintf(b, "Planned: %s\n", countsLine(p.Summary))
	} else {
		fmt.Fprintf(b, "### teamsync plan for %s: %s\n\n", org, changeCounts(p.Summary))
		fmt.Fprintf(b, "Not applied: %s.\n", otherCounts(p.Summary))
	}

	if p.scoped() {
		for _, sc := range scopeSections {
			cs := p.byScope(sc.scope)
			if len(cs) == 0 {
				fmt.Fprintf(b, "\n#### %s\n\nNone.\n", strings.ToUpper(sc.title[:1])+sc.title[1:])
				continue
			}
			mdChanges(b, strings.ToUpper(sc.title[:1])+sc.title[1:], cs, applied)
		}
	} else if len(p.Changes) > 0 {
		mdChanges(b, "Changes", p.Changes, applied)
	}
	if len(p.Held) > 0 {
		rows := make([][]string, 0, len(p.Held))
		for _, c := range p.Held {
			rows = append(rows, append([]string{textsafe.Markdown(c.Guard)}, changeCells(c)...))
		}
		var intro strings.Builder
		for _, h := range holds(p.Held) {
			if h.reason != "" {
				fmt.Fprintf(&intro, "- **%s**: %s\n", textsafe.Markdown(h.guard), textsafe.Markdown(h.reason))
			}
		}
		mdSectionWith(b, "Held back by guards", intro.String(), "held changes",
			[]string{"Guard", "Action", "Team", "Email", "Role", "Why"}, rows)
	}
	if len(p.Unplaced) > 0 {
		rows := make([][]string, 0, len(p.Unplaced))
		for _, u := range p.Unplaced {
			rows = append(rows, []string{textsafe.Markdown(u.Team), textsafe.Markdown(u.Email), textsafe.Markdown(u.Reason), textsafe.MarkdownList(u.Groups)})
		}
		mdSection(b, "Unplaced", "unplaced people", []string{"Team", "Email", "Reason", "Via"}, rows)
	}
	if len(p.Errors) > 0 {
		rows := make([][]string, 0, len(p.Errors))
		for _, e := range p.Errors {
			rows = append(rows, []string{textsafe.Markdown(e.Team), textsafe.Markdown(e.Source), textsafe.Markdown(e.Message)})
		}
		mdSection(b, "Errors", "errors", []string{"Team", "Source", "Message"}, rows)
	}
}

// mdChanges writes a table of changes under title.
func mdChanges(b *strings.Builder, title string, cs []Change, applied bool) {
	head := []string{"Action", "Team", "Email", "Role", "Why"}
	if applied {
		head = append(head, "Status")
	}
	rows := make([][]string, 0, len(cs))
	for _, c := range cs {
		row := changeCells(c)
		if applied {
			row = append(row, statusCell(c))
		}
		rows = append(rows, row)
	}
	mdSection(b, title, "changes", head, rows)
}

// changeCells are the Action, Team, Email, Role and Via cells of a change.
func changeCells(c Change) []string {
	team, role := textsafe.Markdown(c.Team), textsafe.Markdown(string(c.Role))
	switch c.Action {
	case ActionUpdateRole:
		role = textsafe.Markdown(string(c.FromRole)) + " → " + role
	case ActionInvite:
		parts := make([]string, 0, len(c.Teams))
		for _, tr := range c.Teams {
			parts = append(parts, textsafe.Markdown(tr.Team)+" ("+textsafe.Markdown(string(tr.Role))+")")
		}
		team = strings.Join(parts, ", ")
	case ActionRemoveOrgMember, ActionRevokeInvitation:
		team = "*organization*"
	}
	why := textsafe.MarkdownList(labelWords(c.Groups))
	if c.Reason != "" {
		why = textsafe.Markdown(c.Reason)
	}
	return []string{verbOf(c.Action), team, textsafe.Markdown(c.Email), role, why}
}

// statusCell is the Status cell after apply.
func statusCell(c Change) string {
	switch c.Status {
	case StatusFailed:
		return "**failed**: " + textsafe.Markdown(c.Error)
	case StatusSkipped:
		return "skipped: " + textsafe.Markdown(c.Error)
	}
	return textsafe.Markdown(string(c.Status))
}

// mdSection writes a titled table, folded into <details> when long.
func mdSection(b *strings.Builder, title, noun string, head []string, rows [][]string) {
	mdSectionWith(b, title, "", noun, head, rows)
}

// mdSectionWith is mdSection with markdown (ending in a newline, or empty)
// between the title and the table.
func mdSectionWith(b *strings.Builder, title, intro, noun string, head []string, rows [][]string) {
	fmt.Fprintf(b, "\n#### %s\n\n", title)
	if intro != "" {
		b.WriteString(intro + "\n")
	}
	fold := len(rows) > DetailsThreshold
	if fold {
		fmt.Fprintf(b, "<details><summary>%d %s</summary>\n\n", len(rows), noun)
	}
	mdRow(b, head)
	sep := make([]string, len(head))
	for i := range sep {
		sep[i] = "---"
	}
	mdRow(b, sep)
	for _, r := range rows {
		mdRow(b, r)
	}
	if fold {
		b.WriteString("\n</details>\n")
	}
}

func mdRow(b *strings.Builder, cells []string) {
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}
