package main

import (
	"bytes"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/review"
)

func newExplainCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "explain EMAIL",
		Short: "Say why one person has (or lacks) access, and what apply would change for them",
		Long: `explain reads the IdP groups and Buildkite as plan does and prints, for one
person: their status in each configured identity source; the mapped groups
that list them, with the nested groups they are listed through; each
managed team they should be in, with the role and the groups that grant it;
what Buildkite shows now (organization role, managed teams, a pending
invitation); and what apply would change for them. It writes nothing.

EMAIL is matched as teamsync matches people: lower-cased, and rewritten by
sync.email_domains.

Exit codes: 0 ok, 1 error.`,
		Example: `  teamsync explain alice@acme.com
  teamsync explain alice@acme.com --format json | jq '.teams[].team'`,
		// Cobra's own wording ("accepts 1 arg(s), received 0") does not
		// say what the argument is.
		Args: func(cmd *cobra.Command, args []string) error {
			switch len(args) {
			case 0:
				return usagef("explain needs one EMAIL: teamsync explain alice@acme.com")
			case 1:
				return nil
			}
			return usagef("explain takes one EMAIL, got %d arguments: %s", len(args), strings.Join(args, " "))
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			switch format {
			case review.FormatText, review.FormatJSON:
			default:
				return usagef("--format %q: want text or json", format)
			}
			email := model.NormalizeEmail(args[0])
			if !strings.Contains(email, "@") {
				return usagef("%q is not an email address", args[0])
			}
			s, err := g.session(cmd, runFlags{format: "text"})
			if err != nil {
				return err
			}
			s.checkReadAccess()
			res, who, err := s.runner.Explain(cmd.Context(), s.mapping, s.opts, email)
			if err != nil {
				return err
			}
			x := review.Explain(review.ExplainInput{
				Email: who.Email, Mapping: s.mapping, Reads: res.Reads, Org: res.Org,
				Member: who.Member, Invitation: who.Invitation, Lookups: who.Lookups,
				Plan: res.Plan, Now: s.opts.Now, Offboarding: who.Offboarding,
			})
			var buf bytes.Buffer
			if err := review.WriteExplanation(&buf, x, format); err != nil {
				return err
			}
			return g.writeOut(buf.String())
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	return cmd
}

// writeOut writes a result to stdout, redacted of the process's secrets
// as every output is.
func (g *globals) writeOut(s string) error {
	_, err := io.WriteString(g.stdout, g.secrets.Redact(s))
	return err
}
