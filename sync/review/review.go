// Package review explains access rather than changing it: the access
// report (who is in every managed team, and which IdP groups justify it)
// and explain (one person's path from the IdPs to Buildkite). It owns
// those two views and their renderings. Like the planner it is pure: it
// takes what a run read and gives a value; no I/O, no logging, no clock,
// and the same inputs give byte-identical output.
package review

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/teamsync/teamsync/sync/config"
	"github.com/teamsync/teamsync/sync/model"
)

// organization is the organization the report and explain name: the
// mapping's buildkite.organization, else the snapshot's slug.
func organization(m *config.Mapping, org *model.Org) string {
	if m != nil && m.Buildkite.Organization != "" {
		return m.Buildkite.Organization
	}
	return org.Slug
}

// stamp is t in RFC 3339, UTC; "" when t is unknown (zero).
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// writeJSON writes v as indented JSON with a trailing newline and no HTML
// escaping, so emails and labels read as written.
func writeJSON(w io.Writer, what string, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("review: encode %s json: %w", what, err)
	}
	return write(w, what, buf.Bytes())
}

// write sends b to w in one call and wraps a failure.
func write(w io.Writer, what string, b []byte) error {
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("review: write %s: %w", what, err)
	}
	return nil
}

// nonNil turns a nil slice into an empty one, so JSON shows [] not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
