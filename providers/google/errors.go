package google

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
)

// ErrNotFound is wrapped by Members when the group does not exist:
// `google group "x@acme.com": not found`.
var ErrNotFound = errors.New("not found")

// callError describes a failed Directory or token call in one line without
// the response body, which may be large or echo the request. The original
// error stays reachable with errors.As (*googleapi.Error,
// *oauth2.RetrieveError, *httpx.Error). Redaction is not its job: every
// error leaving the source passes through the run's Secrets.
type callError struct {
	msg string
	err error
}

func (e *callError) Error() string { return e.msg }
func (e *callError) Unwrap() error { return e.err }

// Rejection is providers.Rejected: "HTTP 401" when the Directory API
// refused the access token, or the token endpoint's OAuth error
// (unauthorized_client, invalid_grant, …) when it refused the key; ""
// for any other failure.
func (e *callError) Rejection() string {
	var (
		gerr *googleapi.Error
		rerr *oauth2.RetrieveError
	)
	switch {
	case errors.As(e.err, &gerr) && gerr.Code == http.StatusUnauthorized:
		return "HTTP 401"
	case errors.As(e.err, &rerr) && rerr.Response != nil && rerr.Response.StatusCode/100 == 4:
		// A 4xx from the token endpoint refuses the key or the
		// delegation; a 5xx is Google failing, not a refusal.
		if code, _ := tokenError(rerr); strings.TrimSpace(code) != "" {
			return strings.TrimSpace(code)
		}
		return fmt.Sprintf("HTTP %d", rerr.Response.StatusCode)
	}
	return ""
}

var _ providers.Rejected = (*callError)(nil)

// describe rewrites an SDK call's error into one line where it knows the
// shape. The edge's own errors (*httpx.Error) already read that way; the
// *url.Error the HTTP client wraps around every failure only adds the
// whole URL.
func describe(err error) error {
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err
	}
	var (
		edge *httpx.Error
		done *callError
		gerr *googleapi.Error
		rerr *oauth2.RetrieveError
	)
	switch {
	case errors.As(err, &edge), errors.As(err, &done):
		return err
	case errors.As(err, &gerr):
		return &callError{msg: describeAPI(gerr), err: err}
	case errors.As(err, &rerr):
		return &callError{msg: "fetch access token: " + describeToken(rerr), err: err}
	}
	return err
}

func describeAPI(e *googleapi.Error) string {
	msg := fmt.Sprintf("HTTP %d", e.Code)
	text := e.Message
	if text == "" && len(e.Errors) > 0 {
		text = e.Errors[0].Message
	}
	if text == "" {
		return msg + " " + http.StatusText(e.Code) + " (no Google error in the body)"
	}
	msg += ": " + strings.TrimSpace(text)
	if r := reason(e); r != "" {
		msg += " (" + r + ")"
	}
	return msg
}

// describeToken reads a token endpoint's refusal: "HTTP 401:
// unauthorized_client: <description>".
func describeToken(e *oauth2.RetrieveError) string {
	code, descr := tokenError(e)
	msg := "no answer"
	if e.Response != nil {
		msg = fmt.Sprintf("HTTP %d", e.Response.StatusCode)
	}
	if code != "" {
		msg += ": " + strings.TrimSpace(code)
	}
	if descr != "" {
		msg += ": " + strings.TrimSpace(descr)
	}
	return msg
}

// tokenError is the OAuth error code and description of a token
// endpoint's refusal.
func tokenError(e *oauth2.RetrieveError) (code, descr string) {
	code, descr = e.ErrorCode, e.ErrorDescription
	if code == "" {
		// The JWT flow does not parse the body for us.
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if json.Unmarshal(e.Body, &body) == nil {
			code, descr = body.Error, body.Description
		}
	}
	return code, descr
}

// reason is the first Google error reason of e, "" if none.
func reason(e *googleapi.Error) string {
	for _, item := range e.Errors {
		if item.Reason != "" {
			return item.Reason
		}
	}
	return ""
}
