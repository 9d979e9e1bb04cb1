package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/teamsync/teamsync/sync/audit"
	"github.com/teamsync/teamsync/sync/config"
)

// Okta Event Hook handling. Okta verifies the endpoint once with a GET
// carrying a challenge, then POSTs batches of events with the configured
// Authorization header; it expects an answer within 3 s, delivers at least
// once and retries on 5xx. An event is only a hint to re-read: the run
// reads the groups from the Okta API like any other.
const (
	// hookBodyLimit bounds one delivery; Okta batches are far smaller.
	hookBodyLimit = 1 << 20
	// dedupeWindow is how long an event uuid is remembered.
	dedupeWindow = time.Hour
	// challengeHeader carries the one-time verification value.
	challengeHeader = "X-Okta-Verification-Challenge"
)

// Membership event types that can change a team.
var membershipEvents = []string{"group.user_membership.add", "group.user_membership.remove"}

// hookState is the Okta hook's share of the daemon, guarded by daemon.mu.
type hookState struct {
	pending map[string]bool      // team slugs waiting for a hook run
	armed   bool                 // a debounce wait is going
	due     bool                 // the wait ended while another run was going
	seen    map[string]time.Time // event uuid → first delivery
	pruned  time.Time            // when seen was last pruned
}

func newHookState() hookState {
	return hookState{pending: map[string]bool{}, seen: map[string]time.Time{}}
}

// forget drops remembered event uuids older than dedupeWindow, at most
// once a minute so that a busy hook does not scan the set every delivery.
func (h *hookState) forget(now time.Time) {
	if now.Sub(h.pruned) < time.Minute {
		return
	}
	h.pruned = now
	for id, at := range h.seen {
		if now.Sub(at) > dedupeWindow {
			delete(h.seen, id)
		}
	}
}

// take returns the pending teams, sorted, and clears them.
func (h *hookState) take() []string {
	teams := make([]string, 0, len(h.pending))
	for t := range h.pending {
		teams = append(teams, t)
	}
	slices.Sort(teams)
	clear(h.pending)
	return teams
}

// oktaVerify answers the one-time verification GET by echoing the
// challenge as JSON. Like deliveries, it is refused while no hook secret
// is configured, and when an Authorization header is sent that is not the
// secret. A request without the header is answered: Okta's verification
// call need not carry it, and the echo reveals nothing but the caller's
// own challenge.
func (d *daemon) oktaVerify(w http.ResponseWriter, r *http.Request) {
	secret := d.secret(OktaHookSecretEnv)
	if secret == "" {
		d.log.Warn("refused the Okta event hook verification: no hook secret is configured", "remote", r.RemoteAddr)
		text(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	if _, sent := r.Header["Authorization"]; sent && !secretEqual(r.Header.Get("Authorization"), secret) {
		d.log.Warn("refused the Okta event hook verification: wrong Authorization header", "remote", r.RemoteAddr)
		text(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	challenge := r.Header.Get(challengeHeader)
	if challenge == "" {
		text(w, http.StatusBadRequest, "missing "+challengeHeader+" header")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"verification": challenge})
	d.log.Info("answered the Okta event hook verification")
}

// hookPayload is the part of an Okta event hook delivery teamsync reads.
type hookPayload struct {
	EventID string `json:"eventId"`
	Data    struct {
		Events []hookEvent `json:"events"`
	} `json:"data"`
}

type hookEvent struct {
	UUID      string `json:"uuid"`
	EventType string `json:"eventType"`
	Outcome   *struct {
		Result string `json:"result"`
	} `json:"outcome"`
	Target []hookTarget `json:"target"`
}

type hookTarget struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	DisplayName string `json:"displayName"`
}

// oktaEvents takes a delivery: it checks the shared secret, reads the
// events, and queues a debounced run for the teams whose mapped Okta groups
// changed. It answers at once and never waits for the run.
func (d *daemon) oktaEvents(ctx context.Context, w http.ResponseWriter, r *http.Request) {
	if !secretEqual(r.Header.Get("Authorization"), d.secret(OktaHookSecretEnv)) {
		d.log.Warn("refused an Okta event hook delivery: missing or wrong Authorization header", "remote", r.RemoteAddr)
		text(w, http.StatusUnauthorized, "unauthorized")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, hookBodyLimit))
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			text(w, http.StatusRequestEntityTooLarge, "delivery larger than 1 MiB")
			return
		}
		text(w, http.StatusBadRequest, "could not read the delivery")
		return
	}
	var p hookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		text(w, http.StatusBadRequest, "delivery is not valid JSON")
		return
	}
	teams := d.queueEvents(ctx, p.Data.Events)
	d.log.Info("Okta event hook delivery", "event_id", p.EventID, "events", len(p.Data.Events), "teams", teams)
	w.WriteHeader(http.StatusOK)
}

// queueEvents adds the teams that events concern to the pending set, arms
// the debounce if it is not already, and returns the teams it added.
// Events seen before (same uuid), failed events, other event types and
// groups the mapping does not name are ignored; only the uuids of events
// that matched are remembered.
func (d *daemon) queueEvents(ctx context.Context, events []hookEvent) []string {
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hook.forget(now)
	var added []string
	for _, e := range events {
		if !slices.Contains(membershipEvents, e.EventType) {
			continue
		}
		if e.Outcome != nil && e.Outcome.Result != "" && !strings.EqualFold(e.Outcome.Result, "SUCCESS") {
			continue
		}
		var teams []string
		for _, t := range e.Target {
			if t.Type == "UserGroup" {
				teams = append(teams, teamsOfOktaGroup(d.mapping, t.ID, t.DisplayName)...)
			}
		}
		if len(teams) == 0 {
			continue
		}
		if e.UUID != "" {
			if _, dup := d.hook.seen[e.UUID]; dup {
				continue
			}
			d.hook.seen[e.UUID] = now
		}
		for _, slug := range teams {
			if !d.hook.pending[slug] {
				d.hook.pending[slug] = true
				added = append(added, slug)
			}
		}
	}
	if len(d.hook.pending) > 0 && !d.hook.armed && !d.hook.due && !d.stopping && ctx.Err() == nil {
		d.hook.armed = true
		wait := d.after(d.cfg.Debounce) // started now: the window opens at the first event
		d.tasks.Add(1)
		go func() {
			defer d.tasks.Done()
			d.debounce(ctx, wait)
		}()
	}
	slices.Sort(added)
	return added
}

// debounce waits for more events, then starts the hook run for every team
// they named; if another run is going, the hook run starts when it ends.
// The wait runs from the first event, so a steady stream of events cannot
// postpone the run for ever.
func (d *daemon) debounce(ctx context.Context, wait <-chan time.Time) {
	select {
	case <-ctx.Done():
		return
	case <-wait:
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hook.armed = false
	if d.running {
		d.hook.due = true
		return
	}
	if teams := d.hook.take(); len(teams) > 0 {
		d.startLocked(ctx, runRequest{trigger: audit.TriggerOktaHook, teams: teams})
	}
}

// teamsOfOktaGroup lists the teams with an Okta group entry naming the
// group by id or by name.
func teamsOfOktaGroup(m *config.Mapping, id, name string) []string {
	var out []string
	for _, t := range m.Teams {
		for _, g := range t.Groups {
			if g.Okta != "" && (g.Okta == id || g.Okta == name) {
				out = append(out, t.Slug)
				break
			}
		}
	}
	return out
}
