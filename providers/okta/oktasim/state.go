package oktasim

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// Group types and user statuses as Okta spells them.
const (
	TypeOktaGroup = "OKTA_GROUP"
	TypeAppGroup  = "APP_GROUP"
	TypeBuiltIn   = "BUILT_IN"

	StatusActive = "ACTIVE"
)

// userStatuses is Okta's UserStatus enum.
var userStatuses = map[string]bool{
	"STAGED": true, "PROVISIONED": true, "ACTIVE": true, "RECOVERY": true,
	"LOCKED_OUT": true, "PASSWORD_EXPIRED": true, "SUSPENDED": true, "DEPROVISIONED": true,
}

var groupTypes = map[string]bool{TypeOktaGroup: true, TypeAppGroup: true, TypeBuiltIn: true}

// groupIDPattern is the shape of an Okta group ID: "00g" and 17 more
// alphanumerics.
var groupIDPattern = regexp.MustCompile(`^00g[0-9A-Za-z]{17}$`)

// State is the directory the simulator serves.
type State struct {
	Groups []Group `yaml:"groups"`
	// Users are users of the org in no group, or listed here to be found
	// by a user search whatever groups they are in. A user listed both
	// here and in a group (same login) is one user, with this entry's
	// email and status.
	Users []User `yaml:"users,omitempty"`
}

// Group is one Okta group and its members.
type Group struct {
	// ID is the group ID; generated from the name when empty.
	ID   string `yaml:"id,omitempty"`
	Name string `yaml:"name"`
	// Type is OKTA_GROUP (default), APP_GROUP or BUILT_IN.
	Type  string `yaml:"type,omitempty"`
	Users []User `yaml:"users"`
}

// User is one member of a group. A user listed in several groups (same
// login) is the same Okta user with the same ID.
type User struct {
	// Email is profile.email; may be empty to simulate a profile without it.
	Email string `yaml:"email,omitempty"`
	// Login is profile.login; defaults to Email.
	Login string `yaml:"login,omitempty"`
	// Status is the Okta user status; defaults to ACTIVE.
	Status string `yaml:"status,omitempty"`
}

// LoadState reads a simulator state file. Unknown keys, unknown group types
// or statuses, users with neither email nor login, and duplicate or
// malformed group IDs are errors.
func LoadState(path string) (State, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return State{}, fmt.Errorf("oktasim: read state: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var st State
	if err := dec.Decode(&st); err != nil {
		return State{}, fmt.Errorf("oktasim: parse %s: %w", path, err)
	}
	if err := st.Validate(); err != nil {
		return State{}, fmt.Errorf("oktasim: %s: %w", path, err)
	}
	return st, nil
}

// Validate reports the first problem in the state, if any.
func (st State) Validate() error {
	ids := map[string]bool{}
	var errs []error
	for i, g := range st.Groups {
		where := fmt.Sprintf("groups[%d]", i)
		if strings.TrimSpace(g.Name) == "" {
			errs = append(errs, fmt.Errorf("%s: name is empty", where))
		}
		if g.Type != "" && !groupTypes[g.Type] {
			errs = append(errs, fmt.Errorf("%s: unknown type %q", where, g.Type))
		}
		if g.ID != "" {
			if !groupIDPattern.MatchString(g.ID) {
				errs = append(errs, fmt.Errorf("%s: id %q is not 00g followed by 17 letters or digits", where, g.ID))
			}
			if ids[g.ID] {
				errs = append(errs, fmt.Errorf("%s: duplicate id %q", where, g.ID))
			}
			ids[g.ID] = true
		}
		for j, u := range g.Users {
			if err := u.validate(); err != nil {
				errs = append(errs, fmt.Errorf("%s.users[%d]: %w", where, j, err))
			}
		}
	}
	for i, u := range st.Users {
		if err := u.validate(); err != nil {
			errs = append(errs, fmt.Errorf("users[%d]: %w", i, err))
		}
	}
	return errors.Join(errs...)
}

func (u User) validate() error {
	if u.Email == "" && u.Login == "" {
		return errors.New("needs an email or a login")
	}
	if u.Status != "" && !userStatuses[u.Status] {
		return fmt.Errorf("unknown status %q", u.Status)
	}
	return nil
}

// withDefaults returns u with Login and Status filled in.
func (u User) withDefaults() User {
	if u.Login == "" {
		u.Login = u.Email
	}
	if u.Status == "" {
		u.Status = StatusActive
	}
	return u
}

// makeID derives a stable Okta-shaped ID: prefix plus alphanumerics from a
// hash of key, 20 characters in all.
func makeID(prefix, key string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	sum := sha256.Sum256([]byte(key))
	b := []byte(prefix)
	for i := 0; len(b) < 20; i++ {
		b = append(b, alphabet[int(sum[i])%len(alphabet)])
	}
	return string(b)
}

// UserID is the ID the simulator gives the user with this login (the
// email when Login is empty), for tests that expect it in an error.
func UserID(login string) string { return userID(login) }

// userID is the ID of the user with this login: the same login is the same
// user in every group.
func userID(login string) string {
	return makeID("00u", "user\x00"+strings.ToLower(login))
}
