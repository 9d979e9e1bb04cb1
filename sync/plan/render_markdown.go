package plan

import (
	"fmt"
	"io"
	"strings"
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
	org := mdEscape(p.Organization)
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
			rows = append(rows, append([]string{mdEscape(c.Guard)}, changeCells(c)...))
		}
		var intro strings.Builder
		for _, h := range holds(p.Held) {
			if h.reason != "" {
				fmt.Fprintf(&intro, "- **%s**: %s\n", mdEscape(h.guard), mdEscape(h.reason))
			}
		}
		mdSectionWith(b, "Held back by guards", intro.String(), "held changes",
			[]string{"Guard", "Action", "Team", "Email", "Role", "Why"}, rows)
	}
	if len(p.Unplaced) > 0 {
		rows := make([][]string, 0, len(p.Unplaced))
		for _, u := range p.Unplaced {
			rows = append(rows, []string{mdEscape(u.Team), mdEscape(u.Email), mdEscape(u.Reason), mdList(u.Groups)})
		}
		mdSection(b, "Unplaced", "unplaced people", []string{"Team", "Email", "Reason", "Via"}, rows)
	}
	if len(p.Errors) > 0 {
		rows := make([][]string, 0, len(p.Errors))
		for _, e := range p.Errors {
			rows = append(rows, []string{mdEscape(e.Team), mdEscape(e.Source), mdEscape(e.Message)})
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
	team, role := mdEscape(c.Team), mdEscape(string(c.Role))
	switch c.Action {
	case ActionUpdateRole:
		role = mdEscape(string(c.FromRole)) + " → " + role
	case ActionInvite:
		parts := make([]string, 0, len(c.Teams))
		for _, tr := range c.Teams {
			parts = append(parts, mdEscape(tr.Team)+" ("+mdEscape(string(tr.Role))+")")
		}
		team = strings.Join(parts, ", ")
	case ActionRemoveOrgMember, ActionRevokeInvitation:
		team = "*organization*"
	}
	why := mdList(labelWords(c.Groups))
	if c.Reason != "" {
		why = mdEscape(c.Reason)
	}
	return []string{verbOf(c.Action), team, mdEscape(c.Email), role, why}
}

// statusCell is the Status cell after apply.
func statusCell(c Change) string {
	switch c.Status {
	case StatusFailed:
		return "**failed**: " + mdEscape(c.Error)
	case StatusSkipped:
		return "skipped: " + mdEscape(c.Error)
	}
	return mdEscape(string(c.Status))
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

// mdList escapes and joins labels.
func mdList(items []string) string {
	out := make([]string, len(items))
	for i, s := range items {
		out[i] = mdEscape(s)
	}
	return strings.Join(out, ", ")
}

// mdEscape makes s safe inside a markdown table cell: the characters that
// start emphasis, code, links, strike-through or a cell break are
// backslash-escaped (with [ escaped, ( and ! cannot form a link), HTML is
// neutralised, and line breaks become spaces.
func mdEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '\\', '`', '*', '_', '[', ']', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
