package httpx

import (
	"net"
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
