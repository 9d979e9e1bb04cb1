package main

import (
	"errors"
	"time"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/plan"
)

func newApplyCmd(g *globals) *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Plan, then apply what the guards allow",
		Long: `apply plans exactly as plan does and then writes the changes the guards
allow: teams first, then adds, role changes, removals and invitations. A
failed change does not stop the others. The output is the plan with a status
(and error) on every change.

Exit codes: 0 all applied, 1 any error, 3 a guard held changes back.`,
		Example: `  teamsync apply
  teamsync apply --team platform --format json
  teamsync apply --allow-removals 60   # this run may remove up to 60 people`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := g.session(cmd, f)
			if err != nil {
				return err
			}
			trail, err := g.openAudit(s.mapping.Sync.AuditLog)
			if err != nil {
				return err
			}
			runID := audit.NewRunID()
			s.runner.OnChange = func(c plan.Change) {
				if err := trail.Change(runID, audit.TriggerCLI, c); err != nil {
					s.log.Error("audit log write failed", "error", err)
				}
			}
			res, err := s.runner.Apply(cmd.Context(), s.mapping, s.opts)
			if err != nil {
				return errors.Join(err, trail.Run(runID, audit.TriggerCLI, plan.Summary{}, 0, audit.RunResult(cmd.Context(), nil, err)), trail.Close())
			}
			// What was written is shown even if the audit trail fails, and
			// the run line is written even if showing it fails.
			renderErr := plan.Render(g.stdout, res.Plan, f.format)
			result := audit.RunResult(cmd.Context(), res.Plan, nil)
			if err := errors.Join(renderErr, trail.Run(runID, audit.TriggerCLI, res.Plan.Summary, res.Duration, result), trail.Close()); err != nil {
				return err
			}
			s.logSummary(res)
			switch result {
			case audit.ResultError, audit.ResultCancelled:
				return exitCode(exitError)
			case audit.ResultHeld:
				return exitCode(exitHeld)
			}
			return nil
		},
	}
	f.register(cmd)
	return cmd
}

// openAudit opens sync.audit_log for the CLI's apply; "-" is this
// process's stderr.
func (g *globals) openAudit(path string) (*audit.Log, error) {
	if path == audit.Stderr {
		return audit.New(g.stderr, time.Now), nil
	}
	return audit.Open(path, time.Now)
}
