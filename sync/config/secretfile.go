package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"
)

// maxSecretFile bounds what is read from a secret or key file: a token, a
// PEM key or a service-account JSON key is a few kilobytes.
const maxSecretFile = 1 << 20

// TrimSecret drops one trailing newline ("\n" or "\r\n") from a secret's
// value and nothing else. Files written by editors, `echo` or `kubectl
// create secret --from-file` end in one; any other white space is part of
// the value as its owner wrote it.
func TrimSecret(v string) string {
	if v, ok := strings.CutSuffix(v, "\r\n"); ok {
		return v
	}
	return strings.TrimSuffix(v, "\n")
}

// ExpandPath replaces $NAME and ${NAME} in a path the mapping names (a
// token_file, okta.private_key_file or google.credentials_file) with the
// variable's value through getenv, so that a mapping can name a file in a
// directory only the environment knows, such as systemd's
// $CREDENTIALS_DIRECTORY. A variable that is not set is an error rather
// than an empty string, which would turn "${CREDENTIALS_DIRECTORY}/bk" into
// "/bk".
func ExpandPath(path string, getenv func(string) string) (string, error) {
	if !strings.Contains(path, "$") {
		return path, nil
	}
	var missing []string
	out := os.Expand(path, func(name string) string {
		v := ""
		if getenv != nil {
			v = getenv(name)
		}
		if v == "" && !slices.Contains(missing, name) {
			missing = append(missing, name)
		}
		return v
	})
	switch len(missing) {
	case 0:
		return out, nil
	case 1:
		return "", fmt.Errorf("%s names $%s, which is not set", path, missing[0])
	}
	return "", fmt.Errorf("%s names $%s, which are not set", path, strings.Join(missing, " and $"))
}

// ReadSecretFile reads the file that setting (such as
// "okta.private_key_file") names, its path expanded with ExpandPath through
// getenv, and returns its content with one trailing newline trimmed. It refuses a file that anyone but its owner may read or
// write, since whoever can read it holds the credential, with the chmod that
// fixes it; a file owned by root may also be readable (not writable) by its
// group, which is how the kubelet mounts a Secret for a pod's fsGroup. The
// error is an Error naming setting and the path, never the content.
func ReadSecretFile(setting, path string, getenv func(string) string) ([]byte, error) {
	data, err := readExpanded(path, getenv)
	if err != nil {
		return nil, Error{Path: setting, Msg: err.Error(), err: err}
	}
	return data, nil
}

// readSecretFile reads path, with the permission check when private is set,
// trims one trailing newline and refuses an empty file. Its errors carry the
// path and the reason.
func readSecretFile(path string, private bool) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, pathErr(err))
	}
	defer f.Close()
	// The mode of the file as opened, not as named: a symbolic link (as in
	// a Kubernetes Secret volume) is judged by what it points to.
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, pathErr(err))
	}
	if private {
		if err := checkPrivate(path, info); err != nil {
			return nil, err
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFile+1))
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %w", path, pathErr(err))
	}
	if len(data) > maxSecretFile {
		return nil, fmt.Errorf("%s is larger than 1 MiB; it does not look like a secret", path)
	}
	v := TrimSecret(string(data))
	if strings.TrimSpace(v) == "" {
		return nil, fmt.Errorf("file %s is empty", path)
	}
	return []byte(v), nil
}

// checkPrivate refuses a file whose mode lets others than its owner at it.
func checkPrivate(path string, info fs.FileInfo) error {
	if !fileModesMeaningful {
		return nil
	}
	perm := info.Mode().Perm()
	open := perm & 0o077
	if ownedByRoot(info) {
		open &^= 0o040 // group-readable is the owner's deliberate choice
	}
	var how string
	switch {
	case open == 0:
		return nil
	case open&0o044 != 0:
		how = "readable"
	case open&0o022 != 0:
		how = "writable"
	default:
		how = "accessible"
	}
	return fmt.Errorf("%s is %s by others (mode %04o); run: chmod 600 %s", path, how, perm, path)
}

// pathErr drops the *fs.PathError around err, whose text repeats the path
// the message already names.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
