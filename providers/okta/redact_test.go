package okta_test

import (
	"context"
	"strings"
	"testing"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

func TestEchoedTokenIsRedacted(t *testing.T) {
	// A proxy or WAF in front of Okta answers 401 quoting the request's
	// Authorization header, and the credential alone in a cause. The
	// token appears in no error, and a one-letter token is replaced only
	// where it stands alone, so the words around it survive.
	tests := []struct {
		name  string
		token string
	}{
		{"token", testToken},
		{"one-letter token", "e"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup("Eng", people(3, "acme.com")), oktasim.Options{Token: tt.token})
			e.sim.Inject(oktasim.Fault{EchoAuthorization: true})
			cfg := e.config()
			cfg.Token = tt.token
			cfg.Secrets = httpx.NewSecrets() // the run's set, shared with cmd/'s logger
			src := e.source(t, cfg)

			_, err := src.Members(context.Background(), ref("Eng"))
			want := `okta: find group "Eng": Invalid token provided: Authorization: SSWS [redacted]: rejected credential [redacted] (E0000011)`
			if err == nil || err.Error() != want {
				t.Errorf("error\n %v\nwant\n %s", err, want)
			}
			perr := prepare(t, src, []providers.GroupRef{ref("Eng")})
			if perr == nil || strings.Contains(perr.Error(), " "+tt.token+" ") || strings.Contains(perr.Error(), testToken) {
				t.Errorf("Prepare error %v: want an error without the token", perr)
			}
			if got := cfg.Secrets.Redact("token " + tt.token); got != "token [redacted]" {
				t.Errorf("the run's secrets redact %q, want the token registered", got)
			}
		})
	}
}

func TestEchoedAccessTokenIsRedacted(t *testing.T) {
	// With OAuth the header carries an access token the source did not
	// configure: it is registered as it arrives from the token endpoint.
	key, _ := testKeys(t)
	e := oauthEnv(t, &key.PublicKey)
	e.sim.Inject(oktasim.Fault{Path: groupsPath, EchoAuthorization: true})
	cfg := oauthConfig(e, pkcs1PEM(key))
	_, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
	want := `okta: find group "Eng": Invalid token provided: Authorization: Bearer [redacted]: rejected credential [redacted] (E0000011)`
	if err == nil || err.Error() != want {
		t.Errorf("error\n %v\nwant\n %s", err, want)
	}
	if n := e.sim.Requests("/oauth2/v1/token"); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}
