package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/reconcile"
)

// accessReader is the Buildkite client's one-query check of its token.
type accessReader interface {
	Access(ctx context.Context) (*buildkite.Access, error)
}

// tokenName names where the Buildkite token comes from, for the one error
// that says to fix it.
func tokenName(s config.Secret) string {
	if s.File != "" {
		return "the Buildkite token " + s.Name()
	}
	return s.Name()
}

// checkAccess asks Buildkite what the token may do and returns an error
// naming the token and what it lacks of what m needs: teamAdmin always,
// teamCreate when a team may be created, organizationInvitationCreate when
// missing people are invited, organizationMemberUpdate with offboarding.
// auditEventsView is information only.
func checkAccess(ctx context.Context, m *config.Mapping, bk accessReader, readOnly bool) (*buildkite.Access, error) {
	name := tokenName(m.Buildkite.Token)
	a, err := bk.Access(ctx)
	if err != nil {
		var he *buildkite.HTTPError
		if errors.As(err, &he) && (he.Status == 401 || he.Status == 403) {
			return nil, fmt.Errorf("%s was rejected (HTTP %d)", name, he.Status)
		}
		return nil, err
	}
	if readOnly {
		// A command that writes nothing needs only to read: the access
		// read above has shown the token is good and sees the
		// organization.
		return a, nil
	}
	var missing []string
	if !a.TeamAdmin {
		missing = append(missing, "teamAdmin (to change team memberships)")
	}
	if creates(m) && !a.TeamCreate {
		missing = append(missing, "teamCreate (the mapping creates teams)")
	}
	if m.Sync.MissingUsers == config.MissingInvite && !a.InvitationCreate {
		missing = append(missing, "organizationInvitationCreate (sync.missing_users is invite)")
	}
	if m.Offboarding != nil && !a.MemberUpdate {
		missing = append(missing, "organizationMemberUpdate (offboarding removes members from the organization)")
	}
	if len(missing) > 0 {
		user := a.User
		if user == "" {
			user = "no user"
		}
		return a, fmt.Errorf("%s (%s) may not, in Buildkite organization %q: %s", name, user, m.Buildkite.Organization, strings.Join(missing, "; "))
	}
	return a, nil
}

// creates reports whether any team of m has create: true.
func creates(m *config.Mapping) bool {
	for _, t := range m.Teams {
		if t.Create {
			return true
		}
	}
	return false
}

// checkedConnect wraps connect so that, once per process, the token's
// access is checked before anything else is read; seen receives what was
// found.
func checkedConnect(connect reconcile.Connector, seen func(*buildkite.Access)) reconcile.Connector {
	return checkedConnectFor(connect, false, seen)
}

// checkedConnectFor is checkedConnect; readOnly asks for no write
// permission at all (a command that writes nothing, such as explain or
// report, runs with a token that may not change teams or remove members).
func checkedConnectFor(connect reconcile.Connector, readOnly bool, seen func(*buildkite.Access)) reconcile.Connector {
	return func(ctx context.Context, m *config.Mapping) (*reconcile.Clients, error) {
		c, err := connect(ctx, m)
		if err != nil {
			return nil, err
		}
		ar, ok := c.Buildkite.(accessReader)
		if !ok {
			return c, nil
		}
		a, err := checkAccess(ctx, m, ar, readOnly)
		if err != nil {
			return nil, err
		}
		seen(a)
		return c, nil
	}
}

// describeAccess is the information line about a token that passed.
func describeAccess(a *buildkite.Access) string {
	audit := "may read the audit log (serve finds changed teams from it)"
	if !a.AuditEventsView {
		audit = "may not read the audit log (serve finds changed teams from fingerprints instead)"
	}
	return fmt.Sprintf("the Buildkite token belongs to %s, may administer teams, %s", a.User, audit)
}

// checkAccess makes the session's runs check the token's access first,
// logging what it found at debug level.
func (s *session) checkAccess() {
	s.runner.Connect = checkedConnect(s.runner.Connect, func(a *buildkite.Access) {
		s.log.Debug(describeAccess(a))
	})
}

// checkReadAccess is checkAccess for a command that writes nothing.
func (s *session) checkReadAccess() {
	s.runner.Connect = checkedConnectFor(s.runner.Connect, true, func(a *buildkite.Access) {
		s.log.Debug(describeAccess(a))
	})
}
