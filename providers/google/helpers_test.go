package google_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/teamsync/teamsync/internal/testutil"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/google"
	"github.com/teamsync/teamsync/providers/google/googlesim"
)

const (
	adminEmail = "admin@acme.com"
	groupsPath = "/admin/directory/v1/groups/"
	usersPath  = "/admin/directory/v1/users/"
)

// env is a simulator on loopback with a service-account key it trusts.
type env struct {
	sim    *googlesim.Server
	srv    *httptest.Server
	key    []byte
	keyDir string
	sleeps *sleepRecorder
	logs   *testutil.Buffer
}

// testKey is one RSA key for all tests: generating one per test costs more
// than the tests themselves.
var testKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func newEnv(t testing.TB, st googlesim.State, opts googlesim.Options) *env {
	t.Helper()
	if opts.Key == nil {
		opts.Key = testKey()
	}
	sim, err := googlesim.New(st, opts)
	if err != nil {
		t.Fatalf("googlesim.New: %v", err)
	}
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	path, err := sim.WriteServiceAccountKey(dir, srv.URL+"/token")
	if err != nil {
		t.Fatalf("WriteServiceAccountKey: %v", err)
	}
	key, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return &env{sim: sim, srv: srv, key: key, keyDir: dir, sleeps: &sleepRecorder{}, logs: &testutil.Buffer{}}
}

// config is the Config a test starts from: the simulator's key, the admin
// subject, nesting on, recorded sleeps and a debug logger into e.logs.
func (e *env) config() google.Config {
	return google.Config{
		CredentialsJSON: e.key,
		Subject:         adminEmail,
		Endpoint:        e.srv.URL,
		Nested:          true,
		HTTPClient:      e.srv.Client(),
		Sleep:           e.sleeps.sleep,
		Logger:          slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

func (e *env) provider(t testing.TB, edit func(*google.Config)) providers.Provider {
	t.Helper()
	cfg := e.config()
	if edit != nil {
		edit(&cfg)
	}
	p, err := google.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("google.New: %v", err)
	}
	return p
}

func ref(email string) providers.GroupRef {
	return providers.GroupRef{Source: providers.SourceGoogle, Name: email}
}

// sleepRecorder stands in for real waits and remembers what was asked.
type sleepRecorder struct {
	mu sync.Mutex
	ds []time.Duration
}

func (r *sleepRecorder) sleep(ctx context.Context, d time.Duration) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ds = append(r.ds, d)
	return ctx.Err()
}

func (r *sleepRecorder) all() []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.ds...)
}

// users makes n USER members u000@acme.com… with the given status.
func users(n int, status string) []googlesim.Member {
	out := make([]googlesim.Member, n)
	for i := range out {
		out[i] = googlesim.Member{Email: fmt.Sprintf("u%04d@acme.com", i), Status: status}
	}
	return out
}

// emails lists the members' emails, with "!" appended to inactive ones.
func emails(ms []providers.Member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Email
		if !m.Active {
			out[i] += "!"
		}
	}
	return out
}

// sameMember compares members field by field: Member holds a slice, so
// it is not comparable with ==.
func sameMember(a, b providers.Member) bool {
	return a.Email == b.Email && a.Status == b.Status && a.Active == b.Active && slices.Equal(a.Via, b.Via)
}
