package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/teamsync/teamsync/buildkite/bksim"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

// threeTeams maps platform by group name, mobile by group id and web by
// name, on an hourly schedule so that only the hook starts runs.
func threeTeams(t *testing.T) *harness {
	t.Helper()
	mobileID := "00gmobile00000000001"
	o := harnessOpts{
		bk: bksim.State{
			Organization: "acme",
			Members:      members("alice@acme.com", "bob@acme.com", "carol@acme.com", "dave@acme.com", "erin@acme.com"),
			Teams:        []bksim.Team{{Slug: "platform"}, {Slug: "mobile"}, {Slug: "web"}},
		},
		okta: oktasim.State{Groups: []oktasim.Group{
			oktaGroup("Platform Engineers", "alice@acme.com"),
			{ID: mobileID, Name: "Mobile", Users: []oktasim.User{{Email: "bob@acme.com"}}},
			oktaGroup("Web", "carol@acme.com"),
			oktaGroup("Unmapped", "dave@acme.com"),
		}},
		teams: `  - slug: platform
    groups:
      - okta: Platform Engineers
  - slug: mobile
    groups:
      - okta: ` + mobileID + `
  - slug: web
    groups:
      - okta: Web
`,
		schedule: "@every 1h",
		debounce: 5 * time.Second,
	}
	h := start(t, o)
	h.waitRuns(1)
	for slug, want := range map[string]string{"platform": "alice@acme.com:member", "mobile": "bob@acme.com:member", "web": "carol@acme.com:member"} {
		if got := h.team(slug); !slices.Equal(got, []string{want}) {
			t.Fatalf("after startup %s = %v, want [%s]", slug, got, want)
		}
	}
	return h
}

// delivery is an Okta event hook POST body.
func delivery(events ...string) []byte {
	return []byte(`{"eventType":"com.okta.event_hook","eventTypeVersion":"1.0","cloudEventsVersion":"0.1",
 "source":"https://acme.okta.com/api/v1/eventHooks/who123","eventId":"85b60edb","contentType":"application/json",
 "data":{"events":[` + strings.Join(events, ",") + `]}}`)
}

// event is one event; group is the UserGroup target's id and displayName.
func event(uuid, typ, groupID, groupName string) string {
	return fmt.Sprintf(`{"uuid":%q,"published":"2026-03-26T21:05:32.159Z","eventType":%q,"version":"0","severity":"INFO",
 "actor":{"id":"00uadmin","type":"User","alternateId":"admin@acme.com","displayName":"Admin"},
 "outcome":{"result":"SUCCESS","reason":null},
 "target":[{"id":"00u1","type":"User","alternateId":"x@acme.com","displayName":"X","detailEntry":null},
           {"id":%q,"type":"UserGroup","alternateId":"unknown","displayName":%q,"detailEntry":null}]}`,
		uuid, typ, groupID, groupName)
}

func (h *harness) deliver(body []byte) {
	h.t.Helper()
	code, resp := h.call(http.MethodPost, "/hooks/okta", map[string]string{
		"Authorization": hookSecret, "Content-Type": "application/json", "Accept": "application/json",
	}, body)
	if code != http.StatusOK || resp != "" {
		h.t.Fatalf("delivery answered %d %q, want 200 with an empty body", code, resp)
	}
}

func TestOktaHookReconcilesOnlyTheAffectedTeamsOnce(t *testing.T) {
	t.Parallel()
	h := threeTeams(t)
	platformID, _ := h.okta.GroupID("Platform Engineers")
	webID, _ := h.okta.GroupID("Web")
	// Every group changes in Okta; events arrive for platform and mobile only.
	h.setGroup("Platform Engineers", "alice@acme.com", "dave@acme.com")
	h.setGroup("Mobile", "bob@acme.com", "erin@acme.com")
	h.setGroup("Web", "carol@acme.com", "erin@acme.com")

	h.deliver(delivery(
		event("e1", "group.user_membership.add", platformID, "Platform Engineers"),
		event("e2", "user.session.start", webID, "Web"),                               // not a membership event
		event("e3", "group.user_membership.add", "00gunmapped0000000001", "Unmapped"), // not mapped
	))
	if got := h.clk.Waiting(); got != 2 {
		t.Fatalf("waiters after the first event = %d, want 2 (schedule and debounce)", got)
	}
	// More events inside the window, one for mobile by id (its name in the
	// event does not matter), and a duplicate delivery of the first.
	h.deliver(delivery(event("e4", "group.user_membership.remove", "00gmobile00000000001", "Mobile (renamed)")))
	h.deliver(delivery(event("e1", "group.user_membership.add", platformID, "Platform Engineers")))
	if got := h.clk.Waiting(); got != 2 {
		t.Fatalf("waiters after more events = %d, want still 2: one debounce", got)
	}
	if got := h.runs(); got != 1 {
		t.Fatalf("a run started before the debounce ended: %d runs", got)
	}

	h.clk.Advance(5 * time.Second)
	h.waitRuns(2)

	want := map[string][]string{
		"platform": {"alice@acme.com:member", "dave@acme.com:member"},
		"mobile":   {"bob@acme.com:member", "erin@acme.com:member"},
		"web":      {"carol@acme.com:member"}, // no event, no run for it
	}
	for slug, w := range want {
		if got := h.team(slug); !slices.Equal(got, w) {
			t.Errorf("%s = %v, want %v", slug, got, w)
		}
	}
	var hookRuns int
	for _, l := range h.runLines() {
		if l.Trigger == "okta-hook" {
			hookRuns++
		}
	}
	if hookRuns != 1 {
		t.Errorf("okta-hook runs = %d, want 1", hookRuns)
	}
	var changed []string
	for _, l := range h.changeLines("okta-hook") {
		changed = append(changed, l.Team+" "+l.Action+" "+l.Email)
	}
	if w := []string{"mobile add_member erin@acme.com", "platform add_member dave@acme.com"}; !slices.Equal(changed, w) {
		t.Errorf("hook run changes = %v, want %v", changed, w)
	}

	// A late redelivery of events already handled starts nothing.
	h.deliver(delivery(event("e4", "group.user_membership.remove", "00gmobile00000000001", "Mobile")))
	if got := h.clk.Waiting(); got != 1 {
		t.Errorf("waiters after a duplicate delivery = %d, want 1 (no debounce)", got)
	}
}

func TestOktaHookEventDuringARunWaitsForIt(t *testing.T) {
	t.Parallel()
	h := threeTeams(t)
	platformID, _ := h.okta.GroupID("Platform Engineers")

	gate := make(chan struct{})
	h.set(func(h *harness) { h.gate = gate })
	if code, _ := h.call(http.MethodPost, "/sync", map[string]string{"Authorization": "Bearer " + triggerToken}, nil); code != http.StatusAccepted {
		t.Fatalf("POST /sync = %d", code)
	}
	h.setGroup("Platform Engineers", "alice@acme.com", "dave@acme.com")
	h.deliver(delivery(event("e1", "group.user_membership.add", platformID, "Platform Engineers")))
	h.clk.Advance(5 * time.Second) // the debounce ends while the manual run holds the slot

	h.set(func(h *harness) { h.gate = nil })
	close(gate)
	h.waitRuns(3) // startup, manual, then the hook run
	runs := h.runLines()
	if got := runs[len(runs)-1].Trigger; got != "okta-hook" {
		t.Errorf("last run trigger = %q, want okta-hook", got)
	}
}

func TestOktaVerificationChallenge(t *testing.T) {
	t.Parallel()
	h := threeTeams(t)
	resp := h.do(http.MethodGet, "/hooks/okta", map[string]string{"X-Okta-Verification-Challenge": "cH4ll3nge-value"}, nil)
	defer resp.Body.Close()
	var got map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/json" ||
		len(got) != 1 || got["verification"] != "cH4ll3nge-value" {
		t.Errorf("verification = %d %s %v, want 200 application/json {verification: cH4ll3nge-value}",
			resp.StatusCode, resp.Header.Get("Content-Type"), got)
	}
	if code, _ := h.call(http.MethodGet, "/hooks/okta", nil, nil); code != http.StatusBadRequest {
		t.Errorf("GET without a challenge = %d, want 400", code)
	}

	// Okta's verification call may come without the Authorization header,
	// so its absence is accepted; a header that is sent must be right.
	const challenge = "X-Okta-Verification-Challenge"
	for _, tt := range []struct {
		name   string
		header map[string]string
		want   int
	}{
		{"no Authorization header", map[string]string{challenge: "c1"}, http.StatusOK},
		{"the secret", map[string]string{challenge: "c1", "Authorization": hookSecret}, http.StatusOK},
		{"wrong secret", map[string]string{challenge: "c1", "Authorization": "nope"}, http.StatusUnauthorized},
		{"empty Authorization header", map[string]string{challenge: "c1", "Authorization": ""}, http.StatusUnauthorized},
		{"bearer form of the secret", map[string]string{challenge: "c1", "Authorization": "Bearer " + hookSecret}, http.StatusUnauthorized},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := h.call(http.MethodGet, "/hooks/okta", tt.header, nil)
			if code != tt.want {
				t.Fatalf("GET = %d %q, want %d", code, body, tt.want)
			}
			if code == http.StatusUnauthorized && strings.Contains(body, "c1") {
				t.Errorf("a refused verification echoed the challenge: %q", body)
			}
		})
	}
	if strings.Contains(h.logs.String(), hookSecret) {
		t.Error("the hook secret appears in the log")
	}
}

func TestOktaHookRejects(t *testing.T) {
	t.Parallel()
	h := threeTeams(t)
	big := bytes.Repeat([]byte(" "), hookBodyLimit+1)
	tests := []struct {
		name   string
		header map[string]string
		body   []byte
		want   int
	}{
		{"no secret", nil, delivery(), http.StatusUnauthorized},
		{"wrong secret", map[string]string{"Authorization": "nope"}, delivery(), http.StatusUnauthorized},
		{"bearer form of the secret", map[string]string{"Authorization": "Bearer " + hookSecret}, delivery(), http.StatusUnauthorized},
		{"too large", map[string]string{"Authorization": hookSecret}, big, http.StatusRequestEntityTooLarge},
		{"not JSON", map[string]string{"Authorization": hookSecret}, []byte("<html>"), http.StatusBadRequest},
		{"null target", map[string]string{"Authorization": hookSecret},
			delivery(`{"uuid":"n1","eventType":"group.user_membership.add","target":null}`), http.StatusOK},
		{"failed outcome", map[string]string{"Authorization": hookSecret},
			delivery(`{"uuid":"f1","eventType":"group.user_membership.add","outcome":{"result":"FAILURE"},"target":[{"id":"x","type":"UserGroup","displayName":"Web"}]}`), http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if code, body := h.call(http.MethodPost, "/hooks/okta", tt.header, tt.body); code != tt.want {
				t.Errorf("POST = %d %q, want %d", code, body, tt.want)
			}
		})
	}
	if got := h.clk.Waiting(); got != 1 {
		t.Errorf("waiters = %d, want 1: nothing above may arm a run", got)
	}
	if strings.Contains(h.logs.String(), hookSecret) {
		t.Error("the hook secret appears in the log")
	}
}

func TestDedupeForgetsAfterTheWindow(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 3, 26, 9, 0, 0, 0, time.UTC)
	h := newHookState()
	h.seen["old"] = t0
	h.seen["new"] = t0.Add(30 * time.Minute)
	steps := []struct {
		at   time.Duration
		want []string
	}{
		{30 * time.Minute, []string{"new", "old"}},
		{60 * time.Minute, []string{"new", "old"}},                // exactly an hour: kept
		{60*time.Minute + 30*time.Second, []string{"new", "old"}}, // pruned under a minute ago
		{61 * time.Minute, []string{"new"}},
		{91 * time.Minute, []string{}},
	}
	for _, s := range steps {
		h.forget(t0.Add(s.at))
		got := make([]string, 0, len(h.seen))
		for id := range h.seen {
			got = append(got, id)
		}
		slices.Sort(got)
		if !slices.Equal(got, s.want) {
			t.Errorf("at +%v remembered %v, want %v", s.at, got, s.want)
		}
	}
}
