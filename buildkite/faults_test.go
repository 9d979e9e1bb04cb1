package buildkite

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/buildkite/bksim/bksimtest"
	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/sync/model"
)

var managed = []string{"platform", "mobile", "empty", "ghost"}

// noToken fails the test if the simulator's token shows in err or the
// client's log.
func noToken(t *testing.T, err error, tc *testClient) {
	t.Helper()
	if strings.Contains(errText(err), bksimtest.Token) {
		t.Errorf("token in error: %q", errText(err))
	}
	if strings.Contains(tc.logs.String(), bksimtest.Token) {
		t.Errorf("token in log: %s", tc.logs.String())
	}
}

// TestReadFaults drives ReadOrg through the simulator's faults. Every
// read that recovers must give the same organization as a clean read.
func TestReadFaults(t *testing.T) {
	secs := func(n ...int) []time.Duration {
		var out []time.Duration
		for _, s := range n {
			out = append(out, time.Duration(s)*time.Second)
		}
		return out
	}
	tests := []struct {
		name       string
		fault      bksim.Fault
		maxWait    time.Duration
		wantErr    string
		wantSleeps []time.Duration
		// orPaced: the other read of ReadOrg may also wait, up to the
		// same reset, when it is sent after the 429 told the pacer the
		// window is spent: the two run concurrently, so it may or may not.
		orPaced bool
	}{
		{name: "500 twice, then success",
			fault:      bksim.Fault{Field: "team", Status: 500, Times: 2},
			wantSleeps: secs(1, 2)},
		{name: "429 waits RateLimit-Reset",
			fault:      bksim.Fault{Field: "team", Status: 429, RetryAfter: 7},
			wantSleeps: secs(7), orPaced: true},
		{name: "busy 200 body",
			fault:      bksim.Fault{Field: "team"},
			wantSleeps: secs(1)},
		{name: "429 beyond MaxWait",
			fault:   bksim.Fault{Field: "team", Status: 429, RetryAfter: 600},
			maxWait: time.Minute,
			wantErr: "buildkite: read teams: TeamsBatch: HTTP 429: Your organization has exceeded the limit of 1073741824 complexity points. Please try again in 600 seconds.; " +
				"not retried: waiting 10m0s more would pass the 1m0s allowed for rate-limit waits (waited 0s)"},
		{name: "502 HTML page until retries run out",
			fault:      bksim.Fault{Field: "team", Status: 502, Times: 10, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"},
			wantErr:    "buildkite: read teams: TeamsBatch: HTTP 502: Bad Gateway (gave up after 4 attempts)",
			wantSleeps: secs(1, 2, 3)},
		// Only the invitations query asks for organization.
		{name: "invitations fail",
			fault:      bksim.Fault{Field: "organization", Status: 500, Times: 10},
			wantErr:    "buildkite: read invitations (page 1): OrgInvitations: HTTP 500: Internal Server Error (gave up after 4 attempts)",
			wantSleeps: secs(1, 2, 3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startSim(t, readSeed())
			srv.Inject(tt.fault)
			tc := simClient(t, ts.URL, 2, func(c *Config) {
				if tt.maxWait > 0 {
					c.MaxWait = tt.maxWait
				}
			})
			org, err := tc.ReadOrg(context.Background(), managed)
			noToken(t, err, tc)
			if tt.wantErr != "" {
				if got := errText(err); got != tt.wantErr {
					t.Fatalf("error = %q\nwant    %q", got, tt.wantErr)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				if got, want := withoutIDs(t, org), readSeedWant(); !reflect.DeepEqual(got, want) {
					t.Errorf("ReadOrg =\n%+v\nwant\n%+v", got, want)
				}
			}
			got := tc.sleeps.got()
			if tt.orPaced && len(got) == len(tt.wantSleeps)+1 {
				// Drop the one pacing wait, which is never longer than the
				// reset the 429 gave.
				for i, d := range got {
					if d > 0 && d <= tt.wantSleeps[0] {
						got = append(append([]time.Duration{}, got[:i]...), got[i+1:]...)
						break
					}
				}
			}
			if !reflect.DeepEqual(got, tt.wantSleeps) {
				t.Errorf("sleeps = %v, want %v", tc.sleeps.got(), tt.wantSleeps)
			}
		})
	}
}

func TestReadTypedErrors(t *testing.T) {
	srv, ts := startSim(t, readSeed())
	srv.Inject(bksim.Fault{Field: "team", Status: 502, Times: 10, Body: "<html>bad gateway</html>"})
	tc := simClient(t, ts.URL, 0, func(c *Config) { c.MaxRetries = -1 })
	_, err := tc.ReadOrg(context.Background(), managed)
	var he *HTTPError
	if !errors.As(err, &he) || *he != (HTTPError{Status: 502, Message: "Bad Gateway"}) {
		t.Fatalf("err = %v, want *HTTPError{502, Bad Gateway}", err)
	}
	if got := srv.Stats().ByOperation["team"]; got != len(managed) {
		t.Errorf("with retries off the teams batch went %d/%d times", got, len(managed))
	}
}

// TestReadTeamErrors: a team whose read fails is reported in TeamErrors
// while the rest of the read stands.
func TestReadTeamErrors(t *testing.T) {
	t.Run("follow-up page fails", func(t *testing.T) {
		srv, ts := startSim(t, readSeed())
		// Skip the first-pass batch; fail platform's second page.
		srv.Inject(bksim.Fault{Field: "team", After: 1, Message: "Internal server error"})
		tc := simClient(t, ts.URL, 2, nil)
		org, err := tc.ReadOrg(context.Background(), managed)
		if err != nil {
			t.Fatal(err)
		}
		want := `buildkite: read members of team "platform" (page 2): graphql: Internal server error`
		if len(org.TeamErrors) != 1 || errText(org.TeamErrors["platform"]) != want {
			t.Errorf("TeamErrors = %v, want platform: %s", org.TeamErrors, want)
		}
		// The team exists, with what was read of it; the others are whole.
		// Its first page held the bot and one person (newest first).
		p, ok := org.Teams["platform"]
		if !ok || len(p.Members) != 1 {
			t.Errorf("platform = %+v, want it present with the one person of its first page", p)
		}
		for email := range p.Members {
			if _, known := readSeedWant().Teams["platform"].Members[email]; !known {
				t.Errorf("platform has %s, who is not in it", email)
			}
		}
		if got := withoutIDs(t, org).Teams["mobile"]; !reflect.DeepEqual(got, readSeedWant().Teams["mobile"]) {
			t.Errorf("mobile = %+v", got)
		}
	})
	t.Run("first pass fails per team", func(t *testing.T) {
		srv, ts := startSim(t, readSeed())
		srv.Inject(bksim.Fault{Field: "team", Message: "Internal server error"})
		tc := simClient(t, ts.URL, 2, nil)
		org, err := tc.ReadOrg(context.Background(), managed)
		if err != nil {
			t.Fatal(err)
		}
		if len(org.Teams) != 0 || len(org.TeamErrors) != len(managed) {
			t.Fatalf("Teams = %v, TeamErrors = %v; want no teams and an error for each", org.Teams, org.TeamErrors)
		}
		if got, want := errText(org.TeamErrors["mobile"]), `buildkite: read team "mobile": graphql: Internal server error`; got != want {
			t.Errorf("mobile error = %q, want %q", got, want)
		}
		// No team was read, so no one is known to be a member.
		if len(org.Members) != 0 {
			t.Errorf("members = %v, want none", org.Members)
		}
	})
}

// TestWriteFaults checks the mutation retry policy against the simulator:
// a write is sent again only when Buildkite provably did not run it; after
// any other failure it is read back, once, and reported as it really is.
func TestWriteFaults(t *testing.T) {
	const notRun = "; not sent again, since it may have run; reading back shows it did not take effect"
	tests := []struct {
		name      string
		fault     bksim.Fault
		wantErr   string
		wantAdded bool
		wantSent  int // teamMemberCreate requests that reached the simulator
		wantReads int // read-backs (node queries)
	}{
		{name: "busy is retried", fault: bksim.Fault{Field: "teamMemberCreate"}, wantAdded: true, wantSent: 2},
		{name: "429 is retried", fault: bksim.Fault{Field: "teamMemberCreate", Status: 429, RetryAfter: 3}, wantAdded: true, wantSent: 2},
		{name: "503 is read back, not retried", fault: bksim.Fault{Field: "teamMemberCreate", Status: 503},
			wantErr: "buildkite: teamMemberCreate: HTTP 503: Service Unavailable" + notRun, wantSent: 1, wantReads: 1},
		{name: "502 is read back, not retried", fault: bksim.Fault{Field: "teamMemberCreate", Status: 502},
			wantErr: "buildkite: teamMemberCreate: HTTP 502: Bad Gateway" + notRun, wantSent: 1, wantReads: 1},
		{name: "500 is read back, not retried", fault: bksim.Fault{Field: "teamMemberCreate", Status: 500},
			wantErr: "buildkite: teamMemberCreate: HTTP 500: Internal Server Error" + notRun, wantSent: 1, wantReads: 1},
		{name: "a 200 without the payload is read back", fault: bksim.Fault{Field: "teamMemberCreate", Body: `{"data":{"teamMemberCreate":null}}`},
			wantErr: "buildkite: teamMemberCreate: malformed answer: teamMemberCreate has no result and no error; reading back shows it did not take effect", wantSent: 1, wantReads: 1},
		{name: "500 after the write took effect is done", fault: bksim.Fault{Field: "teamMemberCreate", Status: 500, AfterExecute: true},
			wantAdded: true, wantSent: 1, wantReads: 1},
		{name: "502 after the write took effect is done", fault: bksim.Fault{Field: "teamMemberCreate", Status: 502, AfterExecute: true},
			wantAdded: true, wantSent: 1, wantReads: 1},
		{name: "a 200 null after the write took effect is done", fault: bksim.Fault{Field: "teamMemberCreate", Body: "null", AfterExecute: true},
			wantAdded: true, wantSent: 1, wantReads: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, ts := startSim(t, readSeed())
			tc := simClient(t, ts.URL, 0, nil)
			org := readForWrite(t, tc)
			srv.Inject(tt.fault)
			srv.ResetStats()
			_, err := tc.AddTeamMember(context.Background(), org.Teams["mobile"].ID, org.Members["eve@acme.com"].UserID, model.RoleMember)
			noToken(t, err, tc)
			if got := errText(err); got != tt.wantErr {
				t.Errorf("error = %q\nwant    %q", got, tt.wantErr)
			}
			if httpx.MayHaveRun(err) {
				t.Errorf("httpx.MayHaveRun(%v) = true after the read-back settled it", err)
			}
			added := false
			for _, m := range findTeam(srv.State(), "mobile").Members {
				added = added || m.Email == "eve@acme.com"
			}
			if added != tt.wantAdded {
				t.Errorf("eve in mobile = %v, want %v", added, tt.wantAdded)
			}
			if got := srv.Stats().ByOperation["teamMemberCreate"]; got != tt.wantSent {
				t.Errorf("teamMemberCreate sent %d times, want %d", got, tt.wantSent)
			}
			if got := srv.Stats().ByOperation["node"]; got != tt.wantReads {
				t.Errorf("read back %d times, want %d", got, tt.wantReads)
			}
		})
	}
}

// TestTokenNeverInErrors: a rejected token, and server text that echoes
// it, never surface it.
func TestTokenNeverInErrors(t *testing.T) {
	const secret = "bkua_s3cr3t_value"
	_, ts := startSim(t, readSeed())
	tc := simClient(t, ts.URL, 0, func(c *Config) { c.Token = secret })
	_, err := tc.ReadOrg(context.Background(), managed)
	if got, want := errText(err), "HTTP 401: The API access token is invalid or has been revoked"; !strings.Contains(got, want) {
		t.Errorf("error = %q, want it to hold %q", got, want)
	}

	srv, ts := startSim(t, readSeed())
	srv.Inject(bksim.Fault{Field: "team", Message: "token " + bksimtest.Token + " is not allowed here"})
	srv.Inject(bksim.Fault{Field: "organization", Status: 403, Times: 1, Body: `{"errors":[{"message":"bad token ` + bksimtest.Token + `"}]}`})
	tc2 := simClient(t, ts.URL, 0, nil)
	_, err2 := tc2.ReadOrg(context.Background(), managed)
	if !strings.Contains(errText(err2), "bad token [redacted]") {
		t.Errorf("error = %q, want the echoed token redacted", errText(err2))
	}
	for _, e := range []error{err, err2} {
		for _, tok := range []string{secret, bksimtest.Token} {
			if strings.Contains(errText(e), tok) {
				t.Errorf("error %q holds a token", errText(e))
			}
		}
	}
	for _, c := range []*testClient{tc, tc2} {
		if strings.Contains(c.logs.String(), secret) || strings.Contains(c.logs.String(), bksimtest.Token) {
			t.Errorf("log holds a token: %s", c.logs.String())
		}
	}
}
