package googlesim

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Service account the simulator's keys belong to.
const (
	ServiceAccountEmail = "teamsync-sim@teamsync-sim.iam.gserviceaccount.com"
	serviceAccountID    = "100000000000000000001"
	jwtBearerGrant      = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	legacyJWTBearer     = "http://oauth.net/grant_type/jwt/1.0/bearer"
	// GoogleTokenURL is Google's own token endpoint. Assertions addressed to
	// it are accepted too, as signJwt-made ones are.
	GoogleTokenURL = "https://oauth2.googleapis.com/token"
)

// TokenRequest is what the last successful token request asked for.
type TokenRequest struct {
	// Scopes are the assertion's scope claim, split on spaces, in order.
	Scopes []string
	// Subject is the assertion's sub claim: the user impersonated.
	Subject string
	// Issuer is the service account that signed the assertion.
	Issuer string
	// AccessToken is the token issued, so tests can check it never leaks.
	AccessToken string
}

type serviceAccountKey struct {
	id       string
	priv     *rsa.PrivateKey // for signJwt on the account's behalf
	email    string
	tokenURL string
}

type issuedToken struct {
	scopes  []string
	subject string
	expiry  time.Time
}

// WriteServiceAccountKey writes a fresh RSA key in Google's JSON key format
// into dir, with token_uri set to tokenURL (normally the server's URL plus
// "/token"), and trusts it from then on. It returns the file's path.
func (s *Server) WriteServiceAccountKey(dir, tokenURL string) (string, error) {
	key := s.opts.Key
	if key == nil {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			return "", fmt.Errorf("googlesim: generate key: %w", err)
		}
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("googlesim: encode key: %w", err)
	}
	kidBytes := make([]byte, 20)
	if _, err := rand.Read(kidBytes); err != nil {
		return "", fmt.Errorf("googlesim: key id: %w", err)
	}
	kid := hex.EncodeToString(kidBytes)
	body, err := json.MarshalIndent(map[string]string{
		"type":                        "service_account",
		"project_id":                  "teamsync-sim",
		"private_key_id":              kid,
		"private_key":                 string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email":                ServiceAccountEmail,
		"client_id":                   serviceAccountID,
		"auth_uri":                    "https://accounts.google.com/o/oauth2/auth",
		"token_uri":                   tokenURL,
		"auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
		"client_x509_cert_url":        "https://www.googleapis.com/robot/v1/metadata/x509/" + ServiceAccountEmail,
		"universe_domain":             "googleapis.com",
	}, "", "  ")
	if err != nil {
		return "", fmt.Errorf("googlesim: encode key file: %w", err)
	}
	path := filepath.Join(dir, "google-sa-"+kid[:8]+".json")
	if err := os.WriteFile(path, append(body, '\n'), 0o600); err != nil {
		return "", fmt.Errorf("googlesim: write key file: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.keys[kid] = &serviceAccountKey{id: kid, priv: key, email: ServiceAccountEmail, tokenURL: tokenURL}
	s.lastKey = kid
	return path, nil
}

// LastTokenRequest returns what the last successful token request asked for.
func (s *Server) LastTokenRequest() TokenRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.lastToken
	t.Scopes = slices.Clone(t.Scopes)
	return t
}

// tokenError is an OAuth 2.0 error response of the token endpoint.
type tokenError struct {
	status      int
	code, descr string
}

func (e *tokenError) Error() string { return e.code + ": " + e.descr }

func invalidGrant(descr string) *tokenError {
	return &tokenError{http.StatusBadRequest, "invalid_grant", descr}
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": "Malformed form body."})
		return
	}
	// The impersonate package still uses the legacy spelling of the grant.
	legacy := r.PostForm.Get("grant_type") == "assertion" && r.PostForm.Get("assertion_type") == legacyJWTBearer
	if gt := r.PostForm.Get("grant_type"); gt != jwtBearerGrant && !legacy {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type", "error_description": "Invalid grant_type: " + gt})
		return
	}
	tok, req, terr := s.issue(r.PostForm.Get("assertion"))
	if terr != nil {
		writeJSON(w, terr.status, map[string]string{"error": terr.code, "error_description": terr.descr})
		return
	}
	w.Header().Set("Cache-Control", "no-cache, no-store, max-age=0, must-revalidate")
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"expires_in":   int(s.opts.TokenTTL.Seconds()),
		"token_type":   "Bearer",
	})
	s.log.Debug("googlesim issued token", "subject", req.Subject, "scopes", strings.Join(req.Scopes, " "))
}

// issue checks a JWT-bearer assertion as Google does and mints a token.
func (s *Server) issue(assertion string) (string, TokenRequest, *tokenError) {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return "", TokenRequest{}, invalidGrant("Invalid JWT: malformed assertion.")
	}
	var hdr struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
		Aud   string `json:"aud"`
		Exp   int64  `json:"exp"`
		Iat   int64  `json:"iat"`
		Sub   string `json:"sub"`
	}
	if decodeSegment(parts[0], &hdr) != nil || decodeSegment(parts[1], &claims) != nil {
		return "", TokenRequest{}, invalidGrant("Invalid JWT: malformed assertion.")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return "", TokenRequest{}, invalidGrant("Invalid JWT Signature.")
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.keys[hdr.Kid]
	if hdr.Alg != "RS256" || key == nil {
		return "", TokenRequest{}, invalidGrant("Invalid JWT Signature.")
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(&key.priv.PublicKey, crypto.SHA256, digest[:], sig) != nil {
		return "", TokenRequest{}, invalidGrant("Invalid JWT Signature.")
	}
	if claims.Iss != key.email {
		return "", TokenRequest{}, invalidGrant("Invalid JWT: issuer does not own the signing key.")
	}
	if claims.Aud != key.tokenURL && claims.Aud != GoogleTokenURL {
		return "", TokenRequest{}, invalidGrant("Invalid JWT: Failed audience check.")
	}
	now := s.opts.Now()
	if claims.Iat > now.Add(5*time.Minute).Unix() || claims.Exp <= now.Unix() || claims.Exp-claims.Iat > 3600 {
		return "", TokenRequest{}, invalidGrant("Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.")
	}
	scopes := strings.Fields(claims.Scope)
	if len(scopes) == 0 {
		return "", TokenRequest{}, &tokenError{http.StatusBadRequest, "invalid_scope", "Invalid OAuth scope or ID token audience provided."}
	}
	if claims.Sub != "" {
		for _, sc := range scopes {
			if !slices.Contains(s.opts.DelegatedScopes, sc) {
				return "", TokenRequest{}, &tokenError{http.StatusUnauthorized, "unauthorized_client",
					"Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested."}
			}
		}
	}
	tok, err := s.mintLocked(scopes, claims.Sub, claims.Iss, s.opts.TokenTTL)
	if err != nil {
		return "", TokenRequest{}, &tokenError{http.StatusInternalServerError, "internal_failure", "Internal failure."}
	}
	return tok, s.lastToken, nil
}

// mint issues an access token and records the request.
func (s *Server) mint(scopes []string, subject, issuer string, ttl time.Duration) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mintLocked(scopes, subject, issuer, ttl)
}

func (s *Server) mintLocked(scopes []string, subject, issuer string, ttl time.Duration) (string, error) {
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	tok := "ya29.sim-" + base64.RawURLEncoding.EncodeToString(raw)
	s.tokens[tok] = issuedToken{scopes: scopes, subject: subject, expiry: s.opts.Now().Add(ttl)}
	s.lastToken = TokenRequest{Scopes: slices.Clone(scopes), Subject: subject, Issuer: issuer, AccessToken: tok}
	return tok, nil
}

func decodeSegment(seg string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// authorized wraps a Directory handler with Google's bearer-token checks:
// a live token, one of the endpoint's scopes, and a subject allowed to read.
func (s *Server) authorized(next http.HandlerFunc, scopes ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := s.checkBearer(w, r, scopes)
		if !ok {
			return
		}
		if !s.mayRead(t.subject) {
			writeError(w, http.StatusForbidden, "forbidden", "Not Authorized to access this resource/api")
			return
		}
		next(w, r)
	}
}

// checkBearer finds the request's live token holding one of scopes, or
// writes Google's refusal and returns false.
func (s *Server) checkBearer(w http.ResponseWriter, r *http.Request, scopes []string) (issuedToken, bool) {
	authz := r.Header.Get("Authorization")
	bearer, ok := strings.CutPrefix(authz, "Bearer ")
	if authz == "" || !ok {
		writeError(w, http.StatusUnauthorized, "required", "Login Required.")
		return issuedToken{}, false
	}
	s.mu.Lock()
	t, known := s.tokens[bearer]
	now := s.opts.Now()
	s.mu.Unlock()
	if !known || !now.Before(t.expiry) {
		writeError(w, http.StatusUnauthorized, "authError", "Invalid Credentials")
		return issuedToken{}, false
	}
	if !slices.ContainsFunc(t.scopes, func(sc string) bool { return slices.Contains(scopes, sc) }) {
		writeError(w, http.StatusForbidden, "insufficientPermissions", "Request had insufficient authentication scopes.")
		return issuedToken{}, false
	}
	return t, true
}

func (s *Server) mayRead(subject string) bool {
	if subject == "" {
		return s.opts.AllowNoSubject
	}
	if s.opts.Admins == nil {
		return true
	}
	return slices.ContainsFunc(s.opts.Admins, func(a string) bool { return strings.EqualFold(a, subject) })
}
