package main

import (
	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/sync/daemon"
	"github.com/teamsync/teamsync/sync/metrics"
)

func newServeCmd(g *globals) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run as a daemon: reconcile on a schedule, on POST /sync and on Okta events",
		Long: `serve reconciles at start and then on sync.schedule, never two runs at once.
The mapping file and secrets are re-read at every run; a mapping that no
longer validates keeps the last good one in force.

HTTP on --listen: /metrics (Prometheus), /healthz, /readyz (the last
reconcile succeeded within three schedule periods), POST /sync (bearer token
from TEAMSYNC_TRIGGER_TOKEN) and GET|POST /hooks/okta (Okta Event Hooks,
shared secret from TEAMSYNC_OKTA_HOOK_SECRET). Endpoints whose secret is not
set refuse every request.

Runs until SIGTERM or SIGINT: the change in flight finishes, nothing new
starts, and it exits 0.`,
		Example: `  teamsync serve
  teamsync serve --listen 127.0.0.1:9090 --log-format json
  curl -X POST -H "Authorization: Bearer $TEAMSYNC_TRIGGER_TOKEN" localhost:9090/sync`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			met := metrics.New()
			c := &connector{getenv: g.getenv, logger: log, secrets: g.secrets, wrap: met.Transport}
			return daemon.Run(cmd.Context(), daemon.Config{
				ConfigPath: g.config(),
				Connect:    c.connect,
				Listen:     listen,
				Getenv:     g.getenv,
				Secrets:    g.secrets,
				Logger:     log,
				Metrics:    met,
			})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", daemon.DefaultListen, "HTTP address for metrics, health, /sync and hooks")
	return cmd
}
