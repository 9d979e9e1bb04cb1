package httpx

import (
	"fmt"
	"net"
	"net/url"
	"strings"
)

// IsLoopbackHost reports whether host, as url.URL.Hostname returns it (no
// port, no brackets), names this machine: "localhost" in any case, an
// address in 127.0.0.0/8, or ::1. Plain http is acceptable only to such a
// host, since credentials travel with every request.
func IsLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// CheckURL returns nil when raw is a URL a credential may be sent to: an
// absolute https URL, or http to a loopback host. The error says what is
// wrong without repeating raw, so callers can name the setting: it never
// holds user information, which could be a password.
func CheckURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	switch {
	case err != nil || u.Host == "" || u.Hostname() == "":
		return fmt.Errorf("is not an absolute https URL")
	case u.User != nil:
		return fmt.Errorf("must not carry a user name or password")
	case strings.EqualFold(u.Scheme, "https"):
		return nil
	case strings.EqualFold(u.Scheme, "http") && IsLoopbackHost(u.Hostname()):
		return nil
	case strings.EqualFold(u.Scheme, "http"):
		return fmt.Errorf("must use https (http is allowed only to a loopback host such as 127.0.0.1 or localhost)")
	}
	return fmt.Errorf("is not an absolute https URL")
}
