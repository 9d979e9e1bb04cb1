package main

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/google/googlesim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// demoFiles holds testdata/demo, the demo company's Buildkite organization,
// Okta and Google groups, and mapping, so that `teamsync demo` runs from
// any directory and in the container image.
//
//go:embed testdata/demo/*.yaml
var demoFiles embed.FS

// Tokens the demo's simulators accept. They are not secrets: nothing but
// the simulators on loopback ever sees them.
const (
	demoBuildkiteToken = "demo-buildkite-token"
	demoOktaToken      = "demo-okta-token"
)

func newDemoCmd(g *globals) *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole job against simulated Okta, Google and Buildkite",
		Long: `demo starts simulated Okta, Google Workspace and Buildkite APIs on loopback,
seeded with a small fictional company built into the binary (from
cmd/teamsync/testdata/demo: a few teams that have drifted from the IdPs),
and runs validate → plan → apply → plan against them with the real
clients. No accounts, no network.`,
		Example: `  go run ./cmd/teamsync demo
  teamsync demo --dir ./my-seed   # your own buildkite.yaml, okta.yaml, google.yaml, mapping.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var files fs.FS
			if dir != "" {
				files = os.DirFS(dir)
			} else {
				sub, err := fs.Sub(demoFiles, "testdata/demo")
				if err != nil {
					return err
				}
				files = sub
			}
			return runDemo(cmd.Context(), g, files)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "seed directory (default: the built-in cmd/teamsync/testdata/demo)")
	return cmd
}

// demoWorld is the simulators the demo runs against.
type demoWorld struct {
	dir       string // temporary directory holding the mapping and keys
	buildkite *bksim.Server
	okta      *oktasim.Server
	google    *googlesim.Server
	servers   []*httptest.Server
}

func (w *demoWorld) close() {
	for _, s := range w.servers {
		s.Close()
	}
	os.RemoveAll(w.dir)
}

func runDemo(ctx context.Context, g *globals, files fs.FS) error {
	log, err := g.logger()
	if err != nil {
		return err
	}
	w, mapping, err := startDemo(files, log)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer w.close()

	demoEnv := map[string]string{
		"BUILDKITE_API_TOKEN": demoBuildkiteToken,
		"OKTA_API_TOKEN":      demoOktaToken,
	}
	step := func(title string, want int, args ...string) error {
		fmt.Fprintf(g.stdout, "\n━━━ %s\n$ teamsync %s\n\n", title, strings.Join(args, " "))
		args = append(args, "--config", mapping, "--log-format", g.logFormat, "--log-level", g.logLevel)
		code := run(ctx, args, env{stdout: g.stdout, stderr: g.stderr, getenv: func(k string) string { return demoEnv[k] }})
		if code != want {
			return fmt.Errorf("demo: teamsync %s exited %d, want %d", args[0], code, want)
		}
		return nil
	}
	fmt.Fprintf(g.stdout, "teamsync demo: simulated Buildkite at %s, Okta at %s, Google at %s\n",
		w.servers[0].URL, w.servers[1].URL, w.servers[2].URL)
	if err := step("1. Check the mapping (no credentials needed)", exitOK, "validate"); err != nil {
		return err
	}
	if err := step("2. Plan: what would change, and which group caused it", exitOK, "plan"); err != nil {
		return err
	}
	w.buildkite.ResetStats()
	if err := step("3. Apply", exitOK, "apply"); err != nil {
		return err
	}
	applied := w.buildkite.Stats()
	if err := step("4. Plan again: Buildkite now matches the IdPs", exitOK, "plan", "--detailed-exitcode"); err != nil {
		return err
	}
	_, err = fmt.Fprintf(g.stdout, "\nThe apply step sent %d GraphQL requests (%d mutations). Okta served %d requests, Google %d, over all four steps.\n",
		applied.Requests, applied.Mutations, w.okta.TotalRequests(), w.google.TotalRequests())
	return err
}

// startDemo starts the three simulators seeded from files and writes the
// mapping with their addresses filled in. It returns the mapping's path.
func startDemo(files fs.FS, log *slog.Logger) (*demoWorld, string, error) {
	dir, err := os.MkdirTemp("", "teamsync-demo-")
	if err != nil {
		return nil, "", err
	}
	w := &demoWorld{dir: dir}
	fail := func(err error) (*demoWorld, string, error) {
		w.close()
		return nil, "", err
	}
	for _, name := range []string{"buildkite.yaml", "okta.yaml", "google.yaml", "mapping.yaml"} {
		if err := copyFile(files, name, filepath.Join(dir, name)); err != nil {
			return fail(err)
		}
	}

	bkState, err := bksim.LoadState(filepath.Join(dir, "buildkite.yaml"))
	if err != nil {
		return fail(err)
	}
	// Every operation is validated against the schema shipped with bksim,
	// or against Buildkite's own where it is at hand.
	opts := bksim.Options{Token: demoBuildkiteToken, Logger: log.With("sim", "buildkite"), Schema: bksim.MinimalSchema()}
	if path := bksim.SchemaPath(); path != "" {
		if opts.Schema, err = bksim.LoadSchema(path); err != nil {
			return fail(err)
		}
	}
	if w.buildkite, err = bksim.New(bkState, opts); err != nil {
		return fail(err)
	}
	oktaState, err := oktasim.LoadState(filepath.Join(dir, "okta.yaml"))
	if err != nil {
		return fail(err)
	}
	w.okta = oktasim.New(oktaState, oktasim.Options{Token: demoOktaToken})
	googleState, err := googlesim.LoadState(filepath.Join(dir, "google.yaml"))
	if err != nil {
		return fail(err)
	}
	if w.google, err = googlesim.New(googleState, googlesim.Options{}); err != nil {
		return fail(err)
	}
	bk, ok, gg := httptest.NewServer(w.buildkite), httptest.NewServer(w.okta), httptest.NewServer(w.google)
	w.servers = append(w.servers, bk, ok, gg)

	key, err := w.google.WriteServiceAccountKey(dir, gg.URL+"/token")
	if err != nil {
		return fail(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "mapping.yaml"))
	if err != nil {
		return fail(err)
	}
	text := strings.NewReplacer(
		"{{buildkite_url}}", bk.URL+"/v1",
		"{{okta_url}}", ok.URL,
		"{{google_endpoint}}", gg.URL+"/",
		"{{google_credentials}}", key,
	).Replace(string(raw))
	mapping := filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(mapping, []byte(text), 0o600); err != nil {
		return fail(err)
	}
	return w, mapping, nil
}

func copyFile(files fs.FS, name, to string) error {
	src, err := files.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("seed file %s is missing", name)
		}
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}
