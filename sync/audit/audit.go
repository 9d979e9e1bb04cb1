// Package audit writes the audit trail (docs/operations.md): one JSON object
// per line for every applied or failed change and one per run, appended to a
// file that is never rewritten. The daemon and the CLI's apply share it.
package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// Triggers name what started a run, as written in the "trigger" field.
const (
	TriggerStartup  = "startup"
	TriggerCron     = "cron"
	TriggerManual   = "manual"
	TriggerOktaHook = "okta-hook"
	TriggerCLI      = "cli"
)

// ErrClosed is returned for records written after Close.
var ErrClosed = errors.New("audit: log is closed")

// Stderr is the audit_log value that sends records to standard error.
const Stderr = "-"

// timeFormat is RFC 3339 in UTC with milliseconds: fixed width, so lines
// sort and line up.
const timeFormat = "2006-01-02T15:04:05.000Z07:00"

// Log appends audit records. The zero of *Log (nil) and a Log opened with an
// empty path write nothing. A Log is safe for concurrent use: each record is
// one Write of one whole line, so lines never interleave.
type Log struct {
	mu     sync.Mutex
	w      io.Writer // nil when disabled
	c      io.Closer // nil for stderr and when disabled
	closed bool
	now    func() time.Time
}

// Open opens the audit log named by sync.audit_log: "" disables it, "-"
// writes to standard error, anything else is a file opened for appending
// (created 0600 if missing) that must not be a symbolic link. now stamps
// the records; nil means time.Now.
func Open(path string, now func() time.Time) (*Log, error) {
	if now == nil {
		now = time.Now
	}
	switch path {
	case "":
		return &Log{now: now}, nil
	case Stderr:
		return &Log{w: os.Stderr, now: now}, nil
	}
	f, err := openFile(path)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	return &Log{w: f, c: f, now: now}, nil
}

// New returns a Log writing to w, for callers that own the destination.
func New(w io.Writer, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{w: w, now: now}
}

// Enabled reports whether records go anywhere.
func (l *Log) Enabled() bool {
	if l == nil {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w != nil && !l.closed
}

// changeRecord is the per-change line, its fields in the documented order
// (time, run_id, trigger, action, team, email, role, from_role, groups,
// status, error); Teams is added for invitations, which carry several
// teams, and Reason for removals.
type changeRecord struct {
	Time     string           `json:"time"`
	RunID    string           `json:"run_id"`
	Trigger  string           `json:"trigger"`
	Action   plan.Action      `json:"action"`
	Team     string           `json:"team,omitempty"`
	Email    string           `json:"email,omitempty"`
	Role     model.Role       `json:"role,omitempty"`
	FromRole model.Role       `json:"from_role,omitempty"`
	Teams    []model.TeamRole `json:"teams,omitempty"`
	Groups   []string         `json:"groups,omitempty"`
	// Reason says why a person was removed ("deprovisioned in okta",
	// "grant users expired at …").
	Reason string      `json:"reason,omitempty"`
	Status plan.Status `json:"status,omitempty"`
	Error  string      `json:"error,omitempty"`
}

// runRecord is the per-run summary line.
type runRecord struct {
	Time            string       `json:"time"`
	RunID           string       `json:"run_id"`
	Trigger         string       `json:"trigger"`
	Summary         plan.Summary `json:"summary"`
	DurationMS      int64        `json:"duration_ms"`
	Result          string       `json:"result"`
	ReadMode        string       `json:"read_mode,omitempty"`
	BuildkitePoints int          `json:"buildkite_points"`
}

// Cost is what a run spent on Buildkite: how it read it (ReadMode: full,
// audit or fingerprint; empty when it never got to read) and the
// complexity points Buildkite charged it, reads and writes together.
type Cost struct {
	ReadMode        string
	BuildkitePoints int
}

// Change records one applied or failed change.
func (l *Log) Change(runID, trigger string, c plan.Change) error {
	if l == nil {
		return nil
	}
	return l.write(func(now string) any {
		return changeRecord{
			Time:     now,
			RunID:    runID,
			Trigger:  trigger,
			Action:   c.Action,
			Team:     c.Team,
			Email:    c.Email,
			Role:     c.Role,
			FromRole: c.FromRole,
			Teams:    c.Teams,
			Groups:   c.Groups,
			Reason:   c.Reason,
			Status:   c.Status,
			Error:    c.Error,
		}
	})
}

// Run records the end of a run: its summary, how long it took, its result
// (ResultSuccess, ResultHeld, ResultError or ResultCancelled; see Result)
// and what it cost.
func (l *Log) Run(runID, trigger string, summary plan.Summary, d time.Duration, result string, cost Cost) error {
	if l == nil {
		return nil
	}
	return l.write(func(now string) any {
		return runRecord{
			Time:            now,
			RunID:           runID,
			Trigger:         trigger,
			Summary:         summary,
			DurationMS:      d.Milliseconds(),
			Result:          result,
			ReadMode:        cost.ReadMode,
			BuildkitePoints: cost.BuildkitePoints,
		}
	})
}

// Close closes the file, if the Log owns one.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.c == nil {
		l.closed = true
		return nil
	}
	l.closed = true
	if err := l.c.Close(); err != nil {
		return fmt.Errorf("audit: close: %w", err)
	}
	return nil
}

// write stamps and writes one record under the lock, so the times in the
// file never go backwards.
func (l *Log) write(record func(now string) any) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return ErrClosed
	}
	if l.w == nil {
		return nil
	}
	line, err := json.Marshal(record(l.now().UTC().Format(timeFormat)))
	if err != nil {
		return fmt.Errorf("audit: encode record: %w", err)
	}
	line = append(line, '\n')
	if _, err := l.w.Write(line); err != nil {
		return fmt.Errorf("audit: write: %w", err)
	}
	return nil
}
