package main

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
	"github.com/teamsync/teamsync/sync/saved"
)

// runFlags are the flags plan and apply share.
type runFlags struct {
	format        string
	teams         []string
	allowRemovals int
}

func (f *runFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.format, "format", "text", "output format: text, json or markdown")
	cmd.Flags().StringArrayVar(&f.teams, "team", nil, "limit the run to this team slug (repeatable)")
	cmd.Flags().IntVar(&f.allowRemovals, "allow-removals", 0, "replace sync.max_removals for this run (N removals may go ahead)")
}

// options turns the flags into the planner's per-run options.
func (f *runFlags) options(cmd *cobra.Command) (plan.Options, error) {
	var opts plan.Options
	if cmd.Flags().Changed("allow-removals") {
		if f.allowRemovals < 0 {
			return opts, usagef("--allow-removals must be 0 or more")
		}
		n := f.allowRemovals
		opts.AllowRemovals = &n
	}
	return opts, nil
}

func newPlanCmd(g *globals) *cobra.Command {
	var f runFlags
	var detailed bool
	var out, base string
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change; writes nothing",
		Long: `plan reads the IdP groups and Buildkite and prints the changes that apply
would make, the changes guards would hold back, the people who cannot be
placed, and any read errors. It never writes to Buildkite.

With --base OLD (a mapping file, or git:REF for this mapping file at that
git revision) it plans only what the change from OLD does: it reads the
groups of both mappings once, reads Buildkite only for the teams whose
desired membership the change alters, and shows two sections: "this change"
(what the diff adds, removes or re-roles) and "already pending" (drift on
those teams that apply would fix anyway). In JSON each change carries
"scope": "change" or "pending". A change that alters no team says so in one
line.

With --out FILE it also writes the plan, with the basis it was made on (the
mapping's hash, the organization, a digest of each touched team's
memberships, the time), for apply FILE to apply exactly those changes.

Exit codes: 0 ok, 1 error (including a failed group read), 2 changes pending
(only with --detailed-exitcode; held changes alone give 0).`,
		Example: `  teamsync plan
  teamsync plan --format json | jq '.changes[] | select(.action=="remove_member")'
  teamsync plan --format markdown --detailed-exitcode > plan.md   # CI
  teamsync plan --allow-removals 60   # preview what apply --allow-removals 60 would do
  teamsync plan --out plan.json && teamsync apply plan.json   # apply what was reviewed
  teamsync plan --base git:origin/main --format markdown      # a pull request's own effect`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if base != "" && len(f.teams) > 0 {
				return usagef("--team cannot be used with --base: the change decides the teams")
			}
			// The base mapping is checked first: a mapping that sends the
			// credentials elsewhere is refused before any secret is read.
			var old *config.Mapping
			if base != "" {
				var err error
				if old, err = g.loadCheckedBase(cmd.Context(), base); err != nil {
					return err
				}
			}
			s, err := g.session(cmd, f)
			if err != nil {
				return err
			}
			s.checkAccess()
			var res *reconcile.Result
			if base != "" {
				var done bool
				if res, done, err = g.planBase(cmd, s, f.format, old, base, out); err != nil || done {
					return err
				}
			} else if res, err = s.runner.Plan(cmd.Context(), s.mapping, s.opts); err != nil {
				return err
			}
			if err := g.render(res.Plan, f.format); err != nil {
				return err
			}
			if out != "" {
				if err := writeSaved(out, saved.New(res.Plan, res.Org, s.mappingHash, time.Now())); err != nil {
					return err
				}
			}
			s.logSummary(res)
			switch {
			case len(res.Plan.Errors) > 0:
				return exitCode(exitError)
			case detailed && res.Plan.HasChanges():
				return exitCode(exitChanges)
			}
			return nil
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&detailed, "detailed-exitcode", false, "exit 2 when there are changes to apply")
	cmd.Flags().StringVar(&out, "out", "", "also write the plan to FILE, for apply FILE")
	cmd.Flags().StringVar(&base, "base", "", "plan only the change from this mapping (a file, or git:REF)")
	return cmd
}

// checkFormat rejects a bad --format before any API is called.
func checkFormat(format string) error {
	switch format {
	case plan.FormatText, plan.FormatJSON, plan.FormatMarkdown, "md":
		return nil
	}
	return usagef("--format %q: want text, json or markdown", format)
}

// session is what plan and apply set up before they run.
type session struct {
	mapping *config.Mapping
	// mappingHash is saved.MappingHash of the mapping file's bytes.
	mappingHash string
	opts        plan.Options
	runner      *reconcile.Runner
	log         *slog.Logger
}

func (s *session) logSummary(res *reconcile.Result) {
	sum := res.Plan.Summary
	s.log.Info("run finished",
		"create_team", sum.CreateTeam, "add_member", sum.AddMember, "update_role", sum.UpdateRole,
		"remove_member", sum.RemoveMember, "invite", sum.Invite,
		"remove_org_member", sum.RemoveOrgMember, "revoke_invitation", sum.RevokeInvitation, "held", sum.Held,
		"unplaced", sum.Unplaced, "errors", sum.Errors, "applied", sum.Applied, "failed", sum.Failed,
		"duration", res.Duration.Round(1e6).String(),
		"read_mode", res.Read.Mode, "buildkite_points", res.Points)
}

// writeSaved writes f to path whole or not at all (a temporary file
// renamed into place), readable by its owner only: it holds emails.
func writeSaved(path string, f *saved.File) error {
	var buf bytes.Buffer
	if err := saved.Write(&buf, f); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".teamsync-plan-*")
	if err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	_, err = tmp.Write(buf.Bytes())
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("--out: %w", err)
	}
	return nil
}
