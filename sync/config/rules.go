package config

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/sync/model"
)

// validSlug reports whether s is already in slug form.
func validSlug(s string) bool { return s != "" && model.Slugify(s) == s }

// validEmail accepts the plain addresses an IdP and Buildkite hold:
// local@domain with an unquoted local part and a dotted domain name.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	if !ok || local == "" || len(local) > 64 || strings.HasPrefix(local, ".") ||
		strings.HasSuffix(local, ".") || strings.Contains(local, "..") {
		return false
	}
	for _, r := range local {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".!#$%&'*+/=?^_`{|}~-", r)) {
			return false
		}
	}
	return validDomain(domain)
}

// validDomain accepts a DNS name of at least two labels, each of letters,
// digits and inner hyphens (internationalised names in their xn-- form).
func validDomain(s string) bool {
	if len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// validEnvName reports whether s can name an environment variable.
func validEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

// looksLikeToken reports whether a would-be variable name is in fact a
// Buildkite API token pasted in by mistake, so it is never echoed back.
func looksLikeToken(s string) bool {
	return strings.HasPrefix(s, "bkua_")
}

// checkURL reports, at line, a URL under key that a credential may not be
// sent to (httpx.CheckURL: https, or http to a loopback host). The message
// names the key, not the value, which could carry a password.
func (d *decoder) checkURL(line int, path, key, u string) bool {
	if err := httpx.CheckURL(u); err != nil {
		d.add(line, path, "%s %v", key, err)
		return false
	}
	return true
}

// checkBaseURL reports, at line, a URL under key that is not a bare base
// URL: the Okta SDK appends each API path to it as a string, so a path
// would be kept, and a query string or fragment would swallow the API's
// path. As with checkURL, the message never shows the value (a query
// string may hold a key).
func (d *decoder) checkBaseURL(line int, path, key, u string) {
	var extra string
	switch p, err := url.Parse(trimSlash(strings.TrimSpace(u))); {
	case err != nil:
		return // checkURL refuses it
	case strings.Contains(u, "#"):
		extra = "a fragment"
	case strings.Contains(u, "?"):
		extra = "a query string"
	case p.Path != "" || p.RawPath != "":
		extra = "a path"
	default:
		return
	}
	d.add(line, path, "%s must be the base URL alone, such as https://acme.okta.com, but it has %s", key, extra)
}

// oneOf renders the allowed values of an enumeration for messages.
func oneOf[T ~string](vals ...T) string {
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = string(v)
	}
	return strings.Join(parts, ", ")
}

// suggest returns ` (did you mean "x"?)` for the known key closest to key,
// or "" when none is close enough to be a likely typo.
func suggest(key string, known []string) string {
	best, bestDist := "", 0
	for _, k := range known {
		d := distance(strings.ToLower(key), k)
		if best == "" || d < bestDist {
			best, bestDist = k, d
		}
	}
	if best == "" || bestDist > 1+len(key)/4 || bestDist >= len(key) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein edit distance between a and b, by bytes.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
