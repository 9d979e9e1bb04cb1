package main

import (
	"bytes"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/sync/review"
)

func newReportCmd(g *globals) *cobra.Command {
	var format string
	var teams []string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Access review: every member of every managed team, and the groups that justify them",
		Long: `report reads the IdP groups and Buildkite and lists every member of every
managed team with their role, the IdP groups that justify it and when the
membership was created; the members no group justifies (in authoritative
teams the next apply removes them; in additive and observe teams they stay,
and are listed apart); the organization's admins; and the pending
invitations. Members of a team one of whose groups could not be read are
"unknown", never "unjustified". It writes nothing.

The report is sorted and carries no time of its own, so two reports of the
same state are byte-identical and diff cleanly: it is the evidence an
access review asks for.

Exit codes: 0 ok, 1 error (including a failed group or Buildkite read).`,
		Example: `  teamsync report > access-review.md
  teamsync report --format csv > access-review.csv
  teamsync report --format json --team platform | jq '.teams[0].members'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch format {
			case review.FormatMarkdown, "md", review.FormatCSV, review.FormatJSON:
			default:
				return usagef("--format %q: want markdown, csv or json", format)
			}
			s, err := g.session(cmd, runFlags{format: "text", teams: teams})
			if err != nil {
				return err
			}
			s.checkReadAccess()
			s.runner.ReadPeople = true
			// The report is about teams and admins: offboarding's
			// lookups would only cost IdP requests.
			m := *s.mapping
			m.Offboarding = nil
			res, err := s.runner.Plan(cmd.Context(), &m, s.opts)
			if err != nil {
				return err
			}
			in := review.ReportInput{Mapping: s.mapping, Reads: res.Reads, Org: res.Org, Now: s.opts.Now, Teams: teams}
			if res.People != nil {
				in.People = res.People.People
				if res.People.Err != nil {
					s.log.Error("the organization's members could not be read: the report lists no admins", "error", res.People.Err)
				}
			}
			var buf bytes.Buffer
			if err := review.WriteReport(&buf, review.BuildReport(in), format); err != nil {
				return err
			}
			if err := g.writeOut(buf.String()); err != nil {
				return err
			}
			if len(res.Plan.Errors) > 0 || (res.People != nil && res.People.Err != nil) {
				return exitCode(exitError)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "markdown", "output format: markdown, csv or json")
	cmd.Flags().StringArrayVar(&teams, "team", nil, "limit the report to this team slug (repeatable)")
	return cmd
}
