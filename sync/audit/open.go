package audit

import (
	"fmt"
	"io/fs"
	"os"
)

// openFile opens the audit file at path for appending, creating it with
// mode 0600. It refuses a symbolic link as the last element of path:
// whoever could plant one where the audit log is expected would otherwise
// have teamsync append to, or create, any file it may write. The check
// before opening gives the clear message; O_NOFOLLOW (where the platform
// has it) closes the gap between the check and the open.
func openFile(path string) (*os.File, error) {
	if isSymlink(path) {
		return nil, symlinkError(path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|noFollow, 0o600)
	if err != nil && isSymlink(path) {
		return nil, symlinkError(path)
	}
	return f, err
}

func isSymlink(path string) bool {
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&fs.ModeSymlink != 0
}

func symlinkError(path string) error {
	return fmt.Errorf("%s is a symbolic link, which teamsync does not follow; name the file itself", path)
}
