package okta_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

func TestNewValidates(t *testing.T) {
	tests := []struct {
		name string
		cfg  okta.Config
		want string // "" = valid
	}{
		{"https", okta.Config{OrgURL: "https://acme.okta.com", Token: "t"}, ""},
		{"https trailing slash", okta.Config{OrgURL: "https://acme.okta.com/", Token: "t"}, ""},
		{"http loopback ip", okta.Config{OrgURL: "http://127.0.0.1:8080", Token: "t"}, ""},
		{"http localhost", okta.Config{OrgURL: "http://localhost:8080", Token: "t"}, ""},
		{"http localhost in capitals", okta.Config{OrgURL: "http://LOCALHOST:8080", Token: "t"}, ""},
		{"http 127/8", okta.Config{OrgURL: "http://127.1.2.3:8080", Token: "t"}, ""},
		{"http ipv6 loopback", okta.Config{OrgURL: "http://[::1]:8080", Token: "t"}, ""},
		{"http remote", okta.Config{OrgURL: "http://acme.okta.com", Token: "t"},
			"okta: org_url must use https (http is allowed only to a loopback host such as 127.0.0.1 or localhost)"},
		{"other scheme", okta.Config{OrgURL: "ftp://acme.okta.com", Token: "t"},
			"okta: org_url is not an absolute https URL"},
		{"no host", okta.Config{OrgURL: "acme.okta.com", Token: "t"},
			"okta: org_url is not an absolute https URL"},
		{"password, not quoted", okta.Config{OrgURL: "https://admin:hunter2@acme.okta.com", Token: "t"},
			"okta: org_url must not carry a user name or password"},
		// Never quoted: a query string could hold a key.
		{"query", okta.Config{OrgURL: "https://acme.okta.com?key=s3cr3t", Token: "t"},
			"okta: org_url must be the base URL alone, scheme://host, with no path, query string or fragment"},
		{"empty query", okta.Config{OrgURL: "https://acme.okta.com/?", Token: "t"},
			"okta: org_url must be the base URL alone, scheme://host, with no path, query string or fragment"},
		{"fragment", okta.Config{OrgURL: "https://acme.okta.com#s3cr3t", Token: "t"},
			"okta: org_url must be the base URL alone, scheme://host, with no path, query string or fragment"},
		{"path", okta.Config{OrgURL: "https://acme.okta.com/s3cr3t/", Token: "t"},
			"okta: org_url must be the base URL alone, scheme://host, with no path, query string or fragment"},
		{"empty url", okta.Config{Token: "t"}, "okta: org_url is empty"},
		{"admin domain", okta.Config{OrgURL: "https://acme-admin.okta.com", Token: "t"},
			"okta: configure client: your Okta domain should not contain -admin."},
		{"no credentials", okta.Config{OrgURL: "https://acme.okta.com"},
			"okta: no credentials: set an API token or an OAuth client ID and private key"},
		{"both credentials", okta.Config{OrgURL: "https://acme.okta.com", Token: "t", ClientID: "0oa1"},
			"okta: set either an API token or an OAuth client ID, not both"},
		{"client id without key", okta.Config{OrgURL: "https://acme.okta.com", ClientID: "0oa1"},
			"okta: OAuth client ID is set but the private key is empty"},
		{"bad user_email", okta.Config{OrgURL: "https://acme.okta.com", Token: "t", UserEmail: "mail"},
			`okta: user_email "mail": want "email" or "login"`},
		{"headroom 1", okta.Config{OrgURL: "https://acme.okta.com", Token: "t", Headroom: 1},
			"okta: headroom 1: want a fraction below 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := okta.New(context.Background(), tt.cfg)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("unexpected error: %v", err)
			case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
				t.Errorf("error %v, want %q", err, tt.want)
			case err != nil && strings.Contains(err.Error(), "s3cr3t"):
				t.Errorf("error shows the URL: %v", err)
			}
		})
	}
}

func TestOrgURLTrailingSlash(t *testing.T) {
	// Without trimming, the SDK would request //api/v1/groups.
	e := newEnv(t, oneGroup("Eng", people(2, "acme.com")), oktasim.Options{})
	cfg := e.config()
	cfg.OrgURL = e.srv.URL + "/"
	if _, err := e.source(t, cfg).Members(context.Background(), ref("Eng")); err != nil {
		t.Fatalf("Members: %v", err)
	}
	if n := e.sim.Requests("//api/v1/groups"); n != 0 {
		t.Errorf("%d requests to //api/v1/groups", n)
	}
	if n := e.sim.Requests("/api/v1/groups"); n != 1 {
		t.Errorf("%d requests to /api/v1/groups, want 1", n)
	}
}

func TestHTTPSWithTestServerClient(t *testing.T) {
	// An https org URL needs no testing flag; the base transport comes
	// from Config.HTTPClient.
	sim := oktasim.New(oneGroup("Eng", people(3, "acme.com")), oktasim.Options{Token: testToken})
	srv := httptest.NewTLSServer(sim)
	defer srv.Close()
	src, err := okta.New(context.Background(), okta.Config{OrgURL: srv.URL, Token: testToken, HTTPClient: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	got, err := src.Members(context.Background(), ref("Eng"))
	if err != nil || len(got) != 3 {
		t.Fatalf("got %d members, error %v; want 3", len(got), err)
	}
}

func TestSDKConfigFromEnvironmentIsIgnored(t *testing.T) {
	// The SDK merges OKTA_CLIENT_* and OKTA_TESTING_* into its config
	// before our options; every one of them must lose.
	leaks := map[string]string{
		"OKTA_CLIENT_TOKEN":                  "leaked-env-token",
		"OKTA_CLIENT_ORGURL":                 "https://leaked.okta.com",
		"OKTA_CLIENT_AUTHORIZATIONMODE":      "Bearer",
		"OKTA_CLIENT_CACHE_ENABLED":          "true",
		"OKTA_CLIENT_CACHE_DEFAULT_TTL":      "3600",
		"OKTA_CLIENT_RATE_LIMIT_MAX_RETRIES": "9",
		"OKTA_CLIENT_RATE_LIMIT_MAX_BACKOFF": "1",
		"OKTA_CLIENT_REQUEST_TIMEOUT":        "1",
		"OKTA_CLIENT_CLIENTID":               "0oaLEAKED",
		"OKTA_CLIENT_SCOPES":                 "okta.apps.read",
		"OKTA_CLIENT_PRIVATEKEY":             "/nonexistent/leaked.pem",
		"OKTA_CLIENT_CLIENTASSERTION":        "leaked.assertion.jwt",
		"OKTA_TESTING_DISABLE_HTTPS_CHECK":   "true",
	}
	for k, v := range leaks {
		t.Setenv(k, v)
	}

	t.Run("token, org URL, mode and cache", func(t *testing.T) {
		e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
		src := e.source(t, e.config())
		for range 2 {
			got, err := src.Members(context.Background(), ref("Eng"))
			if err != nil || len(got) != 3 {
				t.Fatalf("got %d members, error %v; want 3 (our SSWS token at our org URL)", len(got), err)
			}
		}
		// Both reads reached the server: the cache stayed off.
		if n := e.sim.Requests("/api/v1/groups"); n != 2 {
			t.Errorf("%d searches, want 2", n)
		}
	})

	t.Run("SDK retries stay off", func(t *testing.T) {
		e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
		e.sim.Inject(oktasim.Fault{Path: "/api/v1/groups", Status: http.StatusTooManyRequests})
		cfg := e.config()
		cfg.MaxRetries = -1
		if _, err := e.source(t, cfg).Members(context.Background(), ref("Eng")); err == nil {
			t.Fatal("want an error")
		}
		if n := e.sim.Requests("/api/v1/groups"); n != 1 {
			t.Errorf("%d requests, want 1: the environment's retry count leaked in", n)
		}
	})

	t.Run("https check stays on", func(t *testing.T) {
		_, err := okta.New(context.Background(), okta.Config{OrgURL: "http://acme.okta.com", Token: "t"})
		if err == nil {
			t.Fatal("a remote http:// org URL was accepted")
		}
	})
}

func TestTokenNeverInErrorsOrLogs(t *testing.T) {
	// Force every kind of failure with debug logging on; neither the
	// errors nor the logs may contain the token.
	tests := []struct {
		name    string
		token   string // what the source sends
		fault   *oktasim.Fault
		retries int
	}{
		{name: "wrong token", token: testToken + "-revoked"},
		{name: "server error", token: testToken, fault: &oktasim.Fault{Status: http.StatusInternalServerError}, retries: 1},
		{name: "rate limited", token: testToken, fault: &oktasim.Fault{Status: http.StatusTooManyRequests}, retries: 1},
		{name: "connection dropped", token: testToken, fault: &oktasim.Fault{Hangup: true}, retries: 1},
		{name: "malformed", token: testToken, fault: &oktasim.Fault{Malformed: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{})
			if tt.fault != nil {
				f := *tt.fault
				f.Path = "/api/v1/groups"
				e.sim.Inject(f)
			}
			cfg := e.freshConns()
			cfg.Token = tt.token
			cfg.MaxRetries = tt.retries
			_, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
			if err == nil {
				t.Fatal("want an error")
			}
			for what, text := range map[string]string{"error": err.Error(), "logs": e.logs.String()} {
				if strings.Contains(text, testToken) || strings.Contains(text, "SSWS") {
					t.Errorf("%s contain the token: %s", what, text)
				}
			}
		})
	}
	t.Run("wrong token message", func(t *testing.T) {
		e := newEnv(t, oneGroup("Eng", nil), oktasim.Options{})
		cfg := e.config()
		cfg.Token = "wrong"
		_, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
		if want := `okta: find group "Eng": Invalid token provided (E0000011)`; err == nil || err.Error() != want {
			t.Errorf("error %v, want %q", err, want)
		}
	})
}
