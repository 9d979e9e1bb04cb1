package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
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
