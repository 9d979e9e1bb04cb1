package google

import (
	"bytes"
	"io"
	"mime"
	"net/http"
	"strings"

	"golang.org/x/oauth2"
	"google.golang.org/api/googleapi"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
)

// newEdge is the one transport every Google request goes through: the
// Directory calls, the token requests of every credential flow and the IAM
// Credentials calls of impersonation. httpx owns timeouts, retries,
// redirects, the URL rule, malformed answers and redaction; what Google
// adds is how its answers read (classify) and what its requests are called
// in logs (operation).
func newEdge(cfg Config, secrets *httpx.Secrets) *httpx.Transport {
	var base http.RoundTripper
	if cfg.HTTPClient != nil {
		base = cfg.HTTPClient.Transport
	}
	return httpx.NewTransport(httpx.Policy{
		API:            providers.SourceGoogle,
		Base:           base,
		AttemptTimeout: cfg.AttemptTimeout,
		Deadline:       cfg.Deadline,
		MaxRetries:     cfg.MaxRetries,
		// Every call teamsync makes to Google is a read, and minting a
		// token twice is harmless: all of them may be sent again.
		Resendable: func(*http.Request) bool { return true },
		Classify:   classify,
		Operation:  operation,
		Secrets:    secrets,
		Logger:     cfg.Logger,
		Sleep:      cfg.Sleep,
	})
}

// classify reads one Google answer. The Directory and IAM APIs retry on
// 429 and 5xx, and on a 403 whose reason is a rate limit or quota (any
// other 403 is a refusal). The token endpoint retries on 429 and 5xx.
// Everything else goes back to the SDK as it came, for it to report.
func classify(req *http.Request, resp *http.Response, body []byte) httpx.Verdict {
	code := resp.StatusCode
	if isTokenRequest(req) {
		if code != http.StatusTooManyRequests && code < 500 {
			return httpx.Verdict{}
		}
		rerr := &oauth2.RetrieveError{Response: resp, Body: body}
		err := &callError{msg: describeToken(rerr), err: rerr}
		if code == http.StatusTooManyRequests {
			return httpx.Verdict{Reason: httpx.ReasonRateLimit, Retry: true, NotRun: true, RateLimit: true, Wait: httpx.RetryAfter(resp.Header), Err: err}
		}
		return httpx.Verdict{Reason: httpx.ReasonServer, Retry: true, Err: err}
	}
	if code != http.StatusTooManyRequests && code != http.StatusForbidden && code < 500 {
		return httpx.Verdict{}
	}
	gerr := apiError(resp, body)
	err := describe(gerr)
	switch {
	case code == http.StatusTooManyRequests:
		return httpx.Verdict{Reason: httpx.ReasonRateLimit, Retry: true, NotRun: true, RateLimit: true, Wait: httpx.RetryAfter(resp.Header), Err: err}
	case code >= 500:
		return httpx.Verdict{Reason: httpx.ReasonServer, Retry: true, Err: err}
	}
	for _, item := range gerr.Errors {
		if isRateLimitReason(item.Reason) {
			return httpx.Verdict{Reason: item.Reason, Retry: true, NotRun: true, RateLimit: true, Wait: httpx.RetryAfter(resp.Header), Err: err}
		}
	}
	return httpx.Verdict{} // a refusal: the SDK reports it
}

// isRateLimitReason reports the 403 reasons that mean "slow down", not
// "denied".
func isRateLimitReason(r string) bool {
	switch r {
	case "userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded":
		return true
	}
	return false
}

// apiError reads a Google error answer as the SDK would.
func apiError(resp *http.Response, body []byte) *googleapi.Error {
	r := *resp
	r.Body = io.NopCloser(bytes.NewReader(body))
	err := googleapi.CheckResponse(&r)
	if gerr, ok := err.(*googleapi.Error); ok {
		return gerr
	}
	return &googleapi.Error{Code: resp.StatusCode, Header: resp.Header, Body: string(body)}
}

// isTokenRequest reports an OAuth token request: a form POST. Directory
// calls are GETs, and IAM Credentials calls post JSON.
func isTokenRequest(req *http.Request) bool {
	if req.Method != http.MethodPost {
		return false
	}
	mt, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// operation names a request by the Google method it calls, never by the
// group or user it names.
func operation(req *http.Request) string {
	if isTokenRequest(req) {
		return "token"
	}
	p := req.URL.Path
	if _, call, ok := strings.Cut(p, "/serviceAccounts/"); ok {
		if _, method, ok := strings.Cut(call, ":"); ok {
			return "iam." + method
		}
	}
	if _, rest, ok := strings.Cut(p, "/admin/directory/v1/"); ok {
		parts := strings.Split(rest, "/")
		switch {
		case len(parts) == 2 && parts[0] == "groups":
			return "groups.get"
		case len(parts) == 3 && parts[0] == "groups" && parts[2] == "members":
			return "members.list"
		case len(parts) == 2 && parts[0] == "users":
			return "users.get"
		}
	}
	return req.Method + " " + p
}
