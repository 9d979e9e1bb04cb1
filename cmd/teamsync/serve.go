package main

import (
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/daemon"
	"github.com/teamsync/teamsync/sync/metrics"
)

func newServeCmd(g *globals) *cobra.Command {
	var listen string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run as a daemon: reconcile on a schedule, on POST /sync and on Okta events",
		Long: `serve reconciles at start and then on sync.schedule, never two runs at once.
The mapping file and secrets are re-read at every run; a mapping that no
longer validates keeps the last good one in force.

HTTP on --listen: /metrics (Prometheus), /healthz, /readyz (the last
reconcile succeeded within three schedule periods), POST /sync and GET /plan
(bearer token from TEAMSYNC_TRIGGER_TOKEN) and GET|POST /hooks/okta (Okta
Event Hooks, shared secret from TEAMSYNC_OKTA_HOOK_SECRET). Endpoints whose
secret is not set refuse every request. Either secret may instead be in a
file named by TEAMSYNC_TRIGGER_TOKEN_FILE or TEAMSYNC_OKTA_HOOK_SECRET_FILE,
read at every request, so that rotating it needs no restart.

With --dry-run (or sync.dry_run: true in the mapping when serve starts),
every run plans and writes nothing: what it would do is logged ("dry run:
would apply"), counted in teamsync_planned_changes and served on GET /plan.

Runs until SIGTERM or SIGINT: the change in flight finishes, nothing new
starts, and it exits 0.`,
		Example: `  teamsync serve
  teamsync serve --dry-run          # plan on schedule, never write
  teamsync serve --listen 127.0.0.1:9090 --log-format json
  curl -X POST -H "Authorization: Bearer $TEAMSYNC_TRIGGER_TOKEN" localhost:9090/sync
  curl -H "Authorization: Bearer $TEAMSYNC_TRIGGER_TOKEN" localhost:9090/plan | jq .summary`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := g.logger()
			if err != nil {
				return err
			}
			setMemoryLimit(g.getenv, os.ReadFile, log)
			met := metrics.New()
			c := &connector{getenv: g.getenv, logger: log, secrets: g.secrets, wrap: met.Transport}
			return daemon.Run(cmd.Context(), daemon.Config{
				ConfigPath: g.config(),
				Connect:    c.connect,
				Listen:     listen,
				Getenv:     endpointSecrets(g.getenv, log),
				Secrets:    g.secrets,
				Logger:     log,
				Metrics:    met,
				DryRun:     dryRun || mappingSaysDryRun(g.config()),
			})
		},
	}
	cmd.Flags().StringVar(&listen, "listen", daemon.DefaultListen, "HTTP address for metrics, health, /sync, /plan and hooks")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "plan on schedule and write nothing (also sync.dry_run: true)")
	return cmd
}

// mappingSaysDryRun reads sync.dry_run from the mapping as serve starts.
// This, with --dry-run, is the one place the dry-run decision is made. A
// mapping that does not load says no; the daemon then refuses to start
// with the mapping's own error.
func mappingSaysDryRun(path string) bool {
	m, err := config.Load(path)
	return err == nil && m.Sync.DryRun
}

// endpointSecrets is the daemon's environment lookup: the environment,
// except that TEAMSYNC_TRIGGER_TOKEN and TEAMSYNC_OKTA_HOOK_SECRET, when
// not set, are read from the file that NAME_FILE names, at every request,
// so that a mounted secret can be rotated without a restart. The file must
// be private like every key file (config.ReadSecretFile); one that cannot
// be read closes the endpoint and says why.
func endpointSecrets(getenv func(string) string, log *slog.Logger) func(string) string {
	return func(name string) string {
		if v := getenv(name); v != "" || (name != daemon.TriggerTokenEnv && name != daemon.OktaHookSecretEnv) {
			return v
		}
		path := getenv(name + "_FILE")
		if path == "" {
			return ""
		}
		b, err := config.ReadSecretFile(name+"_FILE", path, getenv)
		if err != nil {
			log.Warn("endpoint secret file cannot be used; the endpoint refuses every request", "error", err)
			return ""
		}
		return string(b)
	}
}
