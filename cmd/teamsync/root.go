package main

import (
	"time"

	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/sync/plan"
)

// Exit codes, the same for every command that has them (see each
// command's help).
const (
	exitOK      = 0
	exitError   = 1
	exitChanges = 2 // plan --detailed-exitcode: changes pending
	exitHeld    = 3 // apply: a guard held changes back
)

// env is everything the program takes from its process, injected so tests
// run the real command tree in-process.
type env struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// now is the clock of the run (expires:); nil is the wall clock. Tests
	// fix it so that plans with expiring entries are deterministic.
	now func() time.Time
}

// clock is the time of the run.
func (e env) clock() time.Time {
	if e.now != nil {
		return e.now()
	}
	return time.Now()
}

// exitCode carries a non-zero exit code that is not an error of its own
// (changes pending, changes held).
type exitCode int

func (c exitCode) Error() string { return fmt.Sprintf("exit code %d", int(c)) }

// globals are the flags every command takes, and what the process holds
// across commands.
type globals struct {
	env
	// secrets holds every credential the process has read, so logs,
	// errors and output can be redacted of them.
	secrets    *httpx.Secrets
	configPath string
	logFormat  string
	logLevel   string
	// started is set once cobra has accepted the command line and a
	// command begins; an error before that is a usage error.
	started bool
}

// usageError is a mistake in how teamsync was called: a flag or argument
// it does not take, or a flag value it refuses before doing anything. run
// points to --help after it.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef makes a usageError.
func usagef(format string, a ...any) error { return usageError{fmt.Errorf(format, a...)} }

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, e env) int {
	g := &globals{env: e, secrets: httpx.NewSecrets()}
	root := newRoot(g)
	root.SetArgs(args)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	cmd, err := root.ExecuteContextC(ctx)
	var code exitCode
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &code):
		return int(code)
	}
	fmt.Fprintf(e.stderr, "teamsync: %s\n", strings.TrimRight(g.secrets.Redact(err.Error()), "\n"))
	// Cobra refuses unknown commands, flags and arguments before any
	// command starts; those are usage errors too.
	var usage usageError
	if errors.As(err, &usage) || !g.started {
		fmt.Fprintf(e.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return exitError
}

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "teamsync",
		Short: "Keep Buildkite teams in step with Okta and Google Workspace groups",
		Long: `teamsync reads groups from Okta and Google Workspace, turns them into the
desired Buildkite team memberships through mapping.yaml, and plans or applies
the adds, removals and role changes that make Buildkite match.

Results go to stdout, logs to stderr.`,
		Example: `  teamsync demo                          # the whole job against simulated APIs
  teamsync demo --serve                  # the daemon against them, to try with curl
  teamsync validate                      # check mapping.yaml (no credentials needed)
  teamsync plan                          # what would change
  teamsync plan --format json | jq .summary
  teamsync apply --team platform         # apply one team's changes`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(*cobra.Command, []string) {
			g.started = true
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.configPath, "config", "", "mapping file (default $TEAMSYNC_CONFIG, else ./mapping.yaml)")
	pf.StringVar(&g.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.AddCommand(newPlanCmd(g), newApplyCmd(g), newValidateCmd(g), newServeCmd(g), newDemoCmd(g), newTriggerCmd(g), newExplainCmd(g), newReportCmd(g), newVersionCmd(g))
	return root
}

// config returns the mapping path the flags and environment name.
func (g *globals) config() string {
	switch {
	case g.configPath != "":
		return g.configPath
	case g.getenv("TEAMSYNC_CONFIG") != "":
		return g.getenv("TEAMSYNC_CONFIG")
	}
	return "mapping.yaml"
}

// render prints p in format to stdout, redacted of the process's secrets.
// The clients redact their errors already; this is the last place a
// credential could reach output (a plan's errors end up in CI annotations
// and pull-request comments).
func (g *globals) render(p *plan.Plan, format string) error {
	var buf bytes.Buffer
	if err := plan.Render(&buf, p, format); err != nil {
		return err
	}
	_, err := io.WriteString(g.stdout, g.secrets.Redact(buf.String()))
	return err
}

// logger builds the one logger the run uses, writing to stderr. Every line
// is redacted of the process's secrets.
func (g *globals) logger() (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(g.logLevel)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", g.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch strings.ToLower(g.logFormat) {
	case "text":
		h = slog.NewTextHandler(g.stderr, opts)
	case "json":
		h = slog.NewJSONHandler(g.stderr, opts)
	default:
		return nil, usagef("--log-format %q: want text or json", g.logFormat)
	}
	return slog.New(httpx.RedactHandler(h, g.secrets)), nil
}

// plural is "1 team" or "2 teams".
func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
