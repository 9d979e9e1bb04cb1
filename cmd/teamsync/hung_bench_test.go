package main

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
)

// BenchmarkHungAPI measures how long `teamsync plan` takes to fail when one
// API stops answering altogether, with the default timeouts (each API's
// request_timeout of 2m, 30s per attempt). It reports seconds, not a
// pass/fail bound: run it on purpose, it takes about two minutes an API.
//
//	go test ./cmd/teamsync -run '^$' -bench HungAPI -benchtime 1x
func BenchmarkHungAPI(b *testing.B) {
	dir := filepath.Join("..", "..", "testdata", "scenarios", "okta-and-google")
	for _, api := range []string{"buildkite", "okta", "google"} {
		b.Run(api, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var st bksim.State
				readYAML(b, filepath.Join(dir, "buildkite.yaml"), &st)
				sim, srv := bksimtest.Start(b, st)
				if api == "buildkite" {
					sim.Inject(bksim.Fault{Stall: time.Hour, Times: 1 << 30})
				}
				h := newHarness(b, dir, srv.URL, []scenarioFault{{Source: api, Hang: true}})
				var out, errs bytes.Buffer
				start := time.Now()
				code := run(context.Background(), []string{"plan", "--config", h.config},
					env{stdout: &out, stderr: &errs, getenv: func(k string) string { return h.env[k] }})
				took := time.Since(start)
				if code != exitError {
					b.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errs.String())
				}
				b.ReportMetric(took.Seconds(), "s-to-fail")
				b.Logf("%s hung: plan failed after %s\nstdout:\n%s\nstderr:\n%s", api, took.Round(time.Second), out.String(), errs.String())
			}
		})
	}
}
