package apply

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// ChangeTimeout bounds one write. A write that has started is allowed to
// finish even when the run is cancelled (SIGTERM), so it gets its own
// deadline instead of the run's.
const ChangeTimeout = 2 * time.Minute

// ErrCancelled is the error of the changes skipped because the run was
// cancelled before their turn. Callers tell such changes by their status,
// plan.StatusSkipped, not by this text.
var ErrCancelled = errors.New("not attempted: the run was cancelled")

// Applier executes plans through a Writer.
type Applier struct {
	Writer Writer
	// Pacer, when set, is waited on before each change (see Pacer).
	Pacer  Pacer
	Logger *slog.Logger
	// OnChange, when set, is called after each change is attempted, with its
	// status and error filled in (the audit log hooks in here). Changes
	// skipped because the run was cancelled are not reported: nothing was
	// written.
	OnChange func(plan.Change)
}

// phases is the order the applier runs actions in: a team must exist before
// anyone is added to it or invited into it, and offboarding comes last, so
// that a departed person's team removals are recorded one by one before
// the organization removal takes the rest.
func phases() [7]plan.Action {
	return [...]plan.Action{
		plan.ActionCreateTeam, plan.ActionAddMember, plan.ActionUpdateRole,
		plan.ActionRemoveMember, plan.ActionInvite,
		plan.ActionRemoveOrgMember, plan.ActionRevokeInvitation,
	}
}

// Apply runs every change of p.Changes, continuing past failures, and
// returns a copy of p whose changes carry their status (and error). Held
// changes are never applied. The Buildkite IDs the writes need come from
// org, the snapshot the plan was made from, and from teams created on the
// way; a change's email is looked up in org as it is, since both were
// normalised where they entered teamsync. Cancelling ctx stops new changes from starting; the one in flight
// finishes, and the rest are StatusSkipped with ErrCancelled. A change that
// is StatusSkipped already is left as it is.
func (a *Applier) Apply(ctx context.Context, org *model.Org, p *plan.Plan) *plan.Plan {
	out := *p
	out.Changes = make([]plan.Change, len(p.Changes))
	copy(out.Changes, p.Changes)
	run := &runState{
		org:     org,
		teamIDs: make(map[string]string),
		failed:  make(map[string]bool),
	}
	for slug, t := range org.Teams {
		run.teamIDs[slug] = t.ID
	}
	attempted := 0
	for _, action := range phases() {
		for i := range out.Changes {
			c := &out.Changes[i]
			if c.Action != action || c.Status == plan.StatusSkipped {
				// A change that comes skipped (one of a saved plan that
				// no longer holds) is neither written nor reported.
				continue
			}
			if a.Pacer != nil && ctx.Err() == nil {
				// Its error is the run's cancellation, seen just below.
				_ = a.Pacer.Pace(ctx, fmt.Sprintf("write %d/%d", attempted, len(out.Changes)))
			}
			if ctx.Err() != nil {
				// Never attempted: not an applied or failed change for the
				// audit log or metrics, only for the returned plan.
				c.Status, c.Error = plan.StatusSkipped, ErrCancelled.Error()
				continue
			}
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), ChangeTimeout)
			err := a.one(wctx, run, *c)
			cancel()
			a.record(c, err)
			attempted++
		}
	}
	out.Applied = true
	out.Recount()
	return &out
}

func (a *Applier) record(c *plan.Change, err error) {
	attrs := []any{"action", string(c.Action)}
	for _, kv := range [][2]string{{"team", c.Team}, {"email", c.Email}, {"from_role", string(c.FromRole)}, {"role", string(c.Role)}} {
		if kv[1] != "" {
			attrs = append(attrs, kv[0], kv[1])
		}
	}
	log := a.logger().With(attrs...)
	if err != nil {
		c.Status, c.Error = plan.StatusFailed, err.Error()
		log.Warn("change failed", "error", err)
	} else {
		c.Status, c.Error = plan.StatusApplied, ""
		log.Info("change applied")
	}
	if a.OnChange != nil {
		a.OnChange(*c)
	}
}

func (a *Applier) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

// runState is what one Apply learns as it goes.
type runState struct {
	org     *model.Org
	teamIDs map[string]string // slug → team ID, including teams created in this run
	failed  map[string]bool   // slugs whose creation failed
}

func (a *Applier) one(ctx context.Context, run *runState, c plan.Change) error {
	switch c.Action {
	case plan.ActionCreateTeam:
		return a.createTeam(ctx, run, c)
	case plan.ActionAddMember:
		teamID, err := run.teamID(c.Team)
		if err != nil {
			return err
		}
		member, ok := run.org.Members[c.Email]
		if !ok {
			return fmt.Errorf("%s is not a member of the organization", c.Email)
		}
		_, err = a.Writer.AddTeamMember(ctx, teamID, member.UserID, c.Role)
		return done(err, model.ErrAlreadyExists)
	case plan.ActionUpdateRole:
		id, err := run.teamMemberID(c)
		if err != nil {
			return err
		}
		return a.Writer.UpdateTeamMember(ctx, id, c.Role)
	case plan.ActionRemoveMember:
		id, err := run.teamMemberID(c)
		if err != nil {
			return err
		}
		return done(a.Writer.RemoveTeamMember(ctx, id), model.ErrNotFound)
	case plan.ActionInvite:
		assign := make([]model.TeamAssignment, 0, len(c.Teams))
		for _, tr := range c.Teams {
			id, err := run.teamID(tr.Team)
			if err != nil {
				return err
			}
			assign = append(assign, model.TeamAssignment{TeamID: id, Role: tr.Role})
		}
		return done(a.Writer.Invite(ctx, run.org.ID, c.Email, assign), model.ErrAlreadyExists)
	case plan.ActionRemoveOrgMember:
		member, ok := run.org.Members[c.Email]
		if !ok || member.ID == "" {
			return fmt.Errorf("%s is not a member of the organization", c.Email)
		}
		return done(a.Writer.RemoveOrgMember(ctx, member.ID), model.ErrNotFound)
	case plan.ActionRevokeInvitation:
		inv, ok := run.org.Invitations[c.Email]
		if !ok || inv.ID == "" {
			return fmt.Errorf("%s has no pending invitation", c.Email)
		}
		return done(a.Writer.RevokeInvitation(ctx, inv.ID), model.ErrNotFound)
	}
	return fmt.Errorf("unknown action %q", c.Action)
}

func (a *Applier) createTeam(ctx context.Context, run *runState, c plan.Change) error {
	// A change without a name or privacy (a plan saved by an older
	// teamsync) creates a secret team named after its slug.
	spec := model.NewTeam{Name: cmp.Or(c.Name, c.Team), Privacy: cmp.Or(c.Privacy, "secret")}
	id, err := a.Writer.CreateTeam(ctx, run.org.ID, spec)
	if err != nil {
		run.failed[c.Team] = true
		return err
	}
	run.teamIDs[c.Team] = id
	return nil
}

func (r *runState) teamID(slug string) (string, error) {
	if r.failed[slug] {
		return "", fmt.Errorf("team %q could not be created", slug)
	}
	id, ok := r.teamIDs[slug]
	if !ok {
		return "", fmt.Errorf("team %q does not exist in Buildkite", slug)
	}
	return id, nil
}

func (r *runState) teamMemberID(c plan.Change) (string, error) {
	t, ok := r.org.Teams[c.Team]
	if !ok {
		return "", fmt.Errorf("team %q does not exist in Buildkite", c.Team)
	}
	tm, ok := t.Members[c.Email]
	if !ok {
		return "", fmt.Errorf("%s is not a member of team %q", c.Email, c.Team)
	}
	return tm.ID, nil
}

// done treats err as success when it says the change is already in effect.
func done(err, already error) error {
	if errors.Is(err, already) {
		return nil
	}
	return err
}
