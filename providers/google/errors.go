package google

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"
)

// ErrNotFound is wrapped by Members when the group does not exist:
// `google group "x@acme.com": not found`.
var ErrNotFound = errors.New("not found")

// callError describes a failed Directory or token call in one line without
// the response body, which may be large or echo request headers. The
// original error stays reachable with errors.As (*googleapi.Error,
// *oauth2.RetrieveError).
type callError struct {
	msg string
	err error
}

func (e *callError) Error() string { return e.msg }
func (e *callError) Unwrap() error { return e.err }

// bearerPattern finds credentials a server might echo back in a message.
var bearerPattern = regexp.MustCompile(`(?i)(bearer|ya29)[\s.]\S+`)

// describe rewrites err into a callError where it knows the shape.
func describe(err error) error {
	var gerr *googleapi.Error
	if errors.As(err, &gerr) {
		return &callError{msg: describeAPI(gerr), err: err}
	}
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		return &callError{msg: describeToken(rerr), err: err}
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
	msg += ": " + redact(text)
	if r := reason(e); r != "" {
		msg += " (" + r + ")"
	}
	return msg
}

func describeToken(e *oauth2.RetrieveError) string {
	code, descr := e.ErrorCode, e.ErrorDescription
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
	msg := "fetch access token"
	if e.Response != nil {
		msg += fmt.Sprintf(": HTTP %d", e.Response.StatusCode)
	}
	if code != "" {
		msg += ": " + redact(code)
	}
	if descr != "" {
		msg += ": " + redact(descr)
	}
	return msg
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

func redact(s string) string {
	return strings.TrimSpace(bearerPattern.ReplaceAllString(s, "[redacted]"))
}
