package okta

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// checkLinks refuses an answer whose Link headers the SDK cannot follow
// safely. The SDK reads every answer's Link headers, whatever its status,
// and trusts them: it ignores url.Parse's error and dereferences the nil
// URL (a panic), and it builds the next page's URL by appending the
// link's path to the org URL as a string, so a link such as
// ".evil.example/…" would send the credential to another host. Each link
// must therefore be a path starting with "/" or an absolute URL on the
// org's own scheme and host (whose path the SDK keeps).
func checkLinks(org *url.URL, h http.Header) error {
	for _, v := range h["Link"] {
		if err := checkLink(org, v); err != nil {
			return fmt.Errorf("the answer's Link header %w", err)
		}
	}
	return nil
}

// checkLink checks one Link header value, read as the SDK reads it: up to
// the first ";", without its angle brackets.
func checkLink(org *url.URL, v string) error {
	target, _, _ := strings.Cut(v, ";")
	target = strings.TrimRight(strings.TrimLeft(target, "<"), ">")
	u, err := url.Parse(target)
	switch {
	case err != nil:
		return errors.New("is not a URL")
	case u.User != nil:
		return errors.New("carries user information")
	case u.Scheme == "":
		if u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(target, "//") {
			return errors.New(`is neither a path starting with "/" nor a URL on the org's host`)
		}
	case !strings.EqualFold(u.Scheme, org.Scheme) || !strings.EqualFold(u.Host, org.Host):
		// The link's own scheme and host only: its path and query may
		// hold anything.
		return fmt.Errorf("points to %s://%s, not to the org (%s://%s)", u.Scheme, u.Host, org.Scheme, org.Host)
	case !strings.HasPrefix(u.Path, "/"):
		return errors.New("is a URL on the org's host without a path")
	}
	return nil
}
