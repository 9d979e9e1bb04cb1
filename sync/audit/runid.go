package audit

import (
	"crypto/rand"
	"encoding/hex"
)

// NewRunID returns 8 random hex digits: short enough to read in a log line,
// enough to tell a day's runs apart.
func NewRunID() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
