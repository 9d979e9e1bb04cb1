//go:build !unix

package config

import "io/fs"

// fileModesMeaningful: elsewhere the permission bits are synthesised from
// a read-only flag and say nothing about who else may read a file.
const fileModesMeaningful = false

// ownedByRoot is false where files have no Unix owner.
func ownedByRoot(fs.FileInfo) bool { return false }
