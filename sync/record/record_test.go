package record

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/plan"
)

func fixedNow() time.Time { return time.Date(2026, 3, 26, 9, 0, 0, 0, time.UTC) }

func TestRunRecords(t *testing.T) {
	var trail, logs bytes.Buffer
	r := New("run1", audit.TriggerCLI, slog.New(slog.NewTextHandler(&logs, nil)))
	r.Audit = audit.New(&trail, fixedNow)
	applied := plan.Change{Action: plan.ActionAddMember, Team: "t", Email: "a@acme.com", Status: plan.StatusApplied}
	r.Change(applied)
	p := &plan.Plan{Applied: true, Changes: []plan.Change{applied,
		{Action: plan.ActionAddMember, Team: "t", Email: "b@acme.com", Status: plan.StatusSkipped, Error: "not attempted: the run was cancelled"}}}
	p.Recount()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	result, err := r.Finish(ctx, p, nil, 1500*time.Millisecond, audit.Cost{ReadMode: "full", BuildkitePoints: 1234})
	if result != audit.ResultCancelled || err != nil {
		t.Fatalf("Finish = %q, %v; want cancelled, nil", result, err)
	}
	want := `{"time":"2026-03-26T09:00:00.000Z","run_id":"run1","trigger":"cli","action":"add_member","team":"t","email":"a@acme.com","status":"applied"}
{"time":"2026-03-26T09:00:00.000Z","run_id":"run1","trigger":"cli","summary":{"create_team":0,"add_member":2,"update_role":0,"remove_member":0,"invite":0,"held":0,"unplaced":0,"errors":0,"applied":1,"failed":0,"skipped":1},"duration_ms":1500,"result":"cancelled","read_mode":"full","buildkite_points":1234}
`
	if trail.String() != want {
		t.Errorf("audit lines:\n%s\nwant:\n%s", trail.String(), want)
	}
	line := strings.TrimSpace(logs.String())
	_, line, _ = strings.Cut(line, "msg=") // drop time and level
	if wantLine := `"run finished" run_id=run1 trigger=cli result=cancelled duration=1.5s create_team=0 add_member=2 update_role=0 remove_member=0 invite=0 remove_org_member=0 revoke_invitation=0 applied=1 failed=0 not_attempted=1 held=0 unplaced=0 errors=0 read_mode=full buildkite_points=1234`; line != wantLine {
		t.Errorf("summary line:\n%s\nwant:\n%s", line, wantLine)
	}
}

// TestRunAuditFailures: a change line that cannot be written is logged
// and counted; a run line that cannot be written is counted and returned,
// not logged, so the caller decides what it means.
func TestRunAuditFailures(t *testing.T) {
	var logs bytes.Buffer
	r := New("run2", audit.TriggerCron, slog.New(slog.NewTextHandler(&logs, nil)))
	r.Audit = audit.New(&bytes.Buffer{}, fixedNow)
	if err := r.Audit.Close(); err != nil {
		t.Fatal(err)
	}
	failures := 0
	r.OnAuditError = func() { failures++ }
	r.Change(plan.Change{Action: plan.ActionAddMember, Team: "t", Email: "a@acme.com", Status: plan.StatusApplied})
	if !strings.Contains(logs.String(), "audit log write failed") || failures != 1 {
		t.Errorf("after a failed change line: %d failures counted, log:\n%s", failures, logs.String())
	}
	logs.Reset()
	result, err := r.Finish(context.Background(), &plan.Plan{}, nil, 0, audit.Cost{})
	if result != audit.ResultSuccess || !errors.Is(err, audit.ErrClosed) || failures != 2 {
		t.Errorf("Finish = %q, %v with %d failures; want success, ErrClosed, 2", result, err, failures)
	}
	if strings.Contains(logs.String(), "audit log write failed") {
		t.Errorf("Finish logged the error it returns:\n%s", logs.String())
	}
}
