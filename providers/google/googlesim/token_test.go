package googlesim_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"google.golang.org/api/googleapi"

	"github.com/teamsync/teamsync/providers/google/googlesim"
)

// sign builds an RS256 JWT as a service account would.
func sign(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	signed := enc(map[string]string{"alg": "RS256", "typ": "JWT", "kid": kid}) + "." + enc(claims)
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, key, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestTokenEndpoint(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	sim, srv, keyJSON := start(t, nested, googlesim.Options{Now: clock, TokenTTL: time.Hour})
	var kf struct {
		Kid   string `json:"private_key_id"`
		Email string `json:"client_email"`
		URI   string `json:"token_uri"`
	}
	if err := json.Unmarshal(keyJSON, &kf); err != nil {
		t.Fatal(err)
	}
	good := func() map[string]any {
		return map[string]any{
			"iss": kf.Email, "aud": kf.URI, "sub": subject,
			"scope": "https://www.googleapis.com/auth/admin.directory.group.readonly",
			"iat":   now.Add(-10 * time.Second).Unix(), "exp": now.Add(50 * time.Minute).Unix(),
		}
	}
	with := func(k string, v any) map[string]any {
		c := good()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		grant     string
		assertion string
		code      int
		err       string
	}{
		{"good", "", sign(t, testKey(), kf.Kid, good()), 200, ""},
		{"wrong grant type", "client_credentials", sign(t, testKey(), kf.Kid, good()), 400, "unsupported_grant_type"},
		{"not a JWT", "", "abc.def", 400, "invalid_grant"},
		{"signed by another key", "", sign(t, other, kf.Kid, good()), 400, "invalid_grant"},
		{"unknown key id", "", sign(t, testKey(), "0123", good()), 400, "invalid_grant"},
		{"other issuer", "", sign(t, testKey(), kf.Kid, with("iss", "evil@x.iam.gserviceaccount.com")), 400, "invalid_grant"},
		{"other audience", "", sign(t, testKey(), kf.Kid, with("aud", "https://evil.example/token")), 400, "invalid_grant"},
		{"expired", "", sign(t, testKey(), kf.Kid, with("exp", now.Add(-time.Second).Unix())), 400, "invalid_grant"},
		{"too long-lived", "", sign(t, testKey(), kf.Kid, with("exp", now.Add(2*time.Hour).Unix())), 400, "invalid_grant"},
		{"no scope", "", sign(t, testKey(), kf.Kid, with("scope", nil)), 400, "invalid_scope"},
		{"scope not delegated", "", sign(t, testKey(), kf.Kid, with("scope", "https://www.googleapis.com/auth/admin.directory.group")), 401, "unauthorized_client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			grant := tt.grant
			if grant == "" {
				grant = "urn:ietf:params:oauth:grant-type:jwt-bearer"
			}
			resp, err := srv.Client().PostForm(srv.URL+"/token", url.Values{"grant_type": {grant}, "assertion": {tt.assertion}})
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				AccessToken string `json:"access_token"`
				ExpiresIn   int    `json:"expires_in"`
				TokenType   string `json:"token_type"`
				Error       string `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.code || body.Error != tt.err {
				t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body.Error, tt.code, tt.err)
			}
			if tt.code == 200 && (body.AccessToken == "" || body.ExpiresIn != 3600 || body.TokenType != "Bearer") {
				t.Errorf("token response = %+v", body)
			}
		})
	}
	last := sim.LastTokenRequest()
	if last.Subject != subject || last.Issuer != kf.Email || len(last.Scopes) != 1 {
		t.Errorf("last token request = %+v", last)
	}

	// The issued token works until the simulator's clock passes its expiry.
	get := func() error {
		req, _ := http.NewRequest("GET", srv.URL+"/admin/directory/v1/groups/top@acme.com", nil)
		req.Header.Set("Authorization", "Bearer "+last.AccessToken)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return googleapi.CheckResponse(resp)
	}
	if err := get(); err != nil {
		t.Fatalf("fresh token: %v", err)
	}
	mu.Lock()
	now = now.Add(time.Hour)
	mu.Unlock()
	if code, reason := apiErr(t, get()); code != 401 || reason != "authError" {
		t.Errorf("expired token: %d %s", code, reason)
	}
}
