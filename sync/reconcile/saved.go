package reconcile

import (
	"context"
	"fmt"
	"time"

	"github.com/teamsync/teamsync/sync/apply"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// ReadSaved is the read mode of apply FILE: only the teams the saved plan
// touches were read.
const ReadSaved = "saved"

// SavedPlan is a plan made earlier (plan --out) as apply FILE needs it.
type SavedPlan struct {
	// Plan is the plan as saved.
	Plan *plan.Plan
	// Teams are the teams its changes touch: the only ones read again.
	Teams []string
	// Recheck returns the plan to apply given what Buildkite shows now of
	// those teams: its changes that no longer hold marked skipped.
	Recheck func(org *model.Org) *plan.Plan
}

// ApplySaved applies a saved plan: it reads no IdP and only the teams the
// plan touches (with the organization's invitations and the people the
// plan adds or invites), lets sp.Recheck skip the changes that no longer
// hold, and writes the rest. No guard runs again: they ran when the plan
// was made. It returns the org it read alongside the result, so the caller
// can say which teams changed since.
func (r *Runner) ApplySaved(ctx context.Context, m *config.Mapping, sp SavedPlan) (*Result, *model.Org, error) {
	start := time.Now()
	res := &Result{Read: ReadReport{Mode: ReadSaved, TeamsRead: len(sp.Teams)}}
	clients, err := r.Connect(ctx, m)
	if err != nil {
		return res, nil, fmt.Errorf("connect: %w", err)
	}
	bk := clients.Buildkite
	finish := func() { res.Duration, res.Points = time.Since(start), bk.Points() }
	org, err := bk.ReadOrg(ctx, sp.Teams)
	if err != nil {
		finish()
		return res, nil, fmt.Errorf("read buildkite organization %q: %w", m.Buildkite.Organization, err)
	}
	if err := r.placeChanges(ctx, m, sp.Plan, org, bk); err != nil {
		finish()
		return res, nil, err
	}
	p := sp.Recheck(org)
	a := &apply.Applier{Writer: bk, Pacer: bk, Logger: r.logger(), OnChange: r.OnChange}
	res.Plan = a.Apply(ctx, org, p)
	finish()
	return res, org, nil
}

// placeChanges looks up the people p adds, invites or removes from the
// organization whom org does not show yet (or, for a removal from the
// organization, shows without the membership's ID), and adds those found
// to org.Members.
func (r *Runner) placeChanges(ctx context.Context, m *config.Mapping, p *plan.Plan, org *model.Org, bk Buildkite) error {
	var emails []string
	seen := make(map[string]bool)
	for _, c := range p.Changes {
		switch c.Action {
		case plan.ActionAddMember, plan.ActionInvite, plan.ActionRemoveOrgMember:
		default:
			continue
		}
		// Removing someone from the organization takes their
		// membership's ID, which the team reads do not give.
		if m, ok := org.Members[c.Email]; (ok && (m.ID != "" || c.Action != plan.ActionRemoveOrgMember)) || seen[c.Email] {
			continue
		}
		seen[c.Email] = true
		emails = append(emails, c.Email)
	}
	if len(emails) == 0 {
		return nil
	}
	found, err := bk.LookupMembers(ctx, emails)
	if err != nil {
		return fmt.Errorf("look up %d emails in buildkite organization %q: %w", len(emails), m.Buildkite.Organization, err)
	}
	if org.Members == nil {
		org.Members = make(map[string]model.Member, len(found))
	}
	for k, v := range found {
		org.Members[k] = v
	}
	return nil
}
