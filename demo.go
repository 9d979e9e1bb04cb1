// Package teamsync embeds the demo's seed files (testdata/demo) so that
// `teamsync demo` runs from any directory and in the container image. The
// program itself lives in cmd/teamsync; the packages under sync/,
// providers/ and buildkite/ do the work.
package teamsync

import "embed"

// DemoFiles holds testdata/demo: the demo company's Buildkite organization,
// Okta and Google groups, and mapping.
//
//go:embed testdata/demo/*.yaml
var DemoFiles embed.FS
