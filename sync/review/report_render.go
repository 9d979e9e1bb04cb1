package review

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
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
	"kind", "team", "policy", "email", "name", "role", "granted_role", "groups",
	"created_at", "justification", "role_exceeds_grant", "next_apply", "note",
}

// WriteCSV writes the report as CSV (encoding/csv): the header, one row
// per team membership (kind member) in team then email order, one row per
// team that could not be read or does not exist (kind team_error), one per
// organization admin (kind admin, or one row noting they were not read),
// and one per team of each pending invitation (kind invitation). Groups
// are joined with "; ".
func (r *Report) WriteCSV(w io.Writer) error {
	if r == nil {
		return errNilReport
	}
	var b strings.Builder
	cw := csv.NewWriter(&b)
	rows := [][]string{CSVHeader}
	row := func(kind, team, policy, email string) []string {
		out := make([]string, len(CSVHeader))
		out[0], out[1], out[2], out[3] = kind, team, policy, email
		return out
	}
	for _, t := range r.Teams {
		if t.Status != TeamRead {
			x := row(KindTeamError, t.Team, string(t.Policy), "")
			x[12] = t.Status + ": " + t.Error
			rows = append(rows, x)
		}
		for _, m := range t.Members {
			x := row(KindMember, t.Team, string(t.Policy), m.Email)
			x[5], x[6], x[7] = string(m.Role), string(m.GrantedRole), strings.Join(m.Groups, "; ")
			x[8], x[9], x[10] = m.CreatedAt, m.Justification, strconv.FormatBool(m.RoleExceedsGrant)
			x[11], x[12] = m.NextApply, m.Note
			rows = append(rows, x)
		}
	}
	if !r.AdminsRead {
		x := row(KindAdmin, "", "", "")
		x[12] = msgAdminsNotRead
		rows = append(rows, x)
	}
	for _, a := range r.Admins {
		x := row(KindAdmin, "", "", a.Email)
		x[4], x[5], x[8] = a.Name, "admin", a.CreatedAt
		rows = append(rows, x)
	}
	for _, inv := range r.Invitations {
		if len(inv.Teams) == 0 {
			rows = append(rows, row(KindInvitation, "", "", inv.Email))
		}
		for _, tr := range inv.Teams {
			x := row(KindInvitation, tr.Team, "", inv.Email)
			x[5] = string(tr.Role)
			rows = append(rows, x)
		}
	}
	if err := cw.WriteAll(rows); err != nil {
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
	fmt.Fprintf(&b, "# Access review: %s\n\n", mdEscape(r.Organization))
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
		fmt.Fprintf(&b, "\n## Team %s (%s)\n\n", mdEscape(t.Team), mdEscape(string(t.Policy)))
		if t.Status != TeamRead {
			fmt.Fprintf(&b, "**%s**: %s\n", mdEscape(t.Status), mdEscape(t.Error))
			continue
		}
		for _, e := range t.FailedSources {
			fmt.Fprintf(&b, "- **could not read %s**: %s\n", mdEscape(e.Source), mdEscape(e.Message))
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
			mdRow(&b, mdEscape(m.Email), mdEscape(string(m.Role)), mdEscape(string(m.GrantedRole)), mdList(m.Groups), mdEscape(m.CreatedAt),
				mdEscape(m.Justification), mdEscape(m.Note))
		}
	}
	b.WriteString("\n## Unjustified members who stay\n\n")
	if len(r.Unjustified) == 0 {
		b.WriteString("None.\n")
	} else {
		mdRow(&b, "Team", "Policy", "Email", "Role", "Granted", "Created", "Reason")
		mdRow(&b, "---", "---", "---", "---", "---", "---", "---")
		for _, x := range r.Unjustified {
			mdRow(&b, mdEscape(x.Team), mdEscape(string(x.Policy)), mdEscape(x.Email), mdEscape(string(x.Role)),
				mdEscape(string(x.GrantedRole)), mdEscape(x.CreatedAt), mdEscape(x.Reason))
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
			mdRow(&b, mdEscape(a.Email), mdEscape(a.Name), mdEscape(a.CreatedAt))
		}
	}
	b.WriteString("\n## Pending invitations\n\n")
	if len(r.Invitations) == 0 {
		b.WriteString("None.\n")
	} else {
		mdRow(&b, "Email", "Teams")
		mdRow(&b, "---", "---")
		for _, inv := range r.Invitations {
			parts := make([]string, 0, len(inv.Teams))
			for _, tr := range inv.Teams {
				parts = append(parts, mdEscape(tr.Team)+" ("+mdEscape(string(tr.Role))+")")
			}
			mdRow(&b, mdEscape(inv.Email), strings.Join(parts, ", "))
		}
	}
	return write(w, "report markdown", []byte(b.String()))
}

// mdRow writes one table row of already escaped cells.
func mdRow(b *strings.Builder, cells ...string) {
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

// plural is "1 team" or "2 teams".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
