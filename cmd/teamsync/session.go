package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/reconcile"
	"github.com/teamsync/teamsync/sync/saved"
)

// session loads the mapping, limits it to --team, checks credentials and
// builds the runner. Every failure here happens before any API call.
func (g *globals) session(cmd *cobra.Command, f runFlags) (*session, error) {
	if err := checkFormat(f.format); err != nil {
		return nil, err
	}
	opts, err := f.options(cmd)
	opts.Now = g.clock()
	if err != nil {
		return nil, err
	}
	log, err := g.logger()
	if err != nil {
		return nil, err
	}
	m, err := config.Load(g.config())
	if err != nil {
		return nil, err
	}
	// A saved plan names the mapping it was made from by this hash.
	raw, err := os.ReadFile(g.config())
	if err != nil {
		return nil, fmt.Errorf("read mapping: %w", err)
	}
	if len(f.teams) > 0 {
		if m, err = m.Select(f.teams); err != nil {
			return nil, usageError{fmt.Errorf("--team: %w", err)}
		}
	}
	if err := m.CheckCredentials(g.getenv); err != nil {
		return nil, err
	}
	c := &connector{getenv: g.getenv, logger: log, secrets: g.secrets}
	return &session{
		mapping:     m,
		mappingHash: saved.MappingHash(raw),
		opts:        opts,
		runner:      &reconcile.Runner{Connect: c.connect, Logger: log},
		log:         log,
	}, nil
}
