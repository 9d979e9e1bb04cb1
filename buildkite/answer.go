package buildkite

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/teamsync/teamsync/internal/httpx"
)

// busyMessage is the 200-body error Buildkite sends when it did not run
// the request and wants it sent again.
const busyMessage = "is currently busy, please try again"

// reasonBusy is the retry reason of the "currently busy" answer, in logs
// and errors.
const reasonBusy = "busy"

// maxMessageLen bounds the server text kept in an error, after redaction.
const maxMessageLen = 300

// answer is a GraphQL answer as Classify read it. body is the whole answer
// as the edge read it, not a copy: run decodes its data from there, so
// that an answer of megabytes is held once until it is decoded.
type answer struct {
	data dataStart // 0 when there is none (absent or null)
	errs []gqlError
	body []byte
}

func (a *answer) hasData() bool { return a.data != 0 }

// dataStart is the first byte of an answer's data, all Classify needs of
// it: a json.RawMessage would copy the data.
type dataStart byte

func (d *dataStart) UnmarshalJSON(b []byte) error {
	if string(b) != "null" {
		*d = dataStart(b[0])
	}
	return nil
}

// gqlError is one entry of an answer's errors array, its message redacted
// and clipped.
type gqlError struct {
	Message string
	Path    []string
}

// malformed is the error of an answer that is not what was asked for.
func malformed(format string, args ...any) error {
	return fmt.Errorf("malformed answer: "+format, args...)
}

// classifyAnswer is Buildkite's Classify: how one answer of any status
// reads. It also shows every answer's rate-limit headers to the pacer, and
// hands the decoded GraphQL answer of a 2xx to the call.
func (c *Client) classifyAnswer(req *http.Request, resp *http.Response, body []byte) httpx.Verdict {
	if c.pacer != nil {
		c.pacer.observe(resp.Header, c.now())
	}
	if n, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("RateLimit-Complexity-Actual"))); err == nil && n > 0 {
		c.points.Add(int64(n))
	}
	status := resp.StatusCode
	switch {
	case status == http.StatusTooManyRequests:
		// Refused before it ran: safe to send again, even a mutation.
		return httpx.Verdict{Reason: httpx.ReasonRateLimit, Retry: true, NotRun: true, RateLimit: true,
			Wait: rateLimitWait(resp.Header), Err: c.httpError(status, body)}
	case status >= 500:
		// A read is sent again; a write may have run, so the edge does not
		// resend it and the client checks what happened.
		return httpx.Verdict{Reason: httpx.ReasonServer, Retry: true, Wait: httpx.RetryAfter(resp.Header), Err: c.httpError(status, body)}
	case status < 200 || status > 299:
		// 4xx: refused (a bad token, a bad request); sending it again
		// gives the same answer.
		return httpx.Verdict{Reason: strconv.Itoa(status), NotRun: status >= 400, Err: c.httpError(status, body)}
	}
	a, err := c.decodeAnswer(status, body)
	if err != nil {
		return httpx.Verdict{Reason: httpx.ReasonMalformed, Retry: true, Err: err}
	}
	for _, e := range a.errs {
		if strings.Contains(e.Message, busyMessage) {
			return httpx.Verdict{Reason: reasonBusy, Retry: true, NotRun: true, Err: &GraphQLError{Message: e.Message, Path: e.Path}}
		}
	}
	if cl := callFrom(req.Context()); cl != nil {
		cl.answer = a
	}
	return httpx.Verdict{}
}

// decodeAnswer reads a 2xx body as a GraphQL answer: a JSON object with
// data, errors or both. Anything else (an empty body, null, an array, an
// object with neither) is malformed, never an empty result.
func (c *Client) decodeAnswer(status int, body []byte) (*answer, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, malformed("HTTP %d with an empty body", status)
	}
	if trimmed[0] != '{' {
		return nil, malformed("HTTP %d with a body that is not a JSON object", status)
	}
	var raw struct {
		Data   dataStart `json:"data"`
		Errors []struct {
			Message string `json:"message"`
			Path    []any  `json:"path"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return nil, malformed("HTTP %d with a body that is not a GraphQL answer: %v", status, err)
	}
	a := &answer{data: raw.Data, body: body}
	for _, e := range raw.Errors {
		ge := gqlError{Message: c.secrets.Clip(e.Message, maxMessageLen)}
		if ge.Message == "" {
			ge.Message = "(an error without a message)"
		}
		for _, p := range e.Path {
			switch v := p.(type) {
			case string:
				ge.Path = append(ge.Path, v)
			case float64:
				ge.Path = append(ge.Path, strconv.Itoa(int(v)))
			}
		}
		a.errs = append(a.errs, ge)
	}
	if !a.hasData() && len(a.errs) == 0 {
		return nil, malformed("HTTP %d with neither data nor errors", status)
	}
	if a.hasData() && a.data != '{' {
		return nil, malformed("HTTP %d with data that is not a JSON object", status)
	}
	return a, nil
}

// httpError is the error of a non-2xx answer: Buildkite's message,
// redacted before it is clipped, so no part of a credential survives.
func (c *Client) httpError(status int, body []byte) *HTTPError {
	return &HTTPError{Status: status, Message: c.secrets.Clip(statusMessage(status, body), maxMessageLen)}
}

// statusMessage picks the text of a non-2xx answer: the first GraphQL
// error message (or a REST-style "message") of a JSON body, else the
// status text. The body itself is never used: it may be an HTML page.
func statusMessage(status int, data []byte) string {
	var body struct {
		Errors []struct {
			Message string `json:"message"`
		} `json:"errors"`
		Message string `json:"message"`
	}
	msg := ""
	if json.Unmarshal(data, &body) == nil {
		if len(body.Errors) > 0 {
			msg = body.Errors[0].Message
		} else {
			msg = body.Message
		}
	}
	msg = strings.TrimSpace(msg)
	if msg == "" {
		msg = http.StatusText(status)
	}
	if msg == "" {
		msg = "unexpected status"
	}
	return msg
}

// rateLimitWait is how long a 429 asks us to wait: the reset of the
// exhausted window (org or per-user; the longest if both are), else the
// longest reset given, else Retry-After, else 0 (use backoff). A reset of
// 0 still waits a second, so a rounded-down reset does not hit the same
// window again.
func rateLimitWait(h http.Header) time.Duration {
	var exhausted, longest time.Duration
	found := false
	for _, w := range [][2]string{
		{"RateLimit-Reset", "RateLimit-Remaining"},
		{"RateLimit-User-Reset", "RateLimit-User-Remaining"},
	} {
		reset, ok := seconds(h.Get(w[0]))
		if !ok {
			continue
		}
		found = true
		reset = max(reset, time.Second)
		longest = max(longest, reset)
		if rem, err := strconv.Atoi(h.Get(w[1])); err != nil || rem <= 0 {
			exhausted = max(exhausted, reset)
		}
	}
	switch {
	case exhausted > 0:
		return exhausted
	case found:
		return longest
	}
	return httpx.RetryAfter(h)
}

func seconds(v string) (time.Duration, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// resendable is Buildkite's Resendable: a query may be sent twice, a
// mutation never (the edge still resends one Buildkite provably did not
// run: a 429, "currently busy", a refused connection).
func resendable(req *http.Request) bool {
	c := callFrom(req.Context())
	return c != nil && !c.mutation
}

// operationName names a request in the edge's logs and errors: the query's
// operation name, or the mutation's field.
func operationName(req *http.Request) string {
	if c := callFrom(req.Context()); c != nil {
		return c.op
	}
	return "graphql"
}
