package google_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/testutil"

	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

var oneGroup = googlesim.State{Groups: []googlesim.Group{{Email: "eng@acme.com", Members: []googlesim.Member{{Email: "ann@acme.com"}}}}}

func TestServiceAccountFlow(t *testing.T) {
	e := newEnv(t, oneGroup, googlesim.Options{Admins: []string{adminEmail}})
	p := e.provider(t, nil)
	for range 3 {
		if _, err := p.Members(context.Background(), ref("eng@acme.com")); err != nil {
			t.Fatal(err)
		}
	}
	got := e.sim.LastTokenRequest()
	want := []string{
		"https://www.googleapis.com/auth/admin.directory.group.readonly",
		"https://www.googleapis.com/auth/admin.directory.group.member.readonly",
		"https://www.googleapis.com/auth/admin.directory.user.readonly",
	}
	if !slices.Equal(got.Scopes, want) {
		t.Errorf("scopes = %v, want %v", got.Scopes, want)
	}
	if !slices.Equal(google.Scopes(), want) {
		t.Errorf("Scopes() = %v, want %v", google.Scopes(), want)
	}
	if got.Subject != adminEmail || got.Issuer != googlesim.ServiceAccountEmail {
		t.Errorf("subject, issuer = %q, %q; want %q, %q", got.Subject, got.Issuer, adminEmail, googlesim.ServiceAccountEmail)
	}
	// One token serves the whole run.
	if c := e.sim.Requests("/token"); c != 1 {
		t.Errorf("token requests = %d, want 1", c)
	}
}

func TestAuthFailures(t *testing.T) {
	tests := []struct {
		name string
		opts googlesim.Options
		edit func(*google.Config)
		want string
	}{
		{
			name: "delegation lacks a scope",
			opts: googlesim.Options{DelegatedScopes: []string{
				"https://www.googleapis.com/auth/admin.directory.group.readonly",
				"https://www.googleapis.com/auth/admin.directory.user.readonly",
			}},
			want: `google: get group "eng@acme.com": fetch access token: HTTP 401: unauthorized_client: ` +
				`Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.`,
		},
		{
			name: "subject is not an admin",
			opts: googlesim.Options{Admins: []string{"root@acme.com"}},
			want: `google: get group "eng@acme.com": HTTP 403: Not Authorized to access this resource/api (forbidden)`,
		},
		{
			name: "no subject and no admin role",
			edit: func(c *google.Config) { c.Subject = "" },
			want: `google: get group "eng@acme.com": HTTP 403: Not Authorized to access this resource/api (forbidden)`,
		},
		{
			name: "key the token endpoint does not know",
			edit: func(c *google.Config) {
				other, err := googlesim.New(googlesim.State{}, googlesim.Options{Key: testKey()})
				if err != nil {
					t.Fatal(err)
				}
				// Same RSA key, but a key id the serving simulator never issued.
				path, err := other.WriteServiceAccountKey(t.TempDir(), tokenURLOf(c.CredentialsJSON))
				if err != nil {
					t.Fatal(err)
				}
				if c.CredentialsJSON, err = os.ReadFile(path); err != nil {
					t.Fatal(err)
				}
			},
			want: `google: get group "eng@acme.com": fetch access token: HTTP 400: invalid_grant: Invalid JWT Signature.`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup, tt.opts)
			_, err := e.provider(t, tt.edit).Members(context.Background(), ref("eng@acme.com"))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
			if s := e.sleeps.all(); len(s) != 0 {
				t.Errorf("retried a refusal: slept %v", s)
			}
		})
	}
}

func TestServiceAccountWithoutSubject(t *testing.T) {
	e := newEnv(t, oneGroup, googlesim.Options{AllowNoSubject: true})
	got, err := e.provider(t, func(c *google.Config) { c.Subject = "" }).Members(context.Background(), ref("eng@acme.com"))
	if err != nil || len(got) != 1 {
		t.Fatalf("Members = %v, %v", got, err)
	}
	if s := e.sim.LastTokenRequest().Subject; s != "" {
		t.Errorf("subject = %q, want none", s)
	}
}

func TestTokenEndpointOutageIsRetried(t *testing.T) {
	e := newEnv(t, oneGroup, googlesim.Options{})
	e.sim.Inject(googlesim.Fault{Path: "/token", Status: 503, Times: 2})
	if _, err := e.provider(t, nil).Members(context.Background(), ref("eng@acme.com")); err != nil {
		t.Fatal(err)
	}
	if c := e.sim.Requests("/token"); c != 3 {
		t.Errorf("token requests = %d, want 3", c)
	}
}

func TestTokenNeverSurfaces(t *testing.T) {
	e := newEnv(t, oneGroup, googlesim.Options{})
	p := e.provider(t, nil)
	if _, err := p.Members(context.Background(), ref("eng@acme.com")); err != nil {
		t.Fatal(err)
	}
	token := e.sim.LastTokenRequest().AccessToken
	if token == "" {
		t.Fatal("no token issued")
	}
	faults := []googlesim.Fault{
		// A proxy that echoes the request's headers into its error page.
		{Status: 502, Body: "<html>upstream failed</html>", EchoAuthorization: true},
		// A Google-shaped error whose message quotes the credential.
		{Status: 403, Reason: "forbidden", Message: "token Bearer " + token + " is not allowed"},
		{Status: 401, Reason: "authError", Message: "Invalid Credentials: " + token},
	}
	for _, f := range faults {
		e.sim.ClearFaults()
		f.Path = groupsPath + "eng@acme.com"
		e.sim.Inject(f)
		_, err := p.Members(context.Background(), ref("eng@acme.com"))
		if err == nil {
			t.Fatalf("fault %d: want an error", f.Status)
		}
		if strings.Contains(err.Error(), token) || strings.Contains(err.Error(), strings.TrimPrefix(token, "ya29.")) {
			t.Errorf("fault %d: token in error: %v", f.Status, err)
		}
		if strings.Contains(err.Error(), "upstream failed") {
			t.Errorf("fault %d: response body in error: %v", f.Status, err)
		}
	}
	if strings.Contains(e.logs.String(), strings.TrimPrefix(token, "ya29.")) {
		t.Errorf("token in logs:\n%s", e.logs)
	}
}

func TestApplicationDefaultCredentials(t *testing.T) {
	e := newEnv(t, oneGroup, googlesim.Options{Admins: []string{adminEmail}})
	keyPath := filepath.Join(t.TempDir(), "adc.json")
	if err := os.WriteFile(keyPath, e.key, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", keyPath)
	got, err := e.provider(t, func(c *google.Config) { c.CredentialsJSON = nil }).Members(context.Background(), ref("eng@acme.com"))
	if err != nil || len(got) != 1 {
		t.Fatalf("Members = %v, %v", got, err)
	}
	if tr := e.sim.LastTokenRequest(); tr.Subject != adminEmail || len(tr.Scopes) != 3 {
		t.Errorf("token request = %+v", tr)
	}
}

func TestNewRejectsUnusableCredentials(t *testing.T) {
	userCreds := filepath.Join(t.TempDir(), "user.json")
	if err := os.WriteFile(userCreds, []byte(`{"type":"authorized_user","client_id":"x","client_secret":"y","refresh_token":"z"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		cfg  google.Config
		adc  string
		want string
	}{
		{
			name: "not JSON",
			cfg:  google.Config{CredentialsJSON: []byte("nope")},
			want: "google: credentials: service-account key is not JSON: invalid character 'o' in literal null (expecting 'u')",
		},
		{
			name: "user credentials as a key",
			cfg:  google.Config{CredentialsJSON: []byte(`{"type":"authorized_user"}`)},
			want: `google: credentials: service-account key has type "authorized_user", want "service_account"`,
		},
		{
			name: "no private key",
			cfg:  google.Config{CredentialsJSON: []byte(`{"type":"service_account","client_email":"a@b"}`)},
			want: "google: credentials: service-account key has no private_key",
		},
		{
			name: "key and impersonation",
			cfg:  google.Config{CredentialsJSON: []byte(`{}`), ImpersonateServiceAccount: "sa@p.iam.gserviceaccount.com"},
			want: "google: credentials: a service account to impersonate works only with application default credentials, not with a key file",
		},
		{
			name: "plain http to a remote host",
			cfg:  google.Config{CredentialsJSON: []byte(`{}`), Endpoint: "http://directory.example.com"},
			want: `google: endpoint must use https (http is allowed only to a loopback host such as 127.0.0.1 or localhost)`,
		},
		{
			name: "not a URL",
			cfg:  google.Config{CredentialsJSON: []byte(`{}`), Endpoint: "directory.example.com"},
			want: `google: endpoint is not an absolute https URL`,
		},
		{
			name: "key whose token_uri is plain http to a remote host",
			cfg:  google.Config{CredentialsJSON: keyWithTokenURI(t, "http://oauth.example.com/token")},
			want: `google: credentials: service-account key's token_uri must use https (http is allowed only to a loopback host such as 127.0.0.1 or localhost)`,
		},
		{
			name: "key whose token_uri is not a URL",
			cfg:  google.Config{CredentialsJSON: keyWithTokenURI(t, "oauth.example.com/token")},
			want: `google: credentials: service-account key's token_uri is not an absolute https URL`,
		},
		{
			name: "ADC whose token_uri is plain http to a remote host",
			cfg:  google.Config{Subject: adminEmail},
			adc:  writeFile(t, keyWithTokenURI(t, "http://10.0.0.1/token")),
			want: `google: credentials: application default credentials: token_uri must use https (http is allowed only to a loopback host such as 127.0.0.1 or localhost)`,
		},
		{
			name: "subject with user ADC",
			cfg:  google.Config{Subject: adminEmail},
			adc:  userCreds,
			want: `google: credentials: subject "admin@acme.com" needs a service-account key or a service account to impersonate; the application default credentials are of type "authorized_user"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", tt.adc)
			_, err := google.New(context.Background(), tt.cfg)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("err = %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestEndpointAcceptsPlainHTTPToLoopbackOnly(t *testing.T) {
	e := newEnv(t, googlesim.State{}, googlesim.Options{})
	tests := []struct {
		endpoint string
		ok       bool
	}{
		{"http://localhost:8080", true},
		{"http://LOCALHOST:8080", true}, // as the Okta source has always said
		{"http://127.1.2.3:8080", true},
		{"http://[::1]:8080", true},
		{"https://directory.example.com", true},
		{"http://10.0.0.1:8080", false},
		{"http://localhost.example.com", false},
	}
	for _, tt := range tests {
		t.Run(tt.endpoint, func(t *testing.T) {
			cfg := e.config()
			cfg.Endpoint = tt.endpoint
			_, err := google.New(context.Background(), cfg)
			if ok := err == nil; ok != tt.ok {
				t.Errorf("New with endpoint %s: error %v, want accepted %v", tt.endpoint, err, tt.ok)
			}
		})
	}
}

func TestEndpointWithPathPrefix(t *testing.T) {
	sim, err := googlesim.New(oneGroup, googlesim.Options{Key: testKey()})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/google/", http.StripPrefix("/google", sim))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	keyPath, err := sim.WriteServiceAccountKey(t.TempDir(), srv.URL+"/google/token")
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, ep := range []string{srv.URL + "/google", srv.URL + "/google/"} {
		p, err := google.New(context.Background(), google.Config{
			CredentialsJSON: key, Subject: adminEmail, Endpoint: ep, HTTPClient: srv.Client(),
		})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := p.Members(context.Background(), ref("eng@acme.com")); err != nil || len(got) != 1 {
			t.Errorf("endpoint %s: Members = %v, %v", ep, got, err)
		}
	}
}

// keyWithTokenURI is a service-account key of the test key whose
// token_uri is u.
func keyWithTokenURI(t *testing.T, u string) []byte {
	t.Helper()
	sim, err := googlesim.New(googlesim.State{}, googlesim.Options{Key: testKey()})
	if err != nil {
		t.Fatal(err)
	}
	path, err := sim.WriteServiceAccountKey(t.TempDir(), u)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func writeFile(t *testing.T, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTokenEndpointEchoHidesTheAssertion: a token endpoint that quotes the
// posted form in its error would show the signed JWT assertion, which is
// good for an hour as a credential; no part of it may reach the error.
func TestTokenEndpointEchoHidesTheAssertion(t *testing.T) {
	sim, err := googlesim.New(oneGroup, googlesim.Options{Key: testKey()})
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu         sync.Mutex
		assertions []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/token" {
			b, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(b))
			form, _ := url.ParseQuery(string(b))
			mu.Lock()
			assertions = append(assertions, form.Get("assertion"))
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	keyPath, err := sim.WriteServiceAccountKey(t.TempDir(), srv.URL+"/token")
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []int{400, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			sim.ClearFaults()
			sim.Inject(googlesim.Fault{Path: "/token", Status: status, EchoForm: true})
			logs := &testutil.Buffer{}
			p, err := google.New(context.Background(), google.Config{
				CredentialsJSON: key, Subject: adminEmail, Endpoint: srv.URL, HTTPClient: srv.Client(),
				Sleep:  func(ctx context.Context, _ time.Duration) error { return ctx.Err() },
				Logger: slog.New(slog.NewTextHandler(logs, nil)),
			})
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.Members(context.Background(), ref("eng@acme.com"))
			if err == nil || !strings.Contains(err.Error(), "fetch access token: ") || !strings.Contains(err.Error(), "Bad request: ") {
				t.Fatalf("err = %v, want the token endpoint's refusal", err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(assertions) == 0 || assertions[len(assertions)-1] == "" {
				t.Fatal("no assertion was posted")
			}
			for _, a := range assertions {
				if leaked := sharesPart(err.Error(), a, 12); leaked != "" {
					t.Errorf("the error shows part of the assertion (%q):\n%v", leaked, err)
				}
				if leaked := sharesPart(logs.String(), a, 12); leaked != "" {
					t.Errorf("the logs show part of the assertion (%q):\n%s", leaked, logs)
				}
			}
			assertions = nil
		})
	}
}

// sharesPart returns a run of n characters of secret that text contains,
// "" if none.
func sharesPart(text, secret string, n int) string {
	for i := 0; i+n <= len(secret); i++ {
		if strings.Contains(text, secret[i:i+n]) {
			return secret[i : i+n]
		}
	}
	return ""
}

// tokenURLOf reads token_uri from a key file.
func tokenURLOf(key []byte) string {
	_, rest, _ := strings.Cut(string(key), `"token_uri": "`)
	u, _, _ := strings.Cut(rest, `"`)
	return u
}
