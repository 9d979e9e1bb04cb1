package googlesim

import (
	"encoding/json"
	"net/http"
)

// statusWord is the google.rpc code name Google puts in error bodies.
func statusWord(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	}
	return "INTERNAL"
}

// defaultReason is the reason Google most often gives with a status.
func defaultReason(code int) string {
	switch code {
	case http.StatusBadRequest:
		return "invalid"
	case http.StatusUnauthorized:
		return "authError"
	case http.StatusForbidden:
		return "forbidden"
	case http.StatusNotFound:
		return "notFound"
	case http.StatusTooManyRequests:
		return "rateLimitExceeded"
	}
	return "backendError"
}

// defaultMessage is Google's wording for a reason.
func defaultMessage(reason string) string {
	switch reason {
	case "userRateLimitExceeded":
		return "Quota exceeded for quota metric 'Queries' and limit 'Queries per minute per user' of service 'admin.googleapis.com' for consumer 'project_number:100000000001'."
	case "rateLimitExceeded":
		return "Rate Limit Exceeded"
	case "quotaExceeded":
		return "Quota exceeded for the concurrent request limit."
	case "forbidden":
		return "Not Authorized to access this resource/api"
	case "insufficientPermissions":
		return "Request had insufficient authentication scopes."
	case "authError":
		return "Invalid Credentials"
	case "required":
		return "Login Required."
	case "notFound":
		return "Resource Not Found"
	case "invalid":
		return "Invalid Input"
	}
	return "Service unavailable. Please try again"
}

// errorDomain is the domain Google files a reason under.
func errorDomain(reason string) string {
	switch reason {
	case "userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded":
		return "usageLimits"
	}
	return "global"
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// writeError writes Google's JSON error envelope.
func writeError(w http.ResponseWriter, code int, reason, message string) {
	if reason == "" {
		reason = defaultReason(code)
	}
	if message == "" {
		message = defaultMessage(reason)
	}
	item := map[string]string{"message": message, "domain": errorDomain(reason), "reason": reason}
	if code == http.StatusUnauthorized {
		item["location"] = "Authorization"
		item["locationType"] = "header"
		w.Header().Set("WWW-Authenticate", `Bearer realm="https://accounts.google.com/"`)
	}
	writeJSON(w, code, map[string]any{"error": map[string]any{
		"code":    code,
		"message": message,
		"errors":  []map[string]string{item},
		"status":  statusWord(code),
	}})
}
