package okta

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	oktasdk "github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
)

func TestGetGroupWithNoGroupIsAnError(t *testing.T) {
	// The SDK returns no group and no error for an answer it does not
	// decode. The transport refuses the answers known to do that; resolve
	// must not rely on it, so the SDK here talks to the server directly.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	_, client, err := oktasdk.NewClient(context.Background(),
		oktasdk.WithOrgUrl(srv.URL), oktasdk.WithToken("t"), oktasdk.WithAuthorizationMode("SSWS"),
		oktasdk.WithTestingDisableHttpsCheck(true), oktasdk.WithHttpClientPtr(srv.Client()),
		oktasdk.WithCache(false), oktasdk.WithRateLimitMaxRetries(0), oktasdk.WithPrivateKey(""))
	if err != nil {
		t.Fatal(err)
	}
	s := &source{client: client, userEmail: UserEmailEmail, secrets: httpx.NewSecrets(), log: slog.New(slog.DiscardHandler)}
	const id = "00g00000000000000001"
	_, err = s.Members(context.Background(), providers.GroupRef{Source: providers.SourceOkta, Name: id})
	if want := `okta: get group "` + id + `": the answer holds no group`; err == nil || err.Error() != want {
		t.Errorf("error %v, want %q", err, want)
	}
}
