package okta

import (
	"net/http"
	"testing"

	oktasdk "github.com/okta/okta-sdk-golang/v2/okta"
)

func TestAPIErrorText(t *testing.T) {
	resp := func(status int) *oktasdk.Response {
		return &oktasdk.Response{Response: &http.Response{StatusCode: status}}
	}
	tests := []struct {
		name string
		resp *oktasdk.Response
		err  *oktasdk.Error
		want string
	}{
		{"okta error", resp(404), &oktasdk.Error{ErrorCode: "E0000007", ErrorSummary: "Not found: Resource not found: 00g1 (UserGroup)"},
			"Not found: Resource not found: 00g1 (UserGroup) (E0000007)"},
		{"oauth error", nil, &oktasdk.Error{ErrorMessage: "invalid_client", ErrorDescription: "The client_assertion signature is invalid."},
			"The client_assertion signature is invalid. (invalid_client)"},
		{"causes", resp(400), &oktasdk.Error{ErrorCode: "E0000001", ErrorSummary: "Api validation failed: limit",
			ErrorCauses: []map[string]any{{"errorSummary": "limit: must be at least 1"}}},
			"Api validation failed: limit: limit: must be at least 1 (E0000001)"},
		{"500 with a proxy's body", resp(500), &oktasdk.Error{ErrorSummary: ", x-okta-request-id=abc"},
			"HTTP 500 Internal Server Error, x-okta-request-id=abc"},
		{"502 with a proxy's body", resp(502), &oktasdk.Error{}, "HTTP 502 Bad Gateway"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := apiError(tt.resp, tt.err).Error(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}
