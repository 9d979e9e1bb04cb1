package review

import "testing"

func TestCanonicalEmail(t *testing.T) {
	f := newFixture()
	tests := []struct{ in, want string }{
		{"alice@corp.acme.com", "alice@acme.com"},
		{"alice@acme.com", "alice@acme.com"},
		{"guest@example.com", "guest@example.com"},
		{"", ""},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := CanonicalEmail(f.mapping, tc.in); got != tc.want {
				t.Errorf("CanonicalEmail(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	if got := CanonicalEmail(nil, "alice@corp.acme.com"); got != "alice@corp.acme.com" {
		t.Errorf("without a mapping: %q", got)
	}
}
