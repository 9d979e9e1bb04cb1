package plan

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/internal/textsafe"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

func TestRenderGolden(t *testing.T) {
	plans := []struct {
		name string
		plan func() *Plan
	}{
		{"empty", func() *Plan { return inSyncScenario().build() }},
		{"typical", func() *Plan { return typicalScenario().build() }},
		{"troubled", func() *Plan { return troubledScenario().build() }},
		{"applied", appliedPlan},
		{"applied-nothing", appliedNothing},
		{"cancelled", cancelledPlan},
		{"scoped", scopedPlan},
		{"offboarding", func() *Plan { s, _ := offboardScenario(); return s.build() }},
	}
	formats := []struct{ format, ext string }{
		{FormatText, "txt"}, {FormatJSON, "json"}, {FormatMarkdown, "md"},
	}
	for _, pc := range plans {
		for _, f := range formats {
			t.Run(pc.name+"."+f.ext, func(t *testing.T) {
				var buf bytes.Buffer
				if err := Render(&buf, pc.plan(), f.format); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", "golden", pc.name+"."+f.ext)
				if *update {
					if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test -update to create it)", err)
				}
				if got := buf.String(); got != string(want) {
					t.Errorf("%s differs from the golden file (go test -update to accept):\n--- got\n%s\n--- want\n%s", path, got, want)
				}
			})
		}
	}
}

func TestRenderErrors(t *testing.T) {
	p := typicalScenario().build()
	tests := []struct {
		name   string
		render func() error
		want   string
	}{
		{"unknown format", func() error { return Render(&bytes.Buffer{}, p, "yaml") },
			`plan: unknown format "yaml" (want text, json or markdown)`},
		{"nil plan", func() error { return RenderJSON(&bytes.Buffer{}, nil) }, "plan: nothing to render (nil plan)"},
		{"failing writer, text", func() error { return RenderText(failWriter{}, p) }, "plan: write text: disk full"},
		{"failing writer, json", func() error { return RenderJSON(failWriter{}, p) }, "plan: write json: disk full"},
		{"failing writer, markdown", func() error { return RenderMarkdown(failWriter{}, p) }, "plan: write markdown: disk full"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.render()
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got error %v, want %q", err, tc.want)
			}
		})
	}
	if err := RenderText(failWriter{}, p); !errors.Is(err, errDiskFull) {
		t.Errorf("writer error not wrapped: %v", err)
	}
}

var errDiskFull = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestRenderJSONEmptyListsAndRecount(t *testing.T) {
	// A hand-built plan with nil lists and a stale summary.
	p := &Plan{Version: Version, Organization: "acme", Changes: []Change{{Action: ActionCreateTeam, Team: "x"}}}
	var buf bytes.Buffer
	if err := RenderJSON(&buf, p); err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 1,
  "organization": "acme",
  "changes": [
    {
      "action": "create_team",
      "team": "x"
    }
  ],
  "held": [],
  "unplaced": [],
  "errors": [],
  "summary": {
    "create_team": 1,
    "add_member": 0,
    "update_role": 0,
    "remove_member": 0,
    "invite": 0,
    "held": 0,
    "unplaced": 0,
    "errors": 0
  }
}
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
	if p.Held != nil || p.Summary.CreateTeam != 0 {
		t.Error("RenderJSON modified the plan it rendered")
	}
}

func TestRenderTextColor(t *testing.T) {
	p := typicalScenario().build()
	var plainOut, colour bytes.Buffer
	if err := RenderText(&plainOut, p); err != nil {
		t.Fatal(err)
	}
	if err := RenderTextWith(&colour, p, TextOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plainOut.String(), "\x1b[") {
		t.Error("plain text contains ANSI escapes")
	}
	if !strings.Contains(colour.String(), "\x1b[32m+\x1b[0m add") || !strings.Contains(colour.String(), "\x1b[31m-\x1b[0m remove") {
		t.Errorf("coloured text lacks coloured signs:\n%s", colour.String())
	}
	if stripANSI(colour.String()) != plainOut.String() {
		t.Error("colour changes more than the escapes")
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestRenderTextNeutralisesControlCharacters(t *testing.T) {
	p := &Plan{Organization: "acme", Changes: []Change{
		{Action: ActionAddMember, Team: "t", Email: "evil\x1b[2J@x.com", Role: mem, Groups: []string{"okta:a\nb"}},
	}}
	var buf bytes.Buffer
	if err := RenderText(&buf, p); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), "\x1b") {
		t.Errorf("escape sequence reached the output: %q", buf.String())
	}
	if !strings.Contains(buf.String(), "  + add    evil [2J@x.com as member (via okta:a b)\n") {
		t.Errorf("got %q", buf.String())
	}
}

func TestMarkdownEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice@acme.com", "alice@acme.com"},
		{"first_last@acme.com", `first\_last@acme.com`},
		{"okta:A|B", `okta:A\|B`},
		{"*bold* `code` [link](x) ~strike~", "\\*bold\\* \\`code\\` \\[link\\](x) \\~strike\\~"},
		{"<script>&", "&lt;script&gt;&amp;"},
		{`back\slash`, `back\\slash`},
		{"two\nlines", "two lines"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := textsafe.Markdown(tc.in); got != tc.want {
				t.Errorf("textsafe.Markdown(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestMarkdownFoldsLongTables(t *testing.T) {
	tests := []struct {
		rows int
		fold bool
	}{{DetailsThreshold, false}, {DetailsThreshold + 1, true}}
	for _, tc := range tests {
		t.Run(strconv.Itoa(tc.rows), func(t *testing.T) {
			p := &Plan{Organization: "acme"}
			for _, e := range roster("u", tc.rows) {
				p.Changes = append(p.Changes, add("t", e))
			}
			var buf bytes.Buffer
			if err := RenderMarkdown(&buf, p); err != nil {
				t.Fatal(err)
			}
			folded := strings.Contains(buf.String(), "<details><summary>"+strconv.Itoa(tc.rows)+" changes</summary>")
			if folded != tc.fold {
				t.Errorf("%d rows: folded=%v, want %v", tc.rows, folded, tc.fold)
			}
			if got := strings.Count(buf.String(), "| add | t |"); got != tc.rows {
				t.Errorf("got %d rows, want %d", got, tc.rows)
			}
		})
	}
}

// scopedPlan is the typical plan as plan --base shows it: its removals
// were pending under the base mapping, the rest is the change.
func scopedPlan() *Plan {
	p := typicalScenario().build()
	base := &Plan{}
	for _, c := range p.Changes {
		if c.Action == ActionRemoveMember {
			base.Changes = append(base.Changes, c)
		}
	}
	Scope(p, base)
	return p
}
