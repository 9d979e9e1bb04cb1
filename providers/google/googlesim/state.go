package googlesim

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Member types and roles as the Directory API spells them.
const (
	TypeUser     = "USER"
	TypeGroup    = "GROUP"
	TypeCustomer = "CUSTOMER"
	TypeExternal = "EXTERNAL"

	RoleOwner   = "OWNER"
	RoleManager = "MANAGER"
	RoleMember  = "MEMBER"

	StatusActive    = "ACTIVE"
	StatusSuspended = "SUSPENDED"
	// StatusAbsent in a Member makes the listing omit the status field, as
	// Google does for members it cannot verify.
	StatusAbsent = "-"
)

// State is the directory the simulator serves.
type State struct {
	Groups []Group `yaml:"groups"`
	Users  []User  `yaml:"users,omitempty"`
}

// Group is one Google group and its direct members.
type Group struct {
	Email   string   `yaml:"email"`
	Name    string   `yaml:"name,omitempty"`
	Aliases []string `yaml:"aliases,omitempty"`
	Members []Member `yaml:"members,omitempty"`
}

// Member is one direct membership row of a group.
type Member struct {
	// Email of the user or nested group; empty for CUSTOMER.
	Email string `yaml:"email,omitempty"`
	// Type is USER (default), GROUP, CUSTOMER or EXTERNAL.
	Type string `yaml:"type,omitempty"`
	// Role is MEMBER (default), MANAGER or OWNER.
	Role string `yaml:"role,omitempty"`
	// Status is what the listing reports. Empty means ACTIVE, or SUSPENDED
	// when the member is a suspended user of State.Users; StatusAbsent ("-")
	// leaves the field out.
	Status string `yaml:"status,omitempty"`
	// HideEmail leaves the email out of the row (it still names the member
	// here): a USER row teamsync cannot match to anyone.
	HideEmail bool `yaml:"hide_email,omitempty"`
}

// User is a user account of the directory, served by users.get.
type User struct {
	Email     string   `yaml:"email"`
	Suspended bool     `yaml:"suspended,omitempty"`
	Archived  bool     `yaml:"archived,omitempty"`
	Aliases   []string `yaml:"aliases,omitempty"`
}

// LoadState reads a State from a YAML file, rejecting unknown keys.
func LoadState(path string) (State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return State{}, fmt.Errorf("googlesim: load state: %w", err)
	}
	var st State
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&st); err != nil && !errors.Is(err, io.EOF) {
		return State{}, fmt.Errorf("googlesim: load state %s: %w", path, err)
	}
	return st, nil
}

// normalized checks the state and returns a copy with defaults filled in.
func (st State) normalized() (State, error) {
	out := State{}
	keys := map[string]string{} // lower-case group email or alias → owner
	for _, g := range st.Groups {
		g.Email = strings.TrimSpace(g.Email)
		if g.Email == "" {
			return State{}, errors.New("googlesim: a group has no email")
		}
		for _, k := range append([]string{g.Email}, g.Aliases...) {
			lk := strings.ToLower(k)
			if prev, dup := keys[lk]; dup {
				return State{}, fmt.Errorf("googlesim: group key %q used by %q and %q", k, prev, g.Email)
			}
			keys[lk] = g.Email
		}
		members, err := normalizeMembers(g.Email, g.Members)
		if err != nil {
			return State{}, err
		}
		g.Members = members
		g.Aliases = append([]string(nil), g.Aliases...)
		out.Groups = append(out.Groups, g)
	}
	users := map[string]string{}
	for _, u := range st.Users {
		u.Email = strings.TrimSpace(u.Email)
		if u.Email == "" {
			return State{}, errors.New("googlesim: a user has no email")
		}
		for _, k := range append([]string{u.Email}, u.Aliases...) {
			lk := strings.ToLower(k)
			if prev, dup := users[lk]; dup {
				return State{}, fmt.Errorf("googlesim: user key %q used by %q and %q", k, prev, u.Email)
			}
			users[lk] = u.Email
		}
		u.Aliases = append([]string(nil), u.Aliases...)
		out.Users = append(out.Users, u)
	}
	return out, nil
}

func normalizeMembers(group string, in []Member) ([]Member, error) {
	out := make([]Member, 0, len(in))
	seen := map[string]bool{}
	for _, m := range in {
		m.Email = strings.TrimSpace(m.Email)
		if m.Type == "" {
			m.Type = TypeUser
		}
		if m.Role == "" {
			m.Role = RoleMember
		}
		switch m.Type {
		case TypeUser, TypeGroup, TypeExternal:
			if m.Email == "" {
				return nil, fmt.Errorf("googlesim: group %q: a %s member has no email", group, m.Type)
			}
		case TypeCustomer:
			if m.Email != "" {
				return nil, fmt.Errorf("googlesim: group %q: a CUSTOMER member has an email", group)
			}
		default:
			return nil, fmt.Errorf("googlesim: group %q: member %q has unknown type %q", group, m.Email, m.Type)
		}
		switch m.Role {
		case RoleOwner, RoleManager, RoleMember:
		default:
			return nil, fmt.Errorf("googlesim: group %q: member %q has unknown role %q", group, m.Email, m.Role)
		}
		key := m.Type + ":" + strings.ToLower(m.Email)
		if seen[key] {
			return nil, fmt.Errorf("googlesim: group %q: member %q listed twice", group, m.Email)
		}
		seen[key] = true
		out = append(out, m)
	}
	return out, nil
}

// id derives a stable, Google-looking id from a kind and a key, so that a
// nested group's member row and its groups.get carry the same id.
func id(prefix, key string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(key)))
	return prefix + hex.EncodeToString(sum[:])[:15]
}

// UserID is the id the simulator gives the user whose primary email this
// is (or the outside address, for one it does not know), for tests that
// expect it in an error.
func UserID(email string) string { return numericID(email) }

// numericID derives a stable numeric id, the shape Google gives users.
func numericID(key string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(key)))
	var b strings.Builder
	b.WriteByte('1')
	for _, c := range sum[:20] {
		b.WriteByte('0' + c%10)
	}
	return b.String()
}

// etag is a quoted opaque tag over the given parts.
func etag(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return `"` + hex.EncodeToString(sum[:])[:27] + `"`
}
