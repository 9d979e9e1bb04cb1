package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/teamsync/teamsync/providers/okta/oktasim"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/daemon"
	"github.com/teamsync/teamsync/sync/metrics"
)

// demoDebounce is how long the demo daemon waits after an Okta event for
// more before it reconciles: short, so that a change shows at once.
const demoDebounce = time.Second

// runDemoServe runs the real daemon against the demo's simulators until
// ctx ends (Ctrl-C), after printing how to try it.
func runDemoServe(ctx context.Context, g *globals, w *demoWorld, listen string, log *slog.Logger) error {
	trigger, hook := randomToken(), randomToken()
	demoEnv := map[string]string{
		"BUILDKITE_API_TOKEN":    demoBuildkiteToken,
		"OKTA_API_TOKEN":         demoOktaToken,
		daemon.TriggerTokenEnv:   trigger,
		daemon.OktaHookSecretEnv: hook,
	}
	getenv := func(k string) string { return demoEnv[k] }

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	ctlLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		ln.Close()
		return fmt.Errorf("demo: %w", err)
	}
	ctl := &http.Server{Handler: (&demoControl{okta: w.okta, buildkite: w.buildkite}).handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = ctl.Serve(ctlLn) }()
	defer ctl.Close()

	met := metrics.New()
	c := &connector{getenv: getenv, logger: log, secrets: g.secrets, wrap: met.Transport}
	done := make(chan error, 1)
	go func() {
		done <- daemon.Run(ctx, daemon.Config{
			ConfigPath: w.mapping,
			Connect:    c.connect,
			Listener:   ln,
			Getenv:     getenv,
			Secrets:    g.secrets,
			Logger:     log,
			Metrics:    met,
			Debounce:   demoDebounce,
		})
	}()
	switch err := firstRun(ctx, met, done); {
	case errors.Is(err, errStopped):
		return nil
	case err != nil:
		return err
	}
	m, err := config.Load(w.mapping)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	guide := serveGuide{
		daemon: "http://" + ln.Addr().String(), control: "http://" + ctlLn.Addr().String(),
		trigger: trigger, hook: hook, w: w, m: m,
	}
	if err := guide.print(g.stdout); err != nil {
		return err
	}
	return <-done
}

// errStopped means the demo was stopped before the daemon's first run.
var errStopped = errors.New("stopped")

// firstRun waits until the daemon has finished its startup run, so that
// the guide is printed after that run's log lines. It polls the daemon's
// metrics; it returns the daemon's error if it stops first.
func firstRun(ctx context.Context, met *metrics.Metrics, done <-chan error) error {
	for {
		if runsFinished(met) > 0 {
			return nil
		}
		select {
		case err := <-done:
			if err == nil {
				return errStopped
			}
			return err
		case <-ctx.Done():
			<-done
			return errStopped
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// runsFinished counts the reconciles in teamsync_reconcile_total.
func runsFinished(met *metrics.Metrics) int {
	families, err := met.Registry().Gather()
	if err != nil {
		return 0
	}
	n := 0.0
	for _, f := range families {
		if f.GetName() == "teamsync_reconcile_total" {
			for _, s := range f.GetMetric() {
				n += s.GetCounter().GetValue()
			}
		}
	}
	return int(n)
}

func randomToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return "demo-" + hex.EncodeToString(b)
}

// serveGuide is what demo --serve prints once the daemon is up.
type serveGuide struct {
	daemon, control string
	trigger, hook   string
	w               *demoWorld
	m               *config.Mapping
}

func (s serveGuide) print(out io.Writer) error {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	w := s.w
	p("")
	p("teamsync demo --serve: the real daemon (teamsync serve) against simulated Okta, Google and Buildkite.")
	p("Its startup run has reconciled the demo company; its log is on stderr. Everything is on loopback.")
	p("")
	p("  daemon          %s   (schedule %s; Okta events reconcile about %s after they arrive)", s.daemon, s.m.Sync.Schedule, demoDebounce)
	p("  Buildkite sim   %s/v1", w.servers[0].URL)
	p("  Okta sim        %s", w.servers[1].URL)
	p("  Google sim      %s", w.servers[2].URL)
	p("  demo control    %s   (demo only: changes the simulated Okta, shows simulated Buildkite)", s.control)
	p("  files           %s   (mapping.yaml, audit.jsonl, …)", w.dir)
	p("  trigger token   %s", s.trigger)
	p("  hook secret     %s", s.hook)
	p("")
	p("Try the daemon (paste into another terminal):")
	p("")
	p("  # its metrics")
	p("  %s", curl("GET", s.daemon+"/metrics", nil, ""))
	p("  # a reconcile now (202 with the run id, 409 while one is going)")
	p("  %s", curl("POST", s.daemon+"/sync", []string{"Authorization: Bearer " + s.trigger}, ""))
	p("  # the last plan, as teamsync plan --format json prints it")
	p("  %s", curl("GET", s.daemon+"/plan", []string{"Authorization: Bearer " + s.trigger}, ""))

	team, group, person := s.suggestion()
	if team == "" {
		p("")
		p("No team of this mapping reads an Okta group, so there is no Okta change to try.")
	} else {
		groupID, ok := w.okta.GroupID(group)
		if !ok {
			groupID = group // the mapping names the group by its id
		}
		p("")
		p("Make a change in the simulated Okta and watch it arrive in the simulated Buildkite:")
		p("")
		p("  # 1. an admin adds %s to the Okta group %q", person, group)
		p("  %s", curl("POST", s.control+"/okta/groups/"+pathEscape(group)+"/users", []string{"Content-Type: application/json"}, `{"email":"`+person+`"}`))
		p("  # 2. Okta's event hook tells the daemon (or wait for the schedule, or POST /sync)")
		p("  %s", curl("POST", s.daemon+"/hooks/okta", []string{"Authorization: " + s.hook, "Content-Type: application/json"}, hookDelivery(group, groupID, person)))
		p("  # 3. a moment later the daemon logs \"change applied\" for %s in team %s:", person, team)
		p("  %s", curl("GET", s.control+"/buildkite/teams/"+team, nil, ""))
		p("  # and to take it back (then step 2 with group.user_membership.remove, or POST /sync):")
		p("  %s", curl("DELETE", s.control+"/okta/groups/"+pathEscape(group)+"/users/"+person, nil, ""))
	}
	p("")
	p("Ask why someone has access, or review everyone's, with the CLI against the same simulators")
	p("(from the root of the teamsync repository):")
	p("")
	env := "BUILDKITE_API_TOKEN=" + demoBuildkiteToken + " OKTA_API_TOKEN=" + demoOktaToken
	cfg := shellQuote(filepath.Join(w.dir, "mapping.yaml"))
	p("  %s go run ./cmd/teamsync explain alice@acme.com --config %s", env, cfg)
	p("  %s go run ./cmd/teamsync report --config %s", env, cfg)
	p("")
	p("Ctrl-C stops the daemon and the simulators and removes the files (--keep DIR keeps them).")
	_, err := io.WriteString(out, b.String())
	return err
}

// suggestion picks the change to try: the first team fed by an Okta group,
// that group, and the first organization member the group does not list
// and the team does not have.
func (s serveGuide) suggestion() (team, group, person string) {
	st := s.w.buildkite.State()
	for _, t := range s.m.Teams {
		for _, g := range t.Groups {
			if g.Okta == "" {
				continue
			}
			listed := map[string]bool{}
			for _, og := range s.w.seed.okta.Groups {
				if og.Name == g.Okta || og.ID == g.Okta {
					for _, u := range og.Users {
						listed[strings.ToLower(u.Email)] = true
					}
				}
			}
			for _, bt := range st.Teams {
				if bt.Slug == t.Slug {
					for _, m := range bt.Members {
						listed[strings.ToLower(m.Email)] = true
					}
				}
			}
			for _, m := range st.Members {
				e := strings.ToLower(m.Email)
				if !listed[e] && !m.Bot && !slices.Contains(s.m.Sync.ProtectedUsers, e) {
					return t.Slug, g.Okta, e
				}
			}
		}
	}
	return "", "", ""
}

// hookDelivery is an Okta event hook delivery saying that person joined
// the group, shaped as Okta sends it.
func hookDelivery(group, groupID, person string) string {
	uuid := randomToken()[5:]
	body := map[string]any{
		"eventType": "com.okta.event_hook", "eventId": "demo-" + uuid[:8],
		"data": map[string]any{"events": []any{map[string]any{
			"uuid": uuid, "eventType": "group.user_membership.add",
			"outcome": map[string]string{"result": "SUCCESS"},
			"target": []map[string]string{
				{"id": oktasim.UserID(person), "type": "User", "alternateId": person, "displayName": person},
				{"id": groupID, "type": "UserGroup", "alternateId": "unknown", "displayName": group},
			},
		}}},
	}
	b, _ := json.Marshal(body)
	return string(b)
}

// curl is a ready-to-paste curl line; every argument is single-quoted.
func curl(method, url string, headers []string, data string) string {
	parts := []string{"curl", "-sS"}
	if method != "GET" {
		parts = append(parts, "-X", method)
	}
	for _, h := range headers {
		parts = append(parts, "-H", shellQuote(h))
	}
	if data != "" {
		parts = append(parts, "-d", shellQuote(data))
	}
	return strings.Join(append(parts, shellQuote(url)), " ")
}

// shellQuote single-quotes s for a POSIX shell.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// pathEscape escapes a group name or email for one URL path segment.
func pathEscape(s string) string { return url.PathEscape(s) }
