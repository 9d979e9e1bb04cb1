package main

import (
	"errors"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/record"
	"github.com/teamsync/teamsync/sync/saved"
)

func newApplyCmd(g *globals) *cobra.Command {
	var f runFlags
	var maxAge time.Duration
	cmd := &cobra.Command{
		Use:   "apply [FILE]",
		Short: "Plan, then apply what the guards allow",
		Long: `apply plans exactly as plan does and then writes the changes the guards
allow: teams first, then adds, role changes, removals and invitations. A
failed change does not stop the others. The output is the plan with a status
(and error) on every change.

apply FILE applies exactly the changes of a plan saved by plan --out, and
nothing else. It reads no IdP and only the teams the plan touches; a change
that no longer holds (already made, or its membership or role changed since)
is skipped and reported, never reverted. The whole plan is refused, with
nothing written, when the mapping or the organization changed since or the
plan is older than --max-age. Guards were decided when the plan was made:
held changes are not in its change list.

Exit codes: 0 all applied, 1 any error (or interrupted: the changes not yet
started are skipped; or a saved plan refused), 3 a guard held changes back.`,
		Example: `  teamsync apply
  teamsync apply --team platform --format json
  teamsync apply --allow-removals 60   # this run may remove up to 60 people
  teamsync plan --out plan.json && teamsync apply plan.json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				return g.applySaved(cmd, f, args[0], maxAge)
			}
			s, err := g.session(cmd, f)
			if err != nil {
				return err
			}
			setMemoryLimit(g.getenv, os.ReadFile, s.log) // the CronJob's run
			s.checkAccess()
			rec, trail, err := g.record(s)
			if err != nil {
				return err
			}
			ctx, start := cmd.Context(), time.Now()
			res, err := s.runner.Apply(ctx, s.mapping, s.opts)
			if err != nil {
				_, auditErr := rec.Finish(ctx, nil, err, time.Since(start), record.CostOf(res))
				return errors.Join(err, auditErr, trail.Close())
			}
			// What was written is shown even if the audit trail fails, and
			// the run line is written even if showing it fails.
			renderErr := g.render(res.Plan, f.format)
			result, auditErr := rec.Finish(ctx, res.Plan, nil, res.Duration, record.CostOf(res))
			if err := errors.Join(renderErr, auditErr, trail.Close()); err != nil {
				return err
			}
			return exitFor(result)
		},
	}
	f.register(cmd)
	cmd.Flags().DurationVar(&maxAge, "max-age", saved.DefaultMaxAge, "apply FILE: refuse a saved plan older than this (0 accepts any age)")
	return cmd
}

// record opens the audit trail and starts the run record an apply keeps
// (the daemon keeps the same record of its runs), with the session's
// runner reporting to it. The caller closes the trail.
func (g *globals) record(s *session) (*record.Run, *audit.Log, error) {
	trail, err := g.openAudit(s.mapping.Sync.AuditLog)
	if err != nil {
		return nil, nil, err
	}
	rec := record.New(audit.NewRunID(), audit.TriggerCLI, s.log)
	rec.Audit = trail
	s.runner.Logger, s.runner.OnChange = rec.Logger(), rec.Change
	return rec, trail, nil
}

// openAudit opens sync.audit_log for the CLI's apply; "-" is this
// process's stderr.
func (g *globals) openAudit(path string) (*audit.Log, error) {
	if path == audit.Stderr {
		return audit.New(g.stderr, time.Now), nil
	}
	return audit.Open(path, time.Now)
}

// exitFor is apply's exit code for a run's result: 1 for an error or a
// cancelled run, 3 when a guard held changes back, else 0.
func exitFor(result string) error {
	switch result {
	case audit.ResultError, audit.ResultCancelled:
		return exitCode(exitError)
	case audit.ResultHeld:
		return exitCode(exitHeld)
	}
	return nil
}
