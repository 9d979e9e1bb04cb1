package httpx

import "testing"

func TestIsLoopbackHost(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true},
		{"LOCALHOST", true},
		{"LocalHost", true},
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"0:0:0:0:0:0:0:1", true},
		{"::ffff:127.0.0.1", true}, // 127.0.0.1, IPv4-mapped
		{"128.0.0.1", false},
		{"10.0.0.1", false},
		{"::2", false},
		{"[::1]", false}, // Hostname strips brackets; a raw one is not a host
		{"localhost.", false},
		{"localhost.example.com", false},
		{"mylocalhost", false},
		{"", false},
		{"acme.okta.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := IsLoopbackHost(tt.host); got != tt.want {
				t.Errorf("IsLoopbackHost(%q) = %v, want %v", tt.host, got, tt.want)
			}
		})
	}
}
