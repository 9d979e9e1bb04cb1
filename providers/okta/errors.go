package okta

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	oktasdk "github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/teamsync/teamsync/providers"
)

// Errors a group lookup wraps, for callers that branch with errors.Is.
var (
	// ErrGroupNotFound: no group has the ID or exact name.
	ErrGroupNotFound = errors.New("okta group not found")
	// ErrGroupAmbiguous: several groups have the exact name.
	ErrGroupAmbiguous = errors.New("okta group name is ambiguous")
	// ErrGroupRefused: the group exists but teamsync will not sync it
	// (Okta's BUILT_IN groups such as Everyone).
	ErrGroupRefused = errors.New("okta group refused")
)

// groupError is a lookup failure that names the group as written. Its text
// is `okta group "<name>": <message>`; the caller adds the team.
type groupError struct {
	group, msg string
	kind       error
}

func (e *groupError) Error() string { return fmt.Sprintf("okta group %q: %s", e.group, e.msg) }
func (e *groupError) Unwrap() error { return e.kind }

// APIError is an error answer from Okta, free of SDK types.
type APIError struct {
	// Status is the HTTP status, 0 when it is not known.
	Status int
	// Code is Okta's error code (E0000007, …) or, from the OAuth token
	// endpoint, the OAuth error ("invalid_client").
	Code string
	// Summary is Okta's errorSummary or error_description.
	Summary string
}

// Error reads "<summary> (<code>)".
func (e *APIError) Error() string {
	summary := e.Summary
	if summary == "" {
		summary = fmt.Sprintf("HTTP %d %s", e.Status, http.StatusText(e.Status))
	}
	if e.Code == "" {
		return summary
	}
	return summary + " (" + e.Code + ")"
}

// RateLimited reports whether Okta refused the request for its rate limit.
func (e *APIError) RateLimited() bool {
	return e.Status == http.StatusTooManyRequests || e.Code == "E0000047"
}

// Rejection is providers.Rejected: Okta's code (E0000011, invalid_client)
// or the status when Okta refused the credentials, else "".
func (e *APIError) Rejection() string {
	switch {
	case e.Code == "E0000011" || e.Code == "invalid_client":
		return e.Code
	case e.Status == http.StatusUnauthorized:
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return ""
}

var _ providers.Rejected = (*APIError)(nil)

// NotFound reports whether the resource does not exist.
func (e *APIError) NotFound() bool {
	return e.Code == "E0000007" || (e.Code == "" && e.Status == http.StatusNotFound)
}

// apiError converts the SDK's error and response.
func apiError(resp *oktasdk.Response, oe *oktasdk.Error) *APIError {
	e := &APIError{Code: oe.ErrorCode, Summary: oe.ErrorSummary}
	if resp != nil && resp.Response != nil {
		e.Status = resp.StatusCode
	}
	if e.Code == "" {
		e.Code = oe.ErrorMessage
	}
	if e.Summary == "" {
		e.Summary = oe.ErrorDescription
	}
	if strings.HasPrefix(e.Summary, ", ") {
		// A 500 whose body was not Okta's JSON (a proxy's page): the SDK
		// left only its ", x-okta-request-id=…" suffix.
		e.Summary = fmt.Sprintf("HTTP %d %s%s", e.Status, http.StatusText(e.Status), e.Summary)
	}
	var causes []string
	for _, c := range oe.ErrorCauses {
		if s, ok := c["errorSummary"].(string); ok && s != "" {
			causes = append(causes, s)
		}
	}
	if len(causes) > 0 {
		e.Summary += ": " + strings.Join(causes, "; ")
	}
	return e
}

// clean turns what the SDK returned into an error without SDK types and
// without URLs: a *url.Error from the token request would quote the client
// assertion, which the SDK puts in the query string.
func clean(resp *oktasdk.Response, err error) error {
	var oe *oktasdk.Error
	if errors.As(err, &oe) {
		return apiError(resp, oe)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
