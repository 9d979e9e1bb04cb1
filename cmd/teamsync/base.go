package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
	"github.com/teamsync/teamsync/sync/reconcile"
	"github.com/teamsync/teamsync/sync/saved"
)

// MsgNothingTouched is what plan --base prints when the mapping's change
// gives no team another desired state.
const MsgNothingTouched = "This mapping change touches no team: no team's desired membership differs from the base mapping."

// loadBase reads the base mapping of plan --base: a file, or git:REF for
// the mapping file as it is at REF (git show REF:./FILE, run in the
// mapping's directory).
func loadBase(ctx context.Context, base, current string) (*config.Mapping, error) {
	ref, ok := strings.CutPrefix(base, "git:")
	if !ok {
		m, err := config.Load(base)
		if err != nil {
			return nil, fmt.Errorf("--base: %w", err)
		}
		return m, nil
	}
	if ref == "" || strings.HasPrefix(ref, "-") {
		return nil, usagef("--base %q: want git:REF, such as git:origin/main", base)
	}
	dir, file := filepath.Split(current)
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "git", "show", ref+":./"+file)
	cmd.Dir = dir
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("--base %s: git show %s:./%s: %w: %s", base, ref, file, err, strings.TrimSpace(stderr.String()))
	}
	m, err := config.Parse(base+":"+file, stdout.Bytes())
	if err != nil {
		return nil, fmt.Errorf("--base: %w", err)
	}
	return m, nil
}

// loadCheckedBase loads the base mapping of plan --base and refuses the
// run when the current mapping changes a connection setting. In CI the
// current mapping is a pull request's, and plan --base runs with the
// organization's tokens: a branch that set graphql_url, okta.org_url or
// token_env could otherwise send them to a host of its choosing. Nothing
// is requested and no secret is read before this check.
func (g *globals) loadCheckedBase(ctx context.Context, base string) (*config.Mapping, error) {
	cur, err := config.Load(g.config())
	if err != nil {
		return nil, err
	}
	old, err := loadBase(ctx, base, g.config())
	if err != nil {
		return nil, err
	}
	changed := config.ConnectionChanges(old, cur)
	if len(changed) == 0 {
		return old, nil
	}
	keys := make([]string, len(changed))
	for i, c := range changed {
		keys[i] = c.Path
	}
	return nil, fmt.Errorf("--base: this mapping changes %s from the base mapping %s; a pull request may not change where credentials are sent, which organization is synced or which secrets are read: change it on the default branch first\n%w",
		strings.Join(keys, ", "), base, &config.Errors{List: changed})
}

// renderNothingTouched prints the one-line answer of plan --base when the
// diff touches no team; JSON gets the empty plan, so scripts read it as
// any other.
func (g *globals) renderNothingTouched(w io.Writer, p *plan.Plan, format string) error {
	if format == plan.FormatJSON {
		return g.render(p, format)
	}
	_, err := fmt.Fprintln(w, MsgNothingTouched)
	return err
}

// planBase is plan --base: it plans the change from the base mapping.
// done is set when the change touches no team: the one line (or, in
// JSON, the empty plan) is printed and, with --out, the empty plan saved.
func (g *globals) planBase(cmd *cobra.Command, s *session, format string, old *config.Mapping, base, out string) (_ *reconcile.Result, done bool, _ error) {
	res, affected, err := s.runner.PlanBase(cmd.Context(), s.mapping, old, s.opts)
	if err != nil {
		return nil, false, err
	}
	s.log.Info("planned against the base mapping", "base", base, "teams_affected", len(affected))
	if len(affected) > 0 || res.People != nil {
		// Teams to plan, or offboarding judged because the change alters it.
		return res, false, nil
	}
	s.logSummary(res)
	if out != "" {
		// The empty plan, so that a CI step that uploads the file finds one.
		if err := writeSaved(out, saved.New(res.Plan, &model.Org{}, s.mappingHash, time.Now())); err != nil {
			return nil, false, err
		}
	}
	return res, true, g.renderNothingTouched(g.stdout, res.Plan, format)
}
