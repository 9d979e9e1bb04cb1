package google

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"
	"google.golang.org/api/impersonate"
	"google.golang.org/api/option"
)

// cloudPlatformScope is what the ambient credentials need to call the IAM
// Credentials API when impersonating a service account.
const cloudPlatformScope = "https://www.googleapis.com/auth/cloud-platform"

// tokenSource picks the credential flow from cfg. Token fetches go through
// base; ctx is kept by the token source for its lifetime.
func tokenSource(ctx context.Context, cfg Config, base *http.Client) (oauth2.TokenSource, error) {
	ctx = context.WithValue(ctx, oauth2.HTTPClient, base)
	params := google.CredentialsParams{Scopes: Scopes(), Subject: cfg.Subject}
	switch {
	case cfg.CredentialsJSON != nil && cfg.ImpersonateServiceAccount != "":
		return nil, errors.New("a service account to impersonate works only with application default credentials, not with a key file")
	case cfg.CredentialsJSON != nil:
		if err := checkServiceAccountKey(cfg.CredentialsJSON); err != nil {
			return nil, err
		}
		// The typed loader refuses other credential types, whose files can
		// name arbitrary URLs and commands.
		creds, err := google.CredentialsFromJSONWithTypeAndParams(ctx, cfg.CredentialsJSON, google.ServiceAccount, params)
		if err != nil {
			return nil, fmt.Errorf("service-account key: %w", err)
		}
		return creds.TokenSource, nil
	case cfg.ImpersonateServiceAccount != "":
		return impersonated(ctx, cfg, base)
	}
	creds, err := google.FindDefaultCredentialsWithParams(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("application default credentials: %w", err)
	}
	if cfg.Subject != "" && credentialsType(creds.JSON) != string(google.ServiceAccount) {
		// Other ambient credentials (metadata server, gcloud user login)
		// silently ignore the subject; the Directory would then refuse
		// every call with a bare 403.
		return nil, fmt.Errorf("subject %q needs a service-account key or a service account to impersonate; the application default credentials are %s",
			cfg.Subject, describeType(credentialsType(creds.JSON)))
	}
	return creds.TokenSource, nil
}

// impersonated mints Directory tokens for cfg.ImpersonateServiceAccount
// through the IAM Credentials API, authenticated by the ambient credentials.
// With a subject the library signs a delegation JWT there and exchanges it.
func impersonated(ctx context.Context, cfg Config, base *http.Client) (oauth2.TokenSource, error) {
	creds, err := google.FindDefaultCredentialsWithParams(ctx, google.CredentialsParams{Scopes: []string{cloudPlatformScope}})
	if err != nil {
		return nil, fmt.Errorf("application default credentials: %w", err)
	}
	iam := *base
	iam.Transport = &oauth2.Transport{Source: creds.TokenSource, Base: base.Transport}
	ts, err := impersonate.CredentialsTokenSource(ctx, impersonate.CredentialsConfig{
		TargetPrincipal: cfg.ImpersonateServiceAccount,
		Scopes:          Scopes(),
		Subject:         cfg.Subject,
	}, option.WithHTTPClient(&iam))
	if err != nil {
		return nil, fmt.Errorf("impersonate %q: %w", cfg.ImpersonateServiceAccount, err)
	}
	return ts, nil
}

// checkServiceAccountKey reports a key file that cannot work before the
// first call would, with a message that names the missing piece.
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
