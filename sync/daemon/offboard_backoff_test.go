package daemon

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// refusedRemoval refuses every organizationMemberDelete (as Buildkite does
// for a member it will not remove, whatever the reason) and counts the
// whole-organization member reads.
type refusedRemoval struct {
	reconcile.Buildkite
	reads *atomic.Int32
}

func (f refusedRemoval) RemoveOrgMember(context.Context, string) error {
	return errors.New("buildkite: organizationMemberDelete: this member cannot be removed")
}

func (f refusedRemoval) ReadPeople(ctx context.Context) (*model.People, error) {
	f.reads.Add(1)
	return f.Buildkite.ReadPeople(ctx)
}

// TestPermanentOrgWriteFailureBacksOff: a removal Buildkite refuses every time makes serve judge again at the
// next run, then back off, saying so in the log: six runs in six minutes
// read the whole organization at most twice.
func TestPermanentOrgWriteFailureBacksOff(t *testing.T) {
	h := startGoneOrg(t)
	var reads atomic.Int32
	h.set(func(h *harness) {
		h.wrap = func(b reconcile.Buildkite) reconcile.Buildkite { return refusedRemoval{b, &reads} }
	})
	h.writeMapping(h.offboardMapping(webTeam, "6h"))
	h.run(0)
	h.waitRuns(1)
	for i := 2; i <= 6; i++ {
		h.tick(time.Minute)
		h.waitRuns(i)
	}
	if n := reads.Load(); n > 2 {
		t.Errorf("6 runs within 6 minutes (offboarding.every 6h) read the whole organization %d times: a permanently refused removal turns offboarding.every into every run, with no backoff", n)
	}
	logs := h.logs.String()
	if !strings.Contains(logs, "judge") || !strings.Contains(logs, "next run") {
		var lines []string
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") || strings.Contains(l, "offboard") {
				lines = append(lines, l)
			}
		}
		t.Errorf("no log line says offboarding judges the organization again at every run because a removal failed; warn/error/offboard lines:\n%s", strings.Join(lines, "\n"))
	}
}
