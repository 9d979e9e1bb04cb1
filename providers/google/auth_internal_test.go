package google

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/google"

	"github.com/teamsync/teamsync/internal/httpx"
)

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTokenRequestsGoThroughTheEdge: New refuses a key whose token_uri is
// plain http to another host; should such a key get past it, the token
// request still meets the edge's URL rule and is never sent.
func TestTokenRequestsGoThroughTheEdge(t *testing.T) {
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	key, err := json.Marshal(map[string]string{
		"type":         "service_account",
		"client_email": "sa@p.iam.gserviceaccount.com",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"token_uri":    "http://oauth.example.com/token",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := checkServiceAccountKey(key); err == nil || !strings.Contains(err.Error(), "token_uri must use https") {
		t.Fatalf("checkServiceAccountKey = %v, want token_uri refused", err)
	}

	var sent atomic.Int32
	cfg := Config{HTTPClient: &http.Client{Transport: roundTripFunc(func(*http.Request) (*http.Response, error) {
		sent.Add(1)
		return nil, errors.New("sent")
	})}}
	secrets := httpx.NewSecrets()
	a := &auth{cfg: cfg, secrets: secrets, edge: &recorder{edge: newEdge(cfg, secrets)}}
	// The flow tokenSource builds for a key file, without its checks.
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, &http.Client{Transport: a.edge})
	creds, err := google.CredentialsFromJSONWithTypeAndParams(ctx, key, google.ServiceAccount, google.CredentialsParams{Scopes: Scopes()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.tokens(creds.TokenSource).Token()
	var edge *httpx.Error
	if !errors.As(err, &edge) || edge.Reason != httpx.ReasonURL || edge.Operation != "token" {
		t.Fatalf("err = %v, want the edge's URL refusal of the token request", err)
	}
	if !strings.Contains(err.Error(), "must use https") {
		t.Errorf("err = %v, want it to state the rule", err)
	}
	if n := sent.Load(); n != 0 {
		t.Errorf("%d requests sent, want 0", n)
	}
}
