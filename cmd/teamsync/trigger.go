package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/daemon"
)

// triggerPoll is how often trigger --wait asks the daemon about its run.
const triggerPoll = 500 * time.Millisecond

func newTriggerCmd(g *globals) *cobra.Command {
	var rawURL string
	var full, wait bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "trigger --url URL",
		Short: "Ask a running teamsync serve for a run now",
		Long: `trigger asks a running daemon (teamsync serve) for a reconcile now, with
POST /sync and the bearer token in TEAMSYNC_TRIGGER_TOKEN, so that the daemon
stays the only writer. --full makes the run read Buildkite in full.

With --wait, if a run is going, it asks again once that run has ended; it
then follows its own run (GET /runs/{id}) until it finishes, prints
its summary and exits as apply would. The URL must be https, or http to a
loopback host: the token travels with every request.

Exit codes: 0 started (or, with --wait, all applied), 1 any error (the
daemon busy or refusing, or the run failed), 3 a guard held changes back.`,
		Example: `  TEAMSYNC_TRIGGER_TOKEN=… teamsync trigger --url https://teamsync.internal:9090 --wait
  kubectl port-forward deploy/teamsync 9090 & teamsync trigger --url http://127.0.0.1:9090 --full --wait`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rawURL == "" {
				return usagef("--url is required: the daemon's address, such as https://teamsync.internal:9090")
			}
			if err := httpx.CheckURL(rawURL); err != nil {
				return usagef("--url %w", err)
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			// The same lookup as serve's: the variable, else the file
			// that NAME_FILE names.
			token := config.TrimSecret(endpointSecrets(g.getenv, log)(daemon.TriggerTokenEnv))
			if strings.TrimSpace(token) == "" {
				return fmt.Errorf("%s (or %s_FILE) is not set or empty", daemon.TriggerTokenEnv, daemon.TriggerTokenEnv)
			}
			g.secrets.Add(token)
			t := &triggerClient{base: strings.TrimRight(strings.TrimSpace(rawURL), "/"), token: token,
				http: &http.Client{
					Timeout: 30 * time.Second,
					// The token is for the daemon named, nowhere else.
					CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
				}}
			ctx := cmd.Context()
			if wait && timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			id, err := t.start(ctx, full)
			for wait && errors.Is(err, errBusy) {
				// A run is going (the schedule's, or another job's): with
				// --wait, ask again once it has ended rather than fail.
				log.Info("the daemon is running a reconcile; asking again when it ends")
				select {
				case <-ctx.Done():
					return waitErr(ctx, timeout)
				case <-time.After(triggerPoll):
				}
				id, err = t.start(ctx, full)
			}
			if err != nil {
				return err
			}
			if !wait {
				_, err := fmt.Fprintf(g.stdout, "run %s started\n", id)
				return err
			}
			st, err := t.wait(ctx, id)
			if err != nil {
				if ctx.Err() != nil {
					return fmt.Errorf("run %s: %w", id, waitErr(ctx, timeout))
				}
				return err
			}
			line := fmt.Sprintf("run %s finished: %s", id, st.Result)
			if s := st.Summary; s != nil {
				line += fmt.Sprintf(" (%d applied, %d failed; %d held, %d unplaced, %s)", s.Applied, s.Failed, s.Held, s.Unplaced, plural(s.Errors, "error", "errors"))
			}
			if st.Error != "" {
				line += ": " + st.Error
			}
			if _, err := fmt.Fprintln(g.stdout, line); err != nil {
				return err
			}
			switch st.Result {
			case audit.ResultSuccess, "skipped":
				return nil
			case audit.ResultHeld:
				return exitCode(exitHeld)
			}
			return exitCode(exitError)
		},
	}
	cmd.Flags().StringVar(&rawURL, "url", "", "the daemon's address (https, or http to a loopback host)")
	cmd.Flags().BoolVar(&full, "full", false, "make the run read Buildkite in full")
	cmd.Flags().BoolVar(&wait, "wait", false, "wait for the run to finish, print its summary and exit as apply would")
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Hour, "with --wait, give up after this long (a busy daemon included); 0 waits without limit")
	return cmd
}

// errBusy is the daemon's 409: a run is going.
var errBusy = errors.New("the daemon is running a reconcile already (HTTP 409); --wait asks again until it ends")

// triggerClient talks to one daemon.
type triggerClient struct {
	base, token string
	http        *http.Client
}

func (t *triggerClient) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+t.token)
	resp, err := t.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL, which is in the command line already
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return fmt.Errorf("%s was refused by the daemon (HTTP 401)", daemon.TriggerTokenEnv)
	case resp.StatusCode == http.StatusConflict:
		return errBusy
	case resp.StatusCode/100 != 2:
		return fmt.Errorf("%s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: the answer is not the daemon's JSON: %w", method, path, err)
	}
	return nil
}

// start asks for a run and returns its id.
func (t *triggerClient) start(ctx context.Context, full bool) (string, error) {
	path := "/sync"
	if full {
		path += "?full=true"
	}
	var out struct {
		RunID string `json:"run_id"`
	}
	if err := t.do(ctx, http.MethodPost, path, &out); err != nil {
		return "", err
	}
	if out.RunID == "" {
		return "", fmt.Errorf("POST %s: the daemon named no run", path)
	}
	return out.RunID, nil
}

// wait polls the run until it has finished.
func (t *triggerClient) wait(ctx context.Context, id string) (*daemon.RunStatus, error) {
	for {
		var st daemon.RunStatus
		if err := t.do(ctx, http.MethodGet, "/runs/"+url.PathEscape(id), &st); err != nil {
			return nil, err
		}
		if st.State == daemon.RunFinished {
			return &st, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(triggerPoll):
		}
	}
}

// waitErr says why trigger --wait stopped waiting: its --timeout, or the
// process being interrupted.
func waitErr(ctx context.Context, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("gave up waiting after --timeout %s (the run goes on in the daemon)", timeout)
	}
	return ctx.Err()
}
