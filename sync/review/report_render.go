package review

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/teamsync/teamsync/internal/textsafe"
)

// Report formats, as given to report --format.
const (
	FormatMarkdown = "markdown"
	FormatCSV      = "csv"
	FormatJSON     = "json"
)

// errNilReport is returned by the renderers when given no report.
var errNilReport = errors.New("review: nothing to render (nil report)")

// WriteReport writes r to w in the named format (markdown, csv or json).
func WriteReport(w io.Writer, r *Report, format string) error {
	switch format {
	case FormatMarkdown, "md", "":
		return r.WriteMarkdown(w)
	case FormatCSV:
		return r.WriteCSV(w)
	case FormatJSON:
		return r.WriteJSON(w)
	}
	return fmt.Errorf("review: unknown report format %q (want markdown, csv or json)", format)
}

// WriteJSON writes the report as indented JSON with a trailing newline.
func (r *Report) WriteJSON(w io.Writer) error {
	if r == nil {
		return errNilReport
	}
	return writeJSON(w, "report", r)
}

// CSV row kinds: the first column, so that a spreadsheet filter on it
// keeps one kind of row.
const (
	KindMember     = "member"
	KindTeamError  = "team_error"
	KindAdmin      = "admin"
	KindInvitation = "invitation"
)

// CSVHeader is the fixed header of the CSV report. Each row fills the
// columns that apply to its kind and leaves the others empty.
var CSVHeader = []string{
	"kind", "team", "policy", "email", "name", "role", "granted_role", "groups", "via",
	"created_at", "justification", "role_exceeds_grant", "next_apply", "note",
}

// csvRow is one CSV row; cells gives it in CSVHeader's order.
type csvRow struct {
	kind, team, policy, email, name, role, granted, groups, via string
	created, justification, exceeds, next, note                 string
}

func (r csvRow) cells() []string {
	cells := []string{
		r.kind, r.team, r.policy, r.email, r.name, r.role, r.granted, r.groups, r.via,
		r.created, r.justification, r.exceeds, r.next, r.note,
	}
	for i, c := range cells {
		cells[i] = noFormula(c)
	}
	return cells
}

// noFormula prefixes ' to a cell a spreadsheet would read as a formula:
// one that starts with = + - @, a tab or a carriage return (OWASP's CSV
// injection guidance). Display names and IdP group names are set by
// whoever owns them, and the CSV is the file an auditor opens.
func noFormula(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// WriteCSV writes the report as CSV (encoding/csv): the header, one row
// per team membership (kind member) in team then email order, one row per
// team that could not be read or does not exist (kind team_error), one per
// organization admin (kind admin, or one row noting they were not read),
// and one per team of each pending invitation (kind invitation). Groups
// and nesting paths are joined with "; ".
//
// A cell that starts with = + - @, a tab or a carriage return gets a
// leading ' (noFormula), so that a spreadsheet shows it as text instead
// of running it as a formula: names and group names come from people
// outside teamsync's control (a Buildkite display name is whatever its
// user typed), and a name like =HYPERLINK(…) must not become a live link
// in the auditor's copy. Such a cell reads with the ' in other tools.
func (r *Report) WriteCSV(w io.Writer) error {
	if r == nil {
		return errNilReport
	}
	rows := [][]string{CSVHeader}
	add := func(r csvRow) { rows = append(rows, r.cells()) }
	for _, t := range r.Teams {
		if t.Status != TeamRead {
			add(csvRow{kind: KindTeamError, team: t.Team, policy: string(t.Policy), note: t.Status + ": " + t.Error})
		}
		for _, m := range t.Members {
			add(csvRow{
				kind: KindMember, team: t.Team, policy: string(t.Policy), email: m.Email,
				role: string(m.Role), granted: string(m.GrantedRole),
				groups: strings.Join(m.Groups, "; "), via: strings.Join(m.Via, "; "),
				created: m.CreatedAt, justification: m.Justification,
				exceeds: strconv.FormatBool(m.RoleExceedsGrant), next: m.NextApply, note: m.Note,
			})
		}
	}
	if !r.AdminsRead {
		add(csvRow{kind: KindAdmin, note: msgAdminsNotRead})
	}
	for _, a := range r.Admins {
		add(csvRow{kind: KindAdmin, email: a.Email, name: a.Name, role: "admin", created: a.CreatedAt})
	}
	for _, inv := range r.Invitations {
		if len(inv.Teams) == 0 {
			add(csvRow{kind: KindInvitation, email: inv.Email})
		}
		for _, tr := range inv.Teams {
			add(csvRow{kind: KindInvitation, team: tr.Team, email: inv.Email, role: string(tr.Role)})
		}
	}
	var b strings.Builder
	if err := csv.NewWriter(&b).WriteAll(rows); err != nil {
		return fmt.Errorf("review: encode report csv: %w", err)
	}
	return write(w, "report csv", []byte(b.String()))
}

// msgAdminsNotRead is what the report says when the organization's
// members were not read.
const msgAdminsNotRead = "organization members were not read: admins unknown"

// WriteMarkdown writes the report as markdown: a summary line, a table per
// team, the unjustified memberships that stay, the admins and the pending
// invitations. Values are escaped so they cannot break the tables.
func (r *Report) WriteMarkdown(w io.Writer) error {
	if r == nil {
		return errNilReport
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Access review: %s\n\n", textsafe.Markdown(r.Organization))
	members, unjust, unknown := 0, 0, 0
	for _, t := range r.Teams {
		members += len(t.Members)
		for _, m := range t.Members {
			switch m.Justification {
			case Unjustified:
				unjust++
			case Unknown:
				unknown++
			}
		}
	}
	admins := strconv.Itoa(len(r.Admins))
	if !r.AdminsRead {
		admins = "not read"
	}
	fmt.Fprintf(&b, "%s, %s: %d unjustified, %d unknown. Admins: %s. Pending invitations: %d.\n",
		plural(len(r.Teams), "team", "teams"), plural(members, "membership", "memberships"),
		unjust, unknown, admins, len(r.Invitations))
	for _, t := range r.Teams {
		fmt.Fprintf(&b, "\n## Team %s (%s)\n\n", textsafe.Markdown(t.Team), textsafe.Markdown(string(t.Policy)))
		if t.Status != TeamRead {
			fmt.Fprintf(&b, "**%s**: %s\n", textsafe.Markdown(t.Status), textsafe.Markdown(t.Error))
			continue
		}
		for _, e := range t.FailedSources {
			fmt.Fprintf(&b, "- **could not read %s**: %s\n", textsafe.Markdown(e.Source), textsafe.Markdown(e.Message))
		}
		if len(t.FailedSources) > 0 {
			b.WriteString("\nMembers no other group grants are **unknown**, not unjustified.\n\n")
		}
		if t.Unlisted > 0 {
			fmt.Fprintf(&b, "%s not listed (bots, or users this token cannot see).\n\n", plural(t.Unlisted, "membership", "memberships"))
		}
		if len(t.Members) == 0 {
			b.WriteString("No members.\n")
			continue
		}
		mdRow(&b, "Email", "Role", "Granted", "Groups", "Created", "Justification", "Note")
		mdRow(&b, "---", "---", "---", "---", "---", "---", "---")
		for _, m := range t.Members {
			mdRow(&b, m.Email, string(m.Role), string(m.GrantedRole), strings.Join(groupCells(m), ", "), m.CreatedAt, m.Justification, m.Note)
		}
	}
	b.WriteString("\n## Unjustified members who stay\n\n")
	if len(r.Unjustified) == 0 {
		b.WriteString("None.\n")
	} else {
		mdRow(&b, "Team", "Policy", "Email", "Role", "Granted", "Created", "Reason")
		mdRow(&b, "---", "---", "---", "---", "---", "---", "---")
		for _, x := range r.Unjustified {
			mdRow(&b, x.Team, string(x.Policy), x.Email, string(x.Role), string(x.GrantedRole), x.CreatedAt, x.Reason)
		}
	}
	b.WriteString("\n## Organization admins\n\n")
	switch {
	case !r.AdminsRead:
		b.WriteString("Not read: " + msgAdminsNotRead + ".\n")
	case len(r.Admins) == 0:
		b.WriteString("None.\n")
	default:
		mdRow(&b, "Email", "Name", "Created")
		mdRow(&b, "---", "---", "---")
		for _, a := range r.Admins {
			mdRow(&b, a.Email, a.Name, a.CreatedAt)
		}
	}
	b.WriteString("\n## Pending invitations\n\n")
	if len(r.Invitations) == 0 {
		b.WriteString("None.\n")
	} else {
		mdRow(&b, "Email", "Teams")
		mdRow(&b, "---", "---")
		for _, inv := range r.Invitations {
			parts := make([]string, len(inv.Teams))
			for i, tr := range inv.Teams {
				parts[i] = tr.Team + " (" + string(tr.Role) + ")"
			}
			mdRow(&b, inv.Email, strings.Join(parts, ", "))
		}
	}
	return write(w, "report markdown", []byte(b.String()))
}

// mdRow writes one table row, each cell escaped with textsafe.Markdown so
// that no value can break the table. A list joined with ", " before it is
// escaped reads as textsafe.MarkdownList: the separator has nothing to
// escape.
func mdRow(b *strings.Builder, cells ...string) {
	for i, c := range cells {
		cells[i] = textsafe.Markdown(c)
	}
	b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// plural is "1 team" or "2 teams".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

// groupCells are a member's granting groups, each shown with its nesting
// path when it reaches them through nested groups.
func groupCells(m MemberReport) []string {
	out := make([]string, len(m.Groups))
	for i, g := range m.Groups {
		out[i] = g
		for _, p := range m.Via {
			if strings.HasPrefix(p, g+PathArrow) {
				out[i] = p
				break
			}
		}
	}
	return out
}
