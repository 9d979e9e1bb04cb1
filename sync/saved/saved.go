// Package saved owns the saved plan of `plan --out FILE` and `apply FILE`:
// the plan JSON with the basis it was made on, and the checks that decide
// at apply time whether the plan as a whole, and each of its changes, still
// holds. Like the planner it does no I/O: callers pass the bytes, the clock
// and what Buildkite shows now.
package saved

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/teamsync/teamsync/sync/model"
	"github.com/teamsync/teamsync/sync/plan"
)

// DefaultMaxAge is how old a saved plan apply accepts unless --max-age says
// otherwise.
const DefaultMaxAge = 24 * time.Hour

// Digests a team can have besides a hash of its memberships.
const (
	// DigestAbsent is the digest of a team that did not exist.
	DigestAbsent = "absent"
	// DigestUnknown is the digest of a team whose read failed.
	DigestUnknown = "unknown"
)

// Basis is what a plan was made on. It holds hashes, a slug and a time,
// never a credential.
type Basis struct {
	// MappingSHA256 is the SHA-256 of the mapping file's bytes.
	MappingSHA256 string `json:"mapping_sha256"`
	Organization  string `json:"organization"`
	// Teams maps each team the plan's changes touch to a digest of the
	// memberships read of it (TeamDigest).
	Teams     map[string]string `json:"teams"`
	CreatedAt time.Time         `json:"created_at"`
	// ChangesSHA256 is the SHA-256 of the plan's changes and held changes
	// as planned (ChangesHash). It catches a file edited after it was made;
	// it is no signature, so a saved plan is as trusted as where it is
	// kept (a CI artifact).
	ChangesSHA256 string `json:"changes_sha256"`
}

// ChangesHash is the hash a basis records of p's changes and held
// changes, as the planner made them (statuses and errors left out).
func ChangesHash(p *plan.Plan) string {
	strip := func(cs []plan.Change) []plan.Change {
		out := make([]plan.Change, len(cs))
		for i, c := range cs {
			c.Status, c.Error = "", ""
			out[i] = c
		}
		return out
	}
	raw, _ := json.Marshal(struct {
		Changes []plan.Change `json:"changes"`
		Held    []plan.Change `json:"held"`
	}{strip(p.Changes), strip(p.Held)})
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// File is a saved plan: plan JSON version 1 with its basis.
type File struct {
	plan.Plan
	Basis Basis `json:"basis"`
}

// MappingHash is the hash a basis records of the mapping file's bytes.
func MappingHash(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// New makes the saved form of p, planned against org from the mapping
// whose bytes hash to mappingHash, at now.
func New(p *plan.Plan, org *model.Org, mappingHash string, now time.Time) *File {
	f := &File{Plan: *p, Basis: Basis{
		MappingSHA256: mappingHash, Organization: p.Organization,
		Teams: make(map[string]string), CreatedAt: now.UTC(),
		ChangesSHA256: ChangesHash(p),
	}}
	for _, slug := range Touched(p) {
		f.Basis.Teams[slug] = TeamDigest(org, slug)
	}
	return f
}

// Touched lists, sorted, the teams whose state p's changes depend on:
// every team a change names, invitations' teams included.
func Touched(p *plan.Plan) []string {
	seen := make(map[string]bool)
	for _, c := range p.Changes {
		if c.Team != "" {
			seen[c.Team] = true
		}
		for _, tr := range c.Teams {
			seen[tr.Team] = true
		}
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// TeamDigest sums up the memberships org shows of team slug: each listed
// member's email and role and each unlisted membership's user and role,
// sorted. Any added, removed or re-roled membership changes it.
func TeamDigest(org *model.Org, slug string) string {
	if _, failed := org.TeamErrors[slug]; failed {
		return DigestUnknown
	}
	t, ok := org.Teams[slug]
	if !ok {
		return DigestAbsent
	}
	lines := make([]string, 0, len(t.Members)+len(t.Unlisted))
	for email, m := range t.Members {
		lines = append(lines, "member "+email+" "+string(m.Role))
	}
	for _, m := range t.Unlisted {
		lines = append(lines, "unlisted "+m.UserID+" "+string(m.Role))
	}
	slices.Sort(lines)
	sum := sha256.Sum256([]byte(strings.Join(lines, "\n")))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Write writes f as JSON: the plan's fields as `plan --format json` has
// them, then "basis".
func Write(w io.Writer, f *File) error {
	out := *f
	out.Changes = nonNil(out.Changes)
	out.Held = nonNil(out.Held)
	out.Unplaced = nonNil(out.Unplaced)
	out.Errors = nonNil(out.Errors)
	out.Recount()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&out); err != nil {
		return fmt.Errorf("saved plan: encode: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("saved plan: write: %w", err)
	}
	return nil
}

// Read parses a saved plan. A file that is plan JSON without a basis, or of
// another version, is refused: apply cannot check it.
func Read(raw []byte) (*File, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("not a saved plan: %w", err)
	}
	switch {
	case f.Version != plan.Version:
		return nil, fmt.Errorf("saved plan version %d: this teamsync reads version %d", f.Version, plan.Version)
	case f.Basis.MappingSHA256 == "" || f.Basis.CreatedAt.IsZero():
		return nil, fmt.Errorf(`not a saved plan: no "basis" (write one with teamsync plan --out FILE)`)
	}
	for _, c := range f.Changes {
		if c.Status != "" {
			return nil, fmt.Errorf("not a saved plan: change %s %s %s already has status %q (this is apply output)", c.Action, c.Team, c.Email, c.Status)
		}
	}
	return &f, nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
