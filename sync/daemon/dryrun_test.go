package daemon

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// TestDryRunWritesNothing: a dry-run daemon plans at start, on schedule
// and on POST /sync, and over all those runs sends Buildkite no mutation
// and writes no audit line, while what it would do shows in the logs, the
// metrics and GET /plan.
func TestDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	o := platformSetup() // bob is to be added to platform
	o.dryRun = true
	h := start(t, o)
	h.waitRuns(1)
	h.tick(1e9)
	h.waitRuns(2)
	auth := map[string]string{"Authorization": "Bearer " + triggerToken}
	if code, body := h.call(http.MethodPost, "/sync", auth, nil); code != http.StatusAccepted {
		t.Fatalf("POST /sync = %d %q", code, body)
	}
	h.waitRuns(3)

	if st := h.bk.Stats(); st.Mutations != 0 {
		t.Errorf("three dry runs sent %d mutations", st.Mutations)
	}
	if got, want := h.team("platform"), []string{"alice@acme.com:member"}; !slices.Equal(got, want) {
		t.Errorf("platform = %v, want it untouched: %v", got, want)
	}
	if lines := h.auditLines(); len(lines) != 0 {
		t.Errorf("a dry run wrote %d audit lines: %+v", len(lines), lines)
	}
	if got := h.metric("teamsync_dry_run"); got != 1 {
		t.Errorf("teamsync_dry_run = %v, want 1", got)
	}
	if got := h.metric("teamsync_planned_changes", "action", "add_member"); got != 1 {
		t.Errorf(`teamsync_planned_changes{action="add_member"} = %v, want 1`, got)
	}
	if got := h.metric("teamsync_changes_total", "action", "add_member", "status", "applied"); got != 0 {
		t.Errorf("a dry run counted %v applied adds", got)
	}
	if got := h.metric("teamsync_reconcile_total", "result", "success"); got != 3 {
		t.Errorf("successful runs = %v, want 3", got)
	}
	logs := h.logs.String()
	for _, trigger := range []string{"startup", "cron", "manual"} {
		want := `level=INFO msg="dry run: would apply" run_id=`
		tail := ` trigger=` + trigger + ` dry_run=true action=add_member team=platform email=bob@acme.com role=member groups="[okta:Platform Engineers]"`
		found := false
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, want) && strings.HasSuffix(l, tail) {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s run logged %q…%q:\n%s", trigger, want, tail, logs)
		}
	}

	if code, _ := h.call(http.MethodGet, "/plan", nil, nil); code != http.StatusUnauthorized {
		t.Errorf("GET /plan without the token = %d, want 401", code)
	}
	code, body := h.call(http.MethodGet, "/plan", auth, nil)
	if code != http.StatusOK {
		t.Fatalf("GET /plan = %d %q", code, body)
	}
	var p struct {
		Organization string
		Changes      []struct{ Action, Team, Email, Status string }
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("GET /plan is not plan JSON: %v\n%s", err, body)
	}
	if p.Organization != "acme" || len(p.Changes) != 1 || p.Changes[0].Email != "bob@acme.com" || p.Changes[0].Status != "" {
		t.Errorf("GET /plan = %s, want bob's add, not applied", body)
	}
}

// TestPlanEndpointBeforeAnyRun: GET /plan is 404 until a full run has
// planned, and 401 without the token either way.
func TestPlanEndpointBeforeAnyRun(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	o.noRun = true
	h := start(t, o)
	d, err := newDaemon(h.config())
	if err != nil {
		t.Fatal(err)
	}
	h.base = newServer(t, d.handler(t.Context()))
	if code, _ := h.call(http.MethodGet, "/plan", map[string]string{"Authorization": "Bearer nope"}, nil); code != http.StatusUnauthorized {
		t.Errorf("GET /plan with a wrong token = %d, want 401", code)
	}
	code, body := h.call(http.MethodGet, "/plan", map[string]string{"Authorization": "Bearer " + triggerToken}, nil)
	if code != http.StatusNotFound || body != "no plan yet: no full reconcile has finished planning\n" {
		t.Errorf("GET /plan before a run = %d %q, want 404", code, body)
	}
}

// TestFirstRunOverBudgetSaysSo: when the startup run would remove more
// people than the removal budget allows, the daemon says so at once, with
// the count, the limit and the flag that lets them through; nobody is
// removed.
func TestFirstRunOverBudgetSaysSo(t *testing.T) {
	for _, dry := range []bool{false, true} {
		t.Run(map[bool]string{false: "real", true: "dry run"}[dry], func(t *testing.T) {
			t.Parallel()
			everyone := []string{"alice@acme.com", "bob@acme.com", "carol@acme.com", "dave@acme.com"}
			var team []bksim.TeamMember
			for _, e := range everyone {
				team = append(team, bksim.TeamMember{Email: e})
			}
			o := harnessOpts{
				bk:    bksim.State{Organization: "acme", Members: members(everyone...), Teams: []bksim.Team{{Slug: "platform", Members: team}}},
				okta:  oktasim.State{Groups: []oktasim.Group{oktaGroup("Platform Engineers", "alice@acme.com")}},
				teams: "  - slug: platform\n    groups:\n      - okta: Platform Engineers\n",
				noRun: true,
			}
			o.dryRun = dry
			h := start(t, o)
			h.writeMapping(strings.Replace(h.mappingFile("@every 1s", o.teams), "sync:\n", "sync:\n  max_removals: 2\n", 1))
			h.run(0)
			h.waitRuns(1)

			want := `reason="3 removals exceed max_removals 2; let them through once with teamsync apply --allow-removals 3, or raise sync.max_removals"`
			var line string
			for _, l := range strings.Split(h.logs.String(), "\n") {
				if strings.Contains(l, "first run") {
					line = l
				}
			}
			if !strings.Contains(line, "level=WARN") || !strings.Contains(line, "held=3") || !strings.Contains(line, want) {
				t.Errorf("first-run line %q\nwant a WARN with held=3 and %s", line, want)
			}
			if got := h.team("platform"); len(got) != 4 {
				t.Errorf("platform = %v: the held removals were made", got)
			}
		})
	}
}

// TestDryRunDecidedAtStart: a mapping edited to dry_run: true while the
// daemon runs does not turn it into a dry run (the decision is made once,
// at start), and every run says so at WARN.
func TestDryRunDecidedAtStart(t *testing.T) {
	t.Parallel()
	o := platformSetup()
	h := start(t, o)
	h.waitRuns(1)
	h.setGroup("Platform Engineers", "alice@acme.com", "bob@acme.com", "carol@acme.com")
	h.writeMapping(strings.Replace(h.mappingFile("@every 1s", o.teams), "sync:\n", "sync:\n  dry_run: true\n", 1))
	h.tick(1e9)
	h.waitRuns(2)
	if got, want := h.team("platform"), []string{"alice@acme.com:member", "bob@acme.com:member", "carol@acme.com:member"}; !slices.Equal(got, want) {
		t.Errorf("platform = %v, want %v: the daemon kept writing", got, want)
	}
	if !strings.Contains(h.logs.String(), `level=WARN msg="sync.dry_run: true takes effect when serve restarts; until then this daemon writes (sync.policy: observe stops writes at the next run)"`) {
		t.Errorf("no warning that sync.dry_run waits for a restart:\n%s", h.logs.String())
	}
}
