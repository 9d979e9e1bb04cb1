package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/buildkite"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/plan"
)

func newValidateCmd(g *globals) *cobra.Command {
	var online bool
	cmd := &cobra.Command{
		Use:   "validate",
		Short: "Check mapping.yaml (offline), or also credentials, groups and teams (--online)",
		Long: `validate checks the mapping file's structure and reports every problem with
its file:line. It needs no credentials, so pull-request builds without
secrets can run it.

With --online it also resolves the credentials and reads every group and
team the mapping names, reporting any that do not exist. It writes nothing.

Exit codes: 0 valid, 1 invalid.`,
		Example: `  teamsync validate
  teamsync validate --config teams/mapping.yaml
  teamsync validate --online`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, err := g.logger(); err != nil { // bad global flags are errors here too
				return err
			}
			path := g.config()
			if !online {
				m, err := config.Load(path)
				if err != nil {
					return err
				}
				warnExpiring(g, m, g.clock())
				_, err = fmt.Fprintf(g.stdout, "%s: valid (%s)\n", path, describe(m))
				return err
			}
			s, err := g.session(cmd, runFlags{format: "text"})
			if err != nil {
				return err
			}
			warnExpiring(g, s.mapping, s.opts.Now)
			var access *buildkite.Access
			s.runner.Connect = checkedConnect(s.runner.Connect, func(a *buildkite.Access) { access = a })
			// Offboarding is checked by one search of its source, not by
			// judging the whole organization.
			s.runner.JudgeOnly = []string{}
			res, err := s.runner.Plan(cmd.Context(), s.mapping, plan.Options{Now: s.opts.Now})
			if err != nil {
				return err
			}
			if n := len(res.Plan.Errors); n > 0 {
				for _, e := range res.Plan.Errors {
					where := fmt.Sprintf("team %q: ", e.Team)
					if e.Team == "" {
						where = "" // an organization-wide problem, such as offboarding's
					}
					fmt.Fprintf(g.stderr, "%s: %s%s: %s\n", path, where, e.Source, g.secrets.Redact(e.Message))
				}
				return fmt.Errorf("%s: %s found online", path, plural(n, "problem", "problems"))
			}
			if _, err = fmt.Fprintf(g.stdout, "%s: valid online (%s; credentials, groups and teams checked)\n", path, describe(s.mapping)); err != nil {
				return err
			}
			if access != nil {
				_, err = fmt.Fprintf(g.stdout, "%s: %s\n", path, describeAccess(access))
			}
			return err
		},
	}
	cmd.Flags().BoolVar(&online, "online", false, "also check credentials and that every group and team exists")
	return cmd
}

// describe counts what a mapping manages, for validate's one-line verdict.
func describe(m *config.Mapping) string {
	groups := 0
	for _, t := range m.Teams {
		groups += len(t.Groups)
	}
	s := plural(len(m.Teams), "team", "teams") + ", " + plural(groups, "group entry", "group entries")
	// Offboarding removes people from the organization: a reviewer of the
	// summary line should see that it is on, and who decides.
	if o := m.Offboarding; o != nil {
		s += ", offboarding by " + o.Source + " for " + strings.Join(o.Domains, ", ")
	}
	return s
}

// expiringWithin is how far ahead validate warns of an expires:.
const expiringWithin = 7 * 24 * time.Hour

// warnExpiring writes a warning to stderr for each group entry that has
// expired at now or expires within expiringWithin; they do not make the
// mapping invalid.
func warnExpiring(g *globals, m *config.Mapping, now time.Time) {
	for _, t := range m.Teams {
		for _, e := range t.Groups {
			at := e.Expires.UTC().Format(time.RFC3339)
			switch {
			case e.Expires.IsZero() || e.Expires.Sub(now) > expiringWithin:
			case e.ExpiredAt(now):
				fmt.Fprintf(g.stderr, "%s:%d: warning: team %q: %s expired at %s and grants nothing\n", m.Path, e.ExpiresLine, t.Slug, e.Label(), at)
			default:
				fmt.Fprintf(g.stderr, "%s:%d: warning: team %q: %s expires at %s, in %s\n", m.Path, e.ExpiresLine, t.Slug, e.Label(), at, inWords(e.Expires.Sub(now)))
			}
		}
	}
}

// inWords says roughly how long d is: whole days, else whole hours.
func inWords(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day", "days")
	case d >= time.Hour:
		return plural(int(d/time.Hour), "hour", "hours")
	}
	return "less than an hour"
}
