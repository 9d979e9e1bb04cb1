package googlesim

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// cloudPlatformScope is what callers of the IAM Credentials API need.
const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// handleIAM serves the two IAM Credentials calls that service-account
// impersonation makes: signJwt (with a subject, for domain-wide
// delegation) and generateAccessToken (without). The caller must hold a
// cloud-platform token; any holder may act as the simulator's service
// account, as if granted roles/iam.serviceAccountTokenCreator.
func (s *Server) handleIAM(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.checkBearer(w, r, []string{cloudPlatformScope}); !ok {
		return
	}
	account, method, _ := strings.Cut(r.PathValue("call"), ":")
	if !strings.EqualFold(account, ServiceAccountEmail) {
		writeError(w, http.StatusNotFound, "notFound", "Service account projects/-/serviceAccounts/"+account+" not found.")
		return
	}
	switch method {
	case "signJwt":
		s.signJWT(w, r)
	case "generateAccessToken":
		s.generateAccessToken(w, r)
	default:
		writeError(w, http.StatusNotFound, "notFound", "Not Found")
	}
}

func (s *Server) signJWT(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Payload string `json:"payload"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || !json.Valid([]byte(req.Payload)) {
		writeError(w, http.StatusBadRequest, "badRequest", "Invalid JSON payload received.")
		return
	}
	s.mu.Lock()
	key := s.keys[s.lastKey]
	s.mu.Unlock()
	if key == nil {
		writeError(w, http.StatusBadRequest, "failedPrecondition", "The service account has no keys.")
		return
	}
	hdr, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT", "kid": key.id})
	signed := base64.RawURLEncoding.EncodeToString(hdr) + "." + base64.RawURLEncoding.EncodeToString([]byte(req.Payload))
	digest := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(nil, key.priv, crypto.SHA256, digest[:])
	if err != nil {
		writeError(w, http.StatusInternalServerError, "backendError", "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"keyId":     key.id,
		"signedJwt": signed + "." + base64.RawURLEncoding.EncodeToString(sig),
	})
}

func (s *Server) generateAccessToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Scope    []string `json:"scope"`
		Lifetime string   `json:"lifetime"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Scope) == 0 {
		writeError(w, http.StatusBadRequest, "badRequest", "Scope is required.")
		return
	}
	ttl := s.opts.TokenTTL
	if d, err := time.ParseDuration(req.Lifetime); err == nil && d > 0 {
		ttl = min(ttl, d)
	}
	tok, err := s.mint(req.Scope, "", ServiceAccountEmail, ttl)
	if err != nil {
		writeError(w, http.StatusInternalServerError, "backendError", "")
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{
		"accessToken": tok,
		"expireTime":  s.opts.Now().Add(ttl).UTC().Format(time.RFC3339),
	})
}
