package httpx

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRedactHandler(t *testing.T) {
	var buf bytes.Buffer
	s := NewSecrets("hook-secret-1")
	log := slog.New(RedactHandler(slog.NewTextHandler(&buf, nil), s)).With("k", "with hook-secret-1")
	log.Info("msg hook-secret-1", "err", errors.New("echo: Bearer abc1"), "n", 3, "d", time.Second,
		slog.Group("g", "inner", "hook-secret-1"))
	got := buf.String()
	for _, leak := range []string{"hook-secret-1", "abc1"} {
		if strings.Contains(got, leak) {
			t.Fatalf("log line leaks %q: %s", leak, got)
		}
	}
	for _, want := range []string{`msg="msg [redacted]"`, `k="with [redacted]"`, `err="echo: Bearer [redacted]"`, "n=3", "d=1s", `g.inner=[redacted]`} {
		if !strings.Contains(got, want) {
			t.Errorf("log line %q lacks %q", got, want)
		}
	}
}
