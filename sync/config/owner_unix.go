//go:build unix

package config

import (
	"io/fs"
	"syscall"
)

// fileModesMeaningful: Unix permission bits say who may read a file.
const fileModesMeaningful = true

// ownedByRoot reports whether the file belongs to uid 0.
func ownedByRoot(info fs.FileInfo) bool {
	st, ok := info.Sys().(*syscall.Stat_t)
	return ok && st.Uid == 0
}
