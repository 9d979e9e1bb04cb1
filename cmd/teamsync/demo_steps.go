package main

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/sync/config"
)

// exitMeanings says what each command's exit codes mean, as its --help
// does, so that the demo can say it after each step.
var exitMeanings = map[string]map[int]string{
	"validate": {exitOK: "the mapping is valid", exitError: "the mapping is invalid"},
	"plan": {exitOK: "planned; nothing was written", exitError: "an error: a read failed",
		exitChanges: "changes are pending (--detailed-exitcode)"},
	"plan --detailed-exitcode": {exitOK: "nothing left to change (--detailed-exitcode would say 2 if there were)",
		exitError: "an error: a read failed", exitChanges: "changes are pending"},
	"apply": {exitOK: "every change was applied", exitError: "an error: a read or a change failed",
		exitHeld: "a guard held changes back; the rest was applied"},
}

// runDemo is the plain demo: the mapping and the starting state, then
// validate → plan → apply → plan with each step's exit code.
func runDemo(ctx context.Context, g *globals, w *demoWorld) error {
	out := g.stdout
	demoEnv := map[string]string{
		"BUILDKITE_API_TOKEN": demoBuildkiteToken,
		"OKTA_API_TOKEN":      demoOktaToken,
	}
	m, err := config.Load(w.mapping)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	fmt.Fprintf(out, "teamsync demo: simulated Buildkite at %s, Okta at %s, Google at %s\n",
		w.servers[0].URL, w.servers[1].URL, w.servers[2].URL)
	fmt.Fprintf(out, "The demo's files are in %s (removed on exit; --keep DIR keeps them).\n", w.dir)
	showMapping(out, m)
	showStart(out, w.seed, m)

	step := func(title, meaningKey string, want int, args ...string) error {
		fmt.Fprintf(out, "\n━━━ %s\n$ teamsync %s\n\n", title, strings.Join(args, " "))
		args = append(args, "--config", w.mapping, "--log-format", g.logFormat, "--log-level", g.logLevel)
		code := run(ctx, args, env{stdout: out, stderr: g.stderr, getenv: func(k string) string { return demoEnv[k] }})
		fmt.Fprintf(out, "\n→ exit %d: %s\n", code, meaningOf(meaningKey, code))
		if code != want {
			return fmt.Errorf("demo: teamsync %s exited %d, want %d", args[0], code, want)
		}
		return nil
	}
	if err := step("1. Check the mapping (no credentials needed)", "validate", exitOK, "validate"); err != nil {
		return err
	}
	if err := step("2. Plan: what would change, and why", "plan", exitOK, "plan"); err != nil {
		return err
	}
	w.buildkite.ResetStats()
	if err := step("3. Apply", "apply", exitOK, "apply"); err != nil {
		return err
	}
	applied := w.buildkite.Stats()
	if err := step("4. Plan again: is anything left to change?", "plan --detailed-exitcode", exitOK, "plan", "--detailed-exitcode"); err != nil {
		return err
	}
	if pending := pendingInvitations(w.buildkite.State()); len(pending) > 0 {
		fmt.Fprintf(out, "\nStill pending, and not teamsync's to finish: %s.\nUntil an invitation is accepted, plan lists its person as unplaced (invitation_pending) and never invites twice.\n",
			strings.Join(pending, "; "))
	}
	_, err = fmt.Fprintf(out, "\nThe apply step sent %d GraphQL requests (%d mutations). Okta served %d requests, Google %d, over all four steps.\nNext: teamsync demo --serve runs the daemon against the same simulators.\n",
		applied.Requests, applied.Mutations, w.okta.TotalRequests(), w.google.TotalRequests())
	return err
}

func meaningOf(key string, code int) string {
	if m, ok := exitMeanings[key][code]; ok {
		return m
	}
	return "unexpected"
}

// showMapping prints which groups feed which team, one line a team, and
// the sync settings that shape what happens.
func showMapping(out io.Writer, m *config.Mapping) {
	fmt.Fprintf(out, "\n━━━ The mapping: which groups feed which team (%s)\n\n", m.Path)
	width := 0
	for _, t := range m.Teams {
		width = max(width, len(t.Slug))
	}
	for _, t := range m.Teams {
		var feeds []string
		for _, gr := range t.Groups {
			label := gr.Label()
			if len(gr.Users) > 0 {
				label = "users " + strings.Join(gr.Users, ", ")
			}
			feeds = append(feeds, label+" as "+string(roleOrMember(gr)))
		}
		extra := ""
		if t.Create {
			extra = "  (created if missing)"
		}
		fmt.Fprintf(out, "  %-*s  ← %s%s\n", width, t.Slug, strings.Join(feeds, "; "), extra)
	}
	s := m.Sync
	fmt.Fprintf(out, "\n  policy %s · protected %s · at most %d removals a run · people not in Buildkite: %s\n",
		s.Policy, orNone(s.ProtectedUsers), s.MaxRemovals, map[string]string{config.MissingInvite: "invited", config.MissingReport: "reported"}[s.MissingUsers])
}

func roleOrMember(g config.Group) string {
	if g.Role == "" {
		return "member"
	}
	return string(g.Role)
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "nobody"
	}
	return strings.Join(list, ", ")
}

// showStart prints the IdP groups and the Buildkite teams as the demo
// finds them, one line a group or team.
func showStart(out io.Writer, seed demoSeed, m *config.Mapping) {
	fmt.Fprintf(out, "\n━━━ Where it starts\n")
	var rows [][2]string
	for _, gr := range seed.okta.Groups {
		var people []string
		for _, u := range gr.Users {
			people = append(people, withStatus(u.Email, u.Status))
		}
		rows = append(rows, [2]string{gr.Name, strings.Join(people, ", ")})
	}
	showRows(out, "Okta groups", rows)

	suspended := map[string]bool{}
	for _, u := range seed.google.Users {
		suspended[strings.ToLower(u.Email)] = u.Suspended
	}
	rows = nil
	for _, gr := range seed.google.Groups {
		var people []string
		for _, mem := range gr.Members {
			switch {
			case mem.Type == "GROUP":
				people = append(people, "group "+mem.Email)
			case mem.Status == "" && suspended[strings.ToLower(mem.Email)]:
				people = append(people, mem.Email+" (SUSPENDED)")
			default:
				people = append(people, withStatus(mem.Email, mem.Status))
			}
		}
		rows = append(rows, [2]string{gr.Email, strings.Join(people, ", ")})
	}
	showRows(out, "Google groups", rows)

	mapped := map[string]bool{}
	for _, t := range m.Teams {
		mapped[t.Slug] = true
	}
	rows = nil
	for _, t := range seed.buildkite.Teams {
		var people []string
		for _, tm := range t.Members {
			p := tm.Email
			if tm.Role == "maintainer" {
				p += " (maintainer)"
			}
			people = append(people, p)
		}
		line := strings.Join(people, ", ")
		if !mapped[t.Slug] {
			line += "  — not in the mapping: never touched"
		}
		rows = append(rows, [2]string{t.Slug, line})
	}
	for _, t := range m.Teams {
		if !hasTeam(seed.buildkite, t.Slug) {
			rows = append(rows, [2]string{t.Slug, "(does not exist yet)"})
		}
	}
	showRows(out, fmt.Sprintf("Buildkite teams (organization %s, %d members)", seed.buildkite.Organization, len(seed.buildkite.Members)), rows)
}

func withStatus(email, status string) string {
	if status == "" || status == "ACTIVE" {
		return email
	}
	return email + " (" + status + ")"
}

func hasTeam(st bksim.State, slug string) bool {
	for _, t := range st.Teams {
		if t.Slug == slug {
			return true
		}
	}
	return false
}

func showRows(out io.Writer, title string, rows [][2]string) {
	fmt.Fprintf(out, "\n  %s\n", title)
	width := 0
	for _, r := range rows {
		width = max(width, len(r[0]))
	}
	for _, r := range rows {
		fmt.Fprintf(out, "    %-*s  %s\n", width, r[0], r[1])
	}
}

// pendingInvitations describes the organization's pending invitations.
func pendingInvitations(st bksim.State) []string {
	var out []string
	for _, inv := range st.Invitations {
		if inv.State != "" && inv.State != bksim.InvitationPending {
			continue
		}
		var teams []string
		for _, t := range inv.Teams {
			teams = append(teams, t.Team)
		}
		sort.Strings(teams)
		out = append(out, fmt.Sprintf("%s has an invitation to join (teams: %s)", inv.Email, strings.Join(teams, ", ")))
	}
	return out
}
