package httpx

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	short := NewSecrets("x", "e")
	for _, tt := range []struct{ in, want string }{
		// A short secret never garbles ordinary words.
		{"context deadline exceeded", "context deadline exceeded"},
		{"x", Redacted},
		{"value x here", "value " + Redacted + " here"},
		{"(x)", "(" + Redacted + ")"},
	} {
		if got := short.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	s := NewSecrets("tok3n-value", " trailing-space-token \n", "a+b/c=")
	tests := []struct{ in, want string }{
		{"token tok3n-value.", "token " + Redacted + "."},
		{"tok3n-value-more", Redacted + "-more"}, // whole up to a non-word character
		{"tok3n-valuemore", "tok3n-valuemore"},   // a longer word is not the secret
		{"Xtok3n-value", "Xtok3n-value"},
		{"a trailing-space-token b", "a " + Redacted + " b"},
		{"q=a%2Bb%2Fc%3D&z", "q=" + Redacted + "&z"},
		// Shapes, whoever holds them.
		{"Authorization: SSWS 00abcDEF-ghi_jkl", "Authorization: SSWS " + Redacted},
		{"authorization: bearer abc.def", "authorization: bearer " + Redacted},
		{"group Basic Users", "group Basic Users"}, // a word, not a credential
		{"Basic McDonald", "Basic McDonald"},
		{"Basic dXNlcjpwYXNz", "Basic " + Redacted},
		{"grant_type=jwt&assertion=eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln&x=1", "grant_type=jwt&assertion=" + Redacted + "&x=1"},
		{"got eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln back", "got " + Redacted + " back"},
		{"ya29.a0AfH6SMB-x_y.z done", Redacted + " done"},
		{"bkua_0123abcd", Redacted},
		{`{"access_token":"abc123","x":1}`, `{"access_token":"` + Redacted + `","x":1}`},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY----- after", Redacted + " after"},
		{"-----BEGIN PRIVATE KEY-----\nMIIB cut short", Redacted},
		{`"private_key": "-----BEGIN…\n"`, `"private_key": "` + Redacted + `"`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := s.Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedactBeforeClip(t *testing.T) {
	token := "s3cr3t-0123456789abcdef"
	s := NewSecrets(token)
	msg := strings.Repeat("w ", 145) + token + " tail" // the token starts at 290
	got := s.Clip(msg, 300)
	if strings.Contains(got, "s3cr") {
		t.Fatalf("Clip leaked the start of the token: %q", got[280:])
	}
	if !strings.HasSuffix(got, " w [redacted]…") {
		t.Fatalf("Clip(%q…) = …%q", msg[:10], got[len(got)-20:])
	}
	if got := s.Clip("ééé", 3); got != "é…" {
		t.Fatalf("Clip cut a character: %q", got)
	}
}

func TestNilSecretsRedactsShapes(t *testing.T) {
	var s *Secrets
	s.Add("ignored")
	if got := s.Redact("Bearer abc1 ignored"); got != "Bearer "+Redacted+" ignored" {
		t.Fatalf("got %q", got)
	}
}

func TestSecretsError(t *testing.T) {
	s := NewSecrets()
	base := errors.New("boom")
	err := s.Error(fmt.Errorf("echo late-added: %w", base))
	s.Add("late-added") // a secret learnt later still counts
	if err.Error() != "echo [redacted]: boom" || !errors.Is(err, base) {
		t.Fatalf("got %q (is base: %v)", err, errors.Is(err, base))
	}
	if s.Error(nil) != nil {
		t.Fatal("Error(nil) != nil")
	}
	if s.Error(err) != err {
		t.Fatal("redacting twice wraps twice")
	}
}

func TestScope(t *testing.T) {
	root := NewSecrets("root-secret")
	run := root.Scope()
	run.Add("run-token")
	if got := run.Redact("root-secret run-token Bearer abc1"); got != "[redacted] [redacted] Bearer [redacted]" {
		t.Fatalf("scope: %q", got)
	}
	if got := root.Redact("run-token"); got != "run-token" {
		t.Fatalf("a scope's value reached its parent: %q", got)
	}
	root.Add("later")
	if got := run.Redact("later"); got != Redacted {
		t.Fatalf("a value added to the parent later is not redacted in the scope: %q", got)
	}
}
