package oktasim

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// tokenLifetime is how long issued access tokens last, as Okta's do.
const tokenLifetime = time.Hour

// knownScopes are the scopes the simulated service app is granted.
var knownScopes = map[string]bool{"okta.groups.read": true, "okta.users.read": true}

type accessToken struct {
	expires time.Time
	scopes  []string
}

type tokenResponse struct {
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	AccessToken string `json:"access_token"`
	Scope       string `json:"scope"`
}

type oauthError struct {
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

// token implements the client-credentials grant with a private_key_jwt
// client assertion.
func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	p, err := tokenParams(r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "The request could not be parsed."})
		return
	}
	if p.Get("grant_type") != "client_credentials" {
		writeJSON(w, http.StatusBadRequest, oauthError{"unsupported_grant_type", "The grant_type must be client_credentials."})
		return
	}
	if p.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_request", "The client_assertion_type is missing or unsupported."})
		return
	}
	aud := baseURL(r) + "/oauth2/v1/token"
	if problem := s.checkAssertion(p.Get("client_assertion"), aud); problem != "" {
		writeJSON(w, http.StatusUnauthorized, oauthError{"invalid_client", problem})
		return
	}
	scopes := strings.Fields(p.Get("scope"))
	if len(scopes) == 0 {
		writeJSON(w, http.StatusBadRequest, oauthError{"invalid_scope", "The scope must not be empty."})
		return
	}
	for _, sc := range scopes {
		if !knownScopes[sc] {
			writeJSON(w, http.StatusBadRequest, oauthError{"invalid_scope",
				"The following scopes are not allowed: " + sc})
			return
		}
	}
	s.mu.Lock()
	s.seq++
	sum := sha256.Sum256([]byte(strconv.Itoa(s.seq) + p.Get("client_assertion")))
	tok := "simat." + strconv.Itoa(s.seq) + "." + base64.RawURLEncoding.EncodeToString(sum[:12])
	s.tokens[tok] = accessToken{expires: s.opts.Now().Add(tokenLifetime), scopes: scopes}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, tokenResponse{
		TokenType: "Bearer", ExpiresIn: int(tokenLifetime / time.Second),
		AccessToken: tok, Scope: strings.Join(scopes, " "),
	})
}

// checkAssertion checks an RS256 client assertion against the registered
// key: signature, iss = sub = client ID, aud = the token URL, not expired.
// It returns Okta's error_description for the first problem, or "".
func (s *Server) checkAssertion(jwt, aud string) string {
	if s.opts.ClientID == "" || s.opts.PublicKey == nil {
		return "Client authentication failed. No service app is registered."
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return "The client_assertion is not a compact JWT."
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if err := decodeSegment(parts[0], &header); err != nil {
		return fmt.Sprintf("The client_assertion header is invalid: %v", err)
	}
	if header.Alg != "RS256" {
		return fmt.Sprintf("The client_assertion alg %q is not supported.", header.Alg)
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "The client_assertion signature is not base64url."
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(s.opts.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
		return "The client_assertion signature is invalid."
	}
	var claims struct {
		Iss string          `json:"iss"`
		Sub string          `json:"sub"`
		Aud json.RawMessage `json:"aud"`
		Exp *int64          `json:"exp"`
	}
	if err := decodeSegment(parts[1], &claims); err != nil {
		return fmt.Sprintf("The client_assertion claims are invalid: %v", err)
	}
	if claims.Iss != s.opts.ClientID || claims.Sub != s.opts.ClientID {
		return "The client_assertion iss and sub must both be the client_id."
	}
	if !audienceHas(claims.Aud, aud) {
		return fmt.Sprintf("The audience of the client_assertion must be %s.", aud)
	}
	if claims.Exp == nil || !s.opts.Now().Before(time.Unix(*claims.Exp, 0)) {
		return "The client_assertion token is expired."
	}
	return ""
}

func decodeSegment(seg string, v any) error {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(raw, v)
}

// audienceHas reports whether a JWT aud claim (a string or an array)
// contains want.
func audienceHas(raw json.RawMessage, want string) bool {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return one == want
	}
	var many []string
	if json.Unmarshal(raw, &many) == nil {
		for _, a := range many {
			if a == want {
				return true
			}
		}
	}
	return false
}
