package google_test

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

// toSim sends every request to the simulator whatever its host: the
// impersonate package calls iamcredentials.googleapis.com and
// oauth2.googleapis.com by fixed URLs.
type toSim struct {
	sim  *url.URL
	base http.RoundTripper
}

func (t toSim) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host, r.Host = t.sim.Scheme, t.sim.Host, ""
	return t.base.RoundTrip(r)
}

func TestImpersonation(t *testing.T) {
	tests := []struct {
		name    string
		subject string
		opts    googlesim.Options
		iamCall string
	}{
		{"with domain-wide delegation", adminEmail, googlesim.Options{}, "signJwt"},
		{"as the service account itself", "", googlesim.Options{AllowNoSubject: true}, "generateAccessToken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, oneGroup, tt.opts)
			// The ambient credentials: the simulator's key, as ADC.
			adc := filepath.Join(t.TempDir(), "adc.json")
			if err := os.WriteFile(adc, e.key, 0o600); err != nil {
				t.Fatal(err)
			}
			t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", adc)
			u, _ := url.Parse(e.srv.URL)
			p := e.provider(t, func(c *google.Config) {
				c.CredentialsJSON = nil
				c.Subject = tt.subject
				c.ImpersonateServiceAccount = googlesim.ServiceAccountEmail
				c.HTTPClient = &http.Client{Transport: toSim{sim: u, base: e.srv.Client().Transport}}
			})
			got, err := p.Members(context.Background(), ref("eng@acme.com"))
			if err != nil || len(got) != 1 {
				t.Fatalf("Members = %v, %v", got, err)
			}
			last := e.sim.LastTokenRequest()
			if last.Subject != tt.subject || !slices.Equal(last.Scopes, google.Scopes()) {
				t.Errorf("last token request = %+v", last)
			}
			if c := e.sim.Requests("/v1/projects/-/serviceAccounts/" + googlesim.ServiceAccountEmail + ":" + tt.iamCall); c != 1 {
				t.Errorf("%s requests = %d, want 1", tt.iamCall, c)
			}
		})
	}
}
