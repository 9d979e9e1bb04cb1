package google

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"

	"github.com/teamsync/teamsync/internal/httpx"
)

// cloudPlatformScope is what the ambient credentials need to call the IAM
// Credentials API when impersonating a service account.
const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// auth builds the credential flow's token sources. Every token request and
// IAM Credentials call goes through the edge (tokenEdge); only the GCE
// metadata server, which the library reaches with a client of its own on
// the machine's link-local address, does not.
type auth struct {
	cfg     Config
	secrets *httpx.Secrets
	edge    *recorder
}

// tokenSource picks the credential flow from cfg. ctx is kept by the token
// source for its lifetime, and carries the edge client that the oauth2
// library sends token requests with.
func (a *auth) tokenSource(ctx context.Context) (oauth2.TokenSource, error) {
	cfg := a.cfg
	ctx = context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Transport: a.edge})
	params := google.CredentialsParams{Scopes: Scopes(), Subject: cfg.Subject}
	switch {
	case cfg.CredentialsJSON != nil && cfg.ImpersonateServiceAccount != "":
		return nil, errors.New("a service account to impersonate works only with application default credentials, not with a key file")
	case cfg.CredentialsJSON != nil:
		a.register(cfg.CredentialsJSON)
		if err := checkServiceAccountKey(cfg.CredentialsJSON); err != nil {
			return nil, err
		}
		// The typed loader refuses other credential types, whose files can
		// name arbitrary URLs and commands.
		creds, err := google.CredentialsFromJSONWithTypeAndParams(ctx, cfg.CredentialsJSON, google.ServiceAccount, params)
		if err != nil {
			return nil, fmt.Errorf("service-account key: %w", err)
		}
		return a.tokens(creds.TokenSource), nil
	case cfg.ImpersonateServiceAccount != "":
		return a.impersonated(ctx)
	}
	creds, err := a.defaultCredentials(ctx, params)
	if err != nil {
		return nil, err
	}
	if cfg.Subject != "" && credentialsType(creds.JSON) != string(google.ServiceAccount) {
		// Other ambient credentials (metadata server, gcloud user login)
		// silently ignore the subject; the Directory would then refuse
		// every call with a bare 403.
		return nil, fmt.Errorf("subject %q needs a service-account key or a service account to impersonate; the application default credentials are %s",
			cfg.Subject, describeType(credentialsType(creds.JSON)))
	}
	return a.tokens(creds.TokenSource), nil
}

// defaultCredentials finds Application Default Credentials, registers the
// secrets of their file and checks where it sends them.
func (a *auth) defaultCredentials(ctx context.Context, params google.CredentialsParams) (*google.Credentials, error) {
	creds, err := google.FindDefaultCredentialsWithParams(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("application default credentials: %w", err)
	}
	a.register(creds.JSON)
	if err := checkTokenURI(creds.JSON); err != nil {
		return nil, fmt.Errorf("application default credentials: %w", err)
	}
	return creds, nil
}

// impersonated mints Directory tokens for cfg.ImpersonateServiceAccount
// through the IAM Credentials API, authenticated by the ambient credentials.
// With a subject the library signs a delegation JWT there and exchanges it.
func (a *auth) impersonated(ctx context.Context) (oauth2.TokenSource, error) {
	creds, err := a.defaultCredentials(ctx, google.CredentialsParams{Scopes: []string{cloudPlatformScope}})
	if err != nil {
		return nil, err
	}
	iam := &http.Client{Transport: &oauth2.Transport{Source: a.tokens(creds.TokenSource), Base: a.edge}}
	ts, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{
		TargetPrincipal: a.cfg.ImpersonateServiceAccount,
		Scopes:          Scopes(),
		Subject:         a.cfg.Subject,
	}, option.WithHTTPClient(iam))
	if err != nil {
		return nil, fmt.Errorf("impersonate %q: %w", a.cfg.ImpersonateServiceAccount, err)
	}
	return a.tokens(ts), nil
}

// register adds the credentials a credentials file holds to the run's
// Secrets, so that no error or log line can show them.
func (a *auth) register(b []byte) {
	var f struct {
		PrivateKey   string `json:"private_key"`
		PrivateKeyID string `json:"private_key_id"`
		ClientSecret string `json:"client_secret"`
		RefreshToken string `json:"refresh_token"`
	}
	if len(b) == 0 || json.Unmarshal(b, &f) != nil {
		return
	}
	a.secrets.Add(f.PrivateKey, f.PrivateKeyID, f.ClientSecret, f.RefreshToken)
}

// tokens wraps src so that every access token it hands out is registered
// in the run's Secrets, an answer without one is an error, and a failure
// reads as one line.
func (a *auth) tokens(src oauth2.TokenSource) oauth2.TokenSource {
	return &secretTokens{src: src, auth: a}
}

type secretTokens struct {
	src  oauth2.TokenSource
	auth *auth

	mu   sync.Mutex
	last string // the access token registered last
}

func (t *secretTokens) Token() (*oauth2.Token, error) {
	tok, err := t.src.Token()
	if err != nil {
		return nil, t.auth.tokenError(err)
	}
	if tok == nil || tok.AccessToken == "" {
		return nil, errors.New("fetch access token: the answer holds no access token")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok.AccessToken != t.last {
		t.auth.secrets.Add(tok.AccessToken, tok.RefreshToken)
		t.last = tok.AccessToken
	}
	return tok, nil
}

// tokenError describes a failed token fetch. The JWT flow and the
// impersonate package flatten their transport errors into text, which
// would bury the edge's error (its reason and attempts) inside a quoted
// URL, so the edge's last refusal of a credential request stands in for
// them.
func (a *auth) tokenError(err error) error {
	edge := a.edge.take()
	var (
		done *callError
		rerr *oauth2.RetrieveError
	)
	switch {
	case errors.As(err, &done):
		return err
	case errors.As(err, &rerr):
		return &callError{msg: "fetch access token: " + describeToken(rerr), err: err}
	case edge != nil:
		return &callError{msg: "fetch access token: " + edge.Error(), err: edge}
	}
	return fmt.Errorf("fetch access token: %w", err)
}

// recorder sends credential requests through the edge and remembers the
// edge's last refusal for tokenError.
type recorder struct {
	edge http.RoundTripper
	last atomic.Pointer[httpx.Error]
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.edge.RoundTrip(req)
	var e *httpx.Error
	if errors.As(err, &e) {
		r.last.Store(e)
	}
	return resp, err
}

func (r *recorder) take() *httpx.Error { return r.last.Swap(nil) }

// checkServiceAccountKey reports a key file that cannot work, or would
// send its signed assertions somewhere they may not go, before the first
// call would, with a message that names the piece at fault.
func checkServiceAccountKey(b []byte) error {
	var f struct {
		Type        string `json:"type"`
		ClientEmail string `json:"client_email"`
		PrivateKey  string `json:"private_key"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return fmt.Errorf("service-account key is not JSON: %w", err)
	}
	switch {
	case f.Type != string(google.ServiceAccount):
		return fmt.Errorf("service-account key has type %q, want %q", f.Type, google.ServiceAccount)
	case f.ClientEmail == "":
		return errors.New("service-account key has no client_email")
	case f.PrivateKey == "":
		return errors.New("service-account key has no private_key")
	}
	if blk, _ := pem.Decode([]byte(f.PrivateKey)); blk == nil {
		return errors.New("service-account key's private_key is not PEM")
	}
	if err := checkTokenURI(b); err != nil {
		return fmt.Errorf("service-account key's %w", err)
	}
	return nil
}

// checkTokenURI applies the URL rule to a credentials file's token_uri:
// the signed assertion, or the refresh token, travels to it. An absent
// token_uri means Google's own endpoint.
func checkTokenURI(b []byte) error {
	var f struct {
		TokenURI string `json:"token_uri"`
	}
	if len(b) == 0 || json.Unmarshal(b, &f) != nil || f.TokenURI == "" {
		return nil
	}
	if err := httpx.CheckURL(f.TokenURI); err != nil {
		return fmt.Errorf("token_uri %w", err)
	}
	return nil
}

// credentialsType is the "type" of a credentials file, "" for none (the
// metadata server).
func credentialsType(b []byte) string {
	var f struct {
		Type string `json:"type"`
	}
	if len(b) == 0 || json.Unmarshal(b, &f) != nil {
		return ""
	}
	return f.Type
}

func describeType(t string) string {
	if t == "" {
		return "from the metadata server"
	}
	return fmt.Sprintf("of type %q", t)
}
