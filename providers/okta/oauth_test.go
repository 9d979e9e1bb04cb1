package okta_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

const testClientID = "0oaSERVICEAPP0000001"

var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey
	otherKey *rsa.PrivateKey
)

// testKeys generates two RSA keys once per test binary.
func testKeys(t testing.TB) (*rsa.PrivateKey, *rsa.PrivateKey) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if otherKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return rsaKey, otherKey
}

func pkcs1PEM(k *rsa.PrivateKey) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
}

func pkcs8PEM(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// oauthEnv is a simulator with a registered service app. The SDK stamps
// client assertions with the real time, so the simulator's clock starts
// at the real time here.
func oauthEnv(t *testing.T, pub *rsa.PublicKey) *env {
	t.Helper()
	c := &clock{now: time.Now().UTC().Truncate(time.Second)}
	e := newEnv(t, oneGroup("Eng", people(250, "acme.com")),
		oktasim.Options{ClientID: testClientID, PublicKey: pub, Now: c.Now})
	e.clock, e.sleep.clock = c, c
	return e
}

func oauthConfig(e *env, key []byte) okta.Config {
	cfg := e.config()
	cfg.Token = ""
	cfg.ClientID = testClientID
	cfg.PrivateKey = key
	cfg.PrivateKeyID = "kid-1"
	return cfg
}

func TestOAuthServiceApp(t *testing.T) {
	key, _ := testKeys(t)
	tests := []struct {
		name string
		pem  []byte
	}{
		{"PKCS#1", pkcs1PEM(key)},
		{"PKCS#8", pkcs8PEM(t, key)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := oauthEnv(t, &key.PublicKey)
			src := e.source(t, oauthConfig(e, tt.pem))
			for range 2 {
				got, err := src.Members(context.Background(), ref("Eng"))
				if err != nil {
					t.Fatalf("Members: %v", err)
				}
				if len(got) != 250 {
					t.Fatalf("got %d members, want 250", len(got))
				}
			}
			// One token serves both reads: the SDK caches it for
			// expires_in - 2 seconds.
			if n := e.sim.Requests("/oauth2/v1/token"); n != 1 {
				t.Errorf("%d token requests, want 1", n)
			}
		})
	}
}

func TestOAuthFailures(t *testing.T) {
	key, other := testKeys(t)
	tests := []struct {
		name   string
		pem    []byte
		scopes []string
		want   string
	}{
		{
			name: "key not registered",
			pem:  pkcs8PEM(t, other),
			want: `okta: find group "Eng": The client_assertion signature is invalid. (invalid_client)`,
		},
		{
			name:   "token lacks okta.groups.read",
			pem:    pkcs1PEM(key),
			scopes: []string{"okta.users.read"},
			want:   `okta: find group "Eng": You do not have permission to perform the requested action (E0000006)`,
		},
		{
			name:   "scope not granted",
			pem:    pkcs1PEM(key),
			scopes: []string{"okta.groups.manage"},
			want:   `okta: find group "Eng": The following scopes are not allowed: okta.groups.manage (invalid_scope)`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := oauthEnv(t, &key.PublicKey)
			cfg := oauthConfig(e, tt.pem)
			cfg.Scopes = tt.scopes
			_, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v\nwant  %q", err, tt.want)
			}
			// The SDK sends the signed assertion in the token URL's
			// query; no error may quote it.
			if strings.Contains(err.Error(), "client_assertion=") || strings.Contains(err.Error(), "eyJ") {
				t.Errorf("error quotes the client assertion: %v", err)
			}
		})
	}
}

func TestOAuthTokenEndpointUnreachable(t *testing.T) {
	key, _ := testKeys(t)
	e := oauthEnv(t, &key.PublicKey)
	cfg := oauthConfig(e, pkcs1PEM(key))
	cfg.HTTPClient = e.freshConns().HTTPClient
	cfg.MaxRetries = 1
	e.sim.Inject(oktasim.Fault{Path: "/oauth2/v1/token", Hangup: true})
	_, err := e.source(t, cfg).Members(context.Background(), ref("Eng"))
	if want := `okta: find group "Eng": POST /oauth2/v1/token: EOF (gave up after 2 attempts)`; err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("error %v, want %q…", err, want)
	}
	if errors.Is(err, io.EOF) {
		t.Errorf("error %v unwraps to io.EOF, which the SDK retries without limit", err)
	}
	if strings.Contains(e.logs.String(), "client_assertion") {
		t.Errorf("logs quote the client assertion:\n%s", e.logs)
	}
}

func TestPrivateKeyErrors(t *testing.T) {
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		pem  []byte
		want string
	}{
		{"not PEM", []byte("not a key"), "okta: private key: no PEM block found"},
		{"EC key", pkcs8PEM(t, ec), "okta: private key: PKCS#8 holds a *ecdsa.PrivateKey; an RSA key is needed for RS256"},
		{"certificate", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}}),
			`okta: private key: PEM type "CERTIFICATE": want "RSA PRIVATE KEY" or "PRIVATE KEY"`},
		{"encrypted", pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{1}}),
			"okta: private key: encrypted keys are not supported; store it decrypted with restricted file permissions"},
		{"corrupt PKCS#1", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte("garbage")}),
			"okta: private key: PKCS#1: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := okta.New(context.Background(), okta.Config{
				OrgURL: "https://acme.okta.com", ClientID: testClientID, PrivateKey: tt.pem,
			})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("error %v, want %q", err, tt.want)
			}
		})
	}
}
