package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
	"github.com/teamsync/teamsync/sync/record"
	"github.com/teamsync/teamsync/sync/saved"
)

// applySaved is apply FILE: check the saved plan as a whole, then apply
// those of its changes that still hold.
func (g *globals) applySaved(cmd *cobra.Command, f runFlags, path string, maxAge time.Duration) error {
	for _, name := range []string{"team", "allow-removals"} {
		if cmd.Flags().Changed(name) {
			return usagef("--%s cannot be used with a saved plan: what it applies was decided by plan --out", name)
		}
	}
	if maxAge < 0 {
		return usagef("--max-age must be 0 or more")
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("saved plan: %w", err)
	}
	file, err := saved.Read(raw)
	if err != nil {
		return fmt.Errorf("saved plan %s: %w", path, err)
	}
	s, err := g.session(cmd, f)
	if err != nil {
		return err
	}
	if err := saved.Check(file, s.mappingHash, s.mapping.Buildkite.Organization, s.mapping.Manages, time.Now(), maxAge); err != nil {
		return fmt.Errorf("saved plan %s refused, nothing was applied: %w", path, err)
	}
	s.checkAccess()
	rec, trail, err := g.record(s)
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	res, org, err := s.runner.ApplySaved(ctx, s.mapping, reconcile.SavedPlan{
		Plan:    &file.Plan,
		Teams:   saved.Touched(&file.Plan),
		Recheck: func(org *model.Org) *plan.Plan { return saved.Stale(file, org) },
	})
	if err != nil {
		_, auditErr := rec.Finish(ctx, nil, err, res.Duration, record.CostOf(res))
		return errors.Join(err, auditErr, trail.Close())
	}
	if changed := saved.ChangedTeams(file, org); len(changed) > 0 {
		rec.Logger().Warn("teams changed since the plan was made; their changes were checked one by one",
			"teams", strings.Join(changed, ","))
	}
	rec.Logger().Info("applied a saved plan; its guards were decided when it was made",
		"plan", path, "created_at", file.Basis.CreatedAt.Format(time.RFC3339))
	renderErr := g.render(res.Plan, f.format)
	if renderErr == nil && f.format != plan.FormatJSON {
		renderErr = savedNote(g.stdout, file, f.format)
	}
	result, auditErr := rec.Finish(ctx, res.Plan, nil, res.Duration, record.CostOf(res))
	if err := errors.Join(renderErr, auditErr, trail.Close()); err != nil {
		return err
	}
	return exitFor(result)
}

// savedNote says, under the text or markdown output of apply FILE, what a
// saved plan's apply did and did not decide.
func savedNote(w io.Writer, f *saved.File, format string) error {
	note := fmt.Sprintf("Applied the plan saved at %s. Guards were decided at plan time: held changes are not in its change list. Changes that no longer held were skipped, not reverted.",
		f.Basis.CreatedAt.UTC().Format(time.RFC3339))
	if format != plan.FormatText {
		note = "_" + note + "_"
	}
	_, err := fmt.Fprintf(w, "\n%s\n", note)
	return err
}
