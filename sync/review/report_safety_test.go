package review

import (
	"bytes"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/sync/model"
)

// TestReportMarkdownKeepsControlCharactersOut: the markdown
// report is what `teamsync report` prints to the terminal by default.
// A Buildkite display name is whatever its user typed; an ESC sequence in
// it (a colour, a cursor move that hides rows, an OSC 8 hyperlink) must
// not reach the terminal raw. textsafe.Markdown replaces only \n \r \t;
// textsafe.Plain (used by explain) replaces every control character.
func TestReportMarkdownKeepsControlCharactersOut(t *testing.T) {
	f := newFixture()
	f.people.Members["mallory@acme.com"] = model.Member{ID: "om-m", UserID: "u-m", Email: "mallory@acme.com",
		Name: "Mallory\x1b[2K\x1b[1A\x1b]8;;https://evil.example\x07click\x1b]8;;\x07\x00\x7f\u0085", Role: model.OrgRoleAdmin, CreatedAt: now}
	var buf bytes.Buffer
	if err := WriteReport(&buf, BuildReport(ReportInput{Mapping: f.mapping, Reads: f.reads, Org: f.org, People: f.people, Now: now}), FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, c := range []string{"\x1b", "\x07", "\x00", "\x7f", "\u0085"} {
		if strings.Contains(out, c) {
			t.Errorf("markdown report carries control character %q from a display name", c)
		}
	}
}

// TestReportMarkdownEscapesPipesAndBackticks: pipes,
// backticks and newlines in names stay inside their cell.
func TestReportMarkdownEscapesPipesAndBackticks(t *testing.T) {
	f := newFixture()
	f.people.Members["pipe@acme.com"] = model.Member{ID: "om-p", UserID: "u-p", Email: "pipe@acme.com",
		Name: "a | b `c`\n| x | y |", Role: model.OrgRoleAdmin, CreatedAt: now}
	var buf bytes.Buffer
	if err := WriteReport(&buf, BuildReport(ReportInput{Mapping: f.mapping, Reads: f.reads, Org: f.org, People: f.people, Now: now}), FormatMarkdown); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, "pipe@acme.com") {
			if strings.Count(line, "|")-strings.Count(line, `\|`) != 4 {
				t.Errorf("admin row has extra cells: %q", line)
			}
			if strings.Contains(line, "`c`") && !strings.Contains(line, "\\`c\\`") {
				t.Errorf("backticks not escaped: %q", line)
			}
		}
	}
}

// TestReportTeamFilterInvitations: report --team web lists the
// pending invitations that give web, but with every team they give (ios
// too), a team the filtered report otherwise leaves out.
func TestReportTeamFilterInvitations(t *testing.T) {
	f := newFixture()
	r := BuildReport(ReportInput{Mapping: f.mapping, Reads: f.reads, Org: f.org, People: f.people, Now: now, Teams: []string{"web"}})
	for _, inv := range r.Invitations {
		for _, tr := range inv.Teams {
			if tr.Team != "web" {
				t.Errorf("report --team web lists invitation %s with team %s", inv.Email, tr.Team)
			}
		}
	}
}
