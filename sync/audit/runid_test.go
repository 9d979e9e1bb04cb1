package audit

import (
	"regexp"
	"testing"
)

func TestNewRunID(t *testing.T) {
	a, b := NewRunID(), NewRunID()
	if !regexp.MustCompile(`^[0-9a-f]{8}$`).MatchString(a) || a == b {
		t.Fatalf("run ids %q, %q", a, b)
	}
}
