package oktasim_test

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

const clientID = "0oaSIMAPP00000000001"

// signJWT builds a compact JWT signed with key (RS256 unless alg says
// otherwise; any other alg gets an empty signature).
func signJWT(t *testing.T, key *rsa.PrivateKey, alg string, claims map[string]any) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	input := enc(map[string]string{"alg": alg, "kid": "k1"}) + "." + enc(claims)
	if alg != "RS256" {
		return input + "."
	}
	sum := sha256.Sum256([]byte(input))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return input + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func TestTokenEndpoint(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, srv, c := start(t, oktasim.State{Groups: []oktasim.Group{{Name: "Eng"}}},
		oktasim.Options{ClientID: clientID, PublicKey: &key.PublicKey})
	aud := srv.URL + "/oauth2/v1/token"
	claims := func(edit func(map[string]any)) map[string]any {
		m := map[string]any{"iss": clientID, "sub": clientID, "aud": aud,
			"iat": c.Now().Unix(), "exp": c.Now().Add(time.Hour).Unix()}
		if edit != nil {
			edit(m)
		}
		return m
	}
	good := signJWT(t, key, "RS256", claims(nil))
	tests := []struct {
		name      string
		params    url.Values
		inBody    bool
		status    int
		wantError string
	}{
		{name: "query string, as the SDK sends it", status: 200,
			params: url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.groups.read okta.users.read"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {good}}},
		{name: "form body", inBody: true, status: 200,
			params: url.Values{"grant_type": {"client_credentials"}, "scope": {"okta.groups.read"},
				"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {good}}},
		{name: "wrong grant", status: 400, wantError: "unsupported_grant_type",
			params: url.Values{"grant_type": {"password"}}},
		{name: "no assertion type", status: 400, wantError: "invalid_request",
			params: url.Values{"grant_type": {"client_credentials"}, "client_assertion": {good}}},
	}
	for _, bad := range []struct {
		name, jwt string
	}{
		{"other key", signJWT(t, other, "RS256", claims(nil))},
		{"alg none", signJWT(t, key, "none", claims(nil))},
		{"wrong iss", signJWT(t, key, "RS256", claims(func(m map[string]any) { m["iss"] = "0oaOTHER" }))},
		{"wrong sub", signJWT(t, key, "RS256", claims(func(m map[string]any) { m["sub"] = "0oaOTHER" }))},
		{"wrong aud", signJWT(t, key, "RS256", claims(func(m map[string]any) { m["aud"] = "https://acme.okta.com/oauth2/v1/token" }))},
		{"expired", signJWT(t, key, "RS256", claims(func(m map[string]any) { m["exp"] = c.Now().Add(-time.Second).Unix() }))},
		{"no exp", signJWT(t, key, "RS256", claims(func(m map[string]any) { delete(m, "exp") }))},
		{"not a JWT", "abc"},
	} {
		tests = append(tests, struct {
			name      string
			params    url.Values
			inBody    bool
			status    int
			wantError string
		}{name: bad.name, status: 401, wantError: "invalid_client", params: url.Values{
			"grant_type": {"client_credentials"}, "scope": {"okta.groups.read"},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {bad.jwt}}})
	}
	tests = append(tests, struct {
		name      string
		params    url.Values
		inBody    bool
		status    int
		wantError string
	}{name: "scope not granted", status: 400, wantError: "invalid_scope", params: url.Values{
		"grant_type": {"client_credentials"}, "scope": {"okta.users.manage"},
		"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {good}}})

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req *http.Request
			if tt.inBody {
				req, _ = http.NewRequest(http.MethodPost, aud, strings.NewReader(tt.params.Encode()))
			} else {
				req, _ = http.NewRequest(http.MethodPost, aud+"?"+tt.params.Encode(), nil)
			}
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				AccessToken string `json:"access_token"`
				TokenType   string `json:"token_type"`
				ExpiresIn   int    `json:"expires_in"`
				Scope       string `json:"scope"`
				Error       string `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.status || body.Error != tt.wantError {
				t.Fatalf("status %d error %q, want %d %q", resp.StatusCode, body.Error, tt.status, tt.wantError)
			}
			if tt.status != 200 {
				return
			}
			if body.TokenType != "Bearer" || body.ExpiresIn != 3600 || body.Scope != tt.params.Get("scope") || body.AccessToken == "" {
				t.Errorf("token response %+v", body)
			}
			if r := get(t, srv.URL+"/api/v1/groups", "Bearer "+body.AccessToken, nil); r.StatusCode != 200 {
				t.Errorf("API with the issued token: status %d", r.StatusCode)
			}
		})
	}
}

func TestBearerTokenExpiresAndNeedsScope(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, srv, c := start(t, oktasim.State{}, oktasim.Options{ClientID: clientID, PublicKey: &key.PublicKey})
	issue := func(scope string) string {
		jwt := signJWT(t, key, "RS256", map[string]any{"iss": clientID, "sub": clientID,
			"aud": srv.URL + "/oauth2/v1/token", "exp": c.Now().Add(time.Hour).Unix()})
		q := url.Values{"grant_type": {"client_credentials"}, "scope": {scope},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {jwt}}
		resp, err := http.Post(srv.URL+"/oauth2/v1/token?"+q.Encode(), "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return body.AccessToken
	}
	usersOnly := issue("okta.users.read")
	var e wireError
	if r := get(t, srv.URL+"/api/v1/groups", "Bearer "+usersOnly, &e); r.StatusCode != 403 || e.ErrorCode != "E0000006" {
		t.Errorf("token without okta.groups.read: %d %q, want 403 E0000006", r.StatusCode, e.ErrorCode)
	}
	tok := issue("okta.groups.read")
	if r := get(t, srv.URL+"/api/v1/groups", "Bearer "+tok, nil); r.StatusCode != 200 {
		t.Errorf("fresh token: status %d", r.StatusCode)
	}
	c.Advance(time.Hour)
	if r := get(t, srv.URL+"/api/v1/groups", "Bearer "+tok, &e); r.StatusCode != 401 || e.ErrorCode != "E0000011" {
		t.Errorf("expired token: %d %q, want 401 E0000011", r.StatusCode, e.ErrorCode)
	}
	if r := get(t, srv.URL+"/api/v1/groups", "SSWS anything", &e); r.StatusCode != 401 {
		t.Errorf("SSWS with no API token registered: status %d, want 401", r.StatusCode)
	}
}
