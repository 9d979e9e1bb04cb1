// Command teamsync keeps Buildkite teams in step with identity-provider
// groups. See README.md and `teamsync --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	scrubOktaEnv()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv})
	stop()
	os.Exit(code)
}

// scrubOktaEnv removes the Okta SDK's own configuration variables
// (OKTA_CLIENT_*, OKTA_TESTING_*) from the process. teamsync sets every SDK
// option explicitly, so they could only leak a developer's settings in, and
// the SDK prints parse errors for them to stdout, which would corrupt
// `teamsync plan --format json`.
func scrubOktaEnv() {
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "OKTA_CLIENT_") || strings.HasPrefix(name, "OKTA_TESTING_") {
			os.Unsetenv(name)
		}
	}
}
