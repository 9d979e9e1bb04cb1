package main

import (
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
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

// demoFlags are demo's own flags.
type demoFlags struct {
	dir    string // seed directory
	keep   string // keep the generated files here
	serve  bool
	listen string
}

func newDemoCmd(g *globals) *cobra.Command {
	var f demoFlags
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole job against simulated Okta, Google and Buildkite",
		Long: `demo starts simulated Okta, Google Workspace and Buildkite APIs on loopback,
seeded with a small fictional company built into the binary (from
cmd/teamsync/testdata/demo: a few teams that have drifted from the IdPs),
shows the mapping and where everything starts, and runs validate → plan →
apply → plan against them with the real clients, giving each step's exit
code and what it means. No accounts, no network.

With --serve it runs the real daemon (teamsync serve) against the same
simulators instead, on a loopback port, and prints ready-to-paste curl
lines: the metrics, a reconcile now, the last plan, a change to make in the
simulated Okta, the event hook delivery that tells the daemon about it, and
how to watch the change arrive in the simulated Buildkite. Ctrl-C stops
everything.

The generated files (the mapping with the simulators' addresses, the
Google key, the audit log) are removed on exit; --keep DIR writes them to
DIR instead and leaves them there. demo uses its own mapping, so it refuses
--config.`,
		Example: `  go run ./cmd/teamsync demo
  teamsync demo --serve                 # the daemon, to try with curl
  teamsync demo --keep ./demo-files     # keep the mapping and audit log it wrote
  teamsync demo --dir ./my-seed         # your own buildkite.yaml, okta.yaml, google.yaml, mapping.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("config") {
				return usagef("demo runs against its own mapping and does not read --config; use --dir for your own seed files")
			}
			if cmd.Flags().Changed("listen") && !f.serve {
				return usagef("--listen is for demo --serve")
			}
			if err := checkLoopback(f.listen); err != nil {
				return err
			}
			var files fs.FS
			if f.dir != "" {
				files = os.DirFS(f.dir)
			} else {
				sub, err := fs.Sub(demoFiles, "testdata/demo")
				if err != nil {
					return err
				}
				files = sub
			}
			log, err := g.logger()
			if err != nil {
				return err
			}
			dir, err := demoDir(f.keep)
			if err != nil {
				return err
			}
			w, err := startDemo(files, dir, log)
			if err != nil {
				if f.keep == "" {
					os.RemoveAll(dir)
				}
				return fmt.Errorf("demo: %w", err)
			}
			defer w.close(f.keep == "")
			if f.serve {
				err = runDemoServe(cmd.Context(), g, w, f.listen, log)
			} else {
				err = runDemo(cmd.Context(), g, w)
			}
			switch {
			case err != nil:
			case f.keep != "":
				_, err = fmt.Fprintf(g.stdout, "\nThe files are kept in %s: %s. The simulators its mapping points at are gone.\n",
					f.keep, strings.Join(w.files(), ", "))
			case f.serve:
				_, err = fmt.Fprintf(g.stdout, "\nStopped: the daemon and the simulators are gone, and %s is removed.\n", w.dir)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&f.dir, "dir", "", "seed directory (default: the built-in cmd/teamsync/testdata/demo)")
	cmd.Flags().StringVar(&f.keep, "keep", "", "write the generated files (mapping, key, audit log) to this new or empty directory and keep them")
	cmd.Flags().BoolVar(&f.serve, "serve", false, "run the daemon against the simulators until Ctrl-C, with curl lines to try")
	cmd.Flags().StringVar(&f.listen, "listen", "127.0.0.1:0", "with --serve: the daemon's loopback address (port 0: any free port)")
	return cmd
}

// checkLoopback refuses a demo address that is not on loopback: the demo
// prints its tokens for anyone to paste.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return usagef("--listen %q: %v", addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return usagef("--listen %q: the demo listens on loopback only (127.0.0.1 or ::1)", addr)
	}
	return nil
}

// demoDir is where the demo writes its files: keep, created if missing and
// refused unless empty, or else a new temporary directory.
func demoDir(keep string) (string, error) {
	if keep == "" {
		return os.MkdirTemp("", "teamsync-demo-")
	}
	if err := os.MkdirAll(keep, 0o700); err != nil {
		return "", fmt.Errorf("--keep: %w", err)
	}
	entries, err := os.ReadDir(keep)
	if err != nil {
		return "", fmt.Errorf("--keep: %w", err)
	}
	if len(entries) > 0 {
		return "", usagef("--keep %s: the directory is not empty; name a new or empty one", keep)
	}
	// The demo writes a key file there, which teamsync wants private.
	if err := os.Chmod(keep, 0o700); err != nil {
		return "", fmt.Errorf("--keep: %w", err)
	}
	return keep, nil
}

// demoWorld is the simulators the demo runs against, and the seeds they
// started from.
type demoWorld struct {
	dir       string // holds the mapping, the key and the audit log
	mapping   string // path of the mapping with the simulators' addresses
	buildkite *bksim.Server
	okta      *oktasim.Server
	google    *googlesim.Server
	servers   []*httptest.Server // buildkite, okta, google
	seed      demoSeed
}

// demoSeed is where the demo starts: the seed files as loaded.
type demoSeed struct {
	buildkite bksim.State
	okta      oktasim.State
	google    googlesim.State
}

func (w *demoWorld) close(remove bool) {
	for _, s := range w.servers {
		s.Close()
	}
	if remove {
		os.RemoveAll(w.dir)
	}
}

// files lists what the demo wrote to its directory.
func (w *demoWorld) files() []string {
	entries, _ := os.ReadDir(w.dir)
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

// startDemo starts the three simulators seeded from files and writes the
// mapping, with their addresses filled in, to dir.
func startDemo(files fs.FS, dir string, log *slog.Logger) (*demoWorld, error) {
	w := &demoWorld{dir: dir}
	fail := func(err error) (*demoWorld, error) {
		w.close(false)
		return nil, err
	}
	for _, name := range []string{"buildkite.yaml", "okta.yaml", "google.yaml", "mapping.yaml"} {
		if err := copyFile(files, name, filepath.Join(dir, name)); err != nil {
			return fail(err)
		}
	}

	var err error
	if w.seed.buildkite, err = bksim.LoadState(filepath.Join(dir, "buildkite.yaml")); err != nil {
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
	if w.buildkite, err = bksim.New(w.seed.buildkite, opts); err != nil {
		return fail(err)
	}
	if w.seed.okta, err = oktasim.LoadState(filepath.Join(dir, "okta.yaml")); err != nil {
		return fail(err)
	}
	w.okta = oktasim.New(w.seed.okta, oktasim.Options{Token: demoOktaToken})
	if w.seed.google, err = googlesim.LoadState(filepath.Join(dir, "google.yaml")); err != nil {
		return fail(err)
	}
	if w.google, err = googlesim.New(w.seed.google, googlesim.Options{}); err != nil {
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
		"{{audit_log}}", filepath.Join(dir, "audit.jsonl"),
	).Replace(string(raw))
	w.mapping = filepath.Join(dir, "mapping.yaml")
	if err := os.WriteFile(w.mapping, []byte(text), 0o600); err != nil {
		return fail(err)
	}
	return w, nil
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
