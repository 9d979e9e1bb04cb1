package okta_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/providers/okta"
	"github.com/teamsync/teamsync/providers/okta/oktasim"
)

const groupsPath = "/api/v1/groups"

// teams is a directory of n groups "Team 000", … with size members each.
func teams(n, size int) (oktasim.State, []providers.GroupRef) {
	var (
		st   oktasim.State
		refs []providers.GroupRef
	)
	for i := range n {
		name := fmt.Sprintf("Team %03d", i)
		st.Groups = append(st.Groups, oktasim.Group{Name: name, Users: people(size, fmt.Sprintf("t%03d.acme.com", i))})
		refs = append(refs, ref(name))
	}
	return st, refs
}

func prepare(t *testing.T, src providers.Provider, refs []providers.GroupRef) error {
	t.Helper()
	p, ok := src.(providers.Preparer)
	if !ok {
		t.Fatal("the Okta source is not a providers.Preparer")
	}
	return p.Prepare(context.Background(), refs)
}

// readAll reads refs in parallel, as the reconciler does, and checks each
// group has its size members.
func readAll(t *testing.T, src providers.Provider, refs []providers.GroupRef, size int) {
	t.Helper()
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, r := range refs {
		wg.Go(func() {
			got, err := src.Members(context.Background(), r)
			if err == nil && len(got) != size {
				err = fmt.Errorf("got %d members, want %d", len(got), size)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s: %v", refs[i].Name, err)
		}
	}
}

func TestPrepareResolvesNamesInBatches(t *testing.T) {
	tests := []struct {
		groups       int
		wantSearches int
	}{
		{1, 1},
		{20, 1},
		{21, 2},
		{100, 5}, // ⌈100/20⌉
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.groups), func(t *testing.T) {
			st, refs := teams(tt.groups, 3)
			e := newEnv(t, st, oktasim.Options{})
			src := e.source(t, e.config())
			if err := prepare(t, src, refs); err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if n := e.sim.TotalRequests(); n != tt.wantSearches {
				t.Errorf("Prepare sent %d requests, want %d searches", n, tt.wantSearches)
			}
			readAll(t, src, refs, 3)
			if n := e.sim.Requests(groupsPath); n != tt.wantSearches {
				t.Errorf("%d searches after the reads, want still %d", n, tt.wantSearches)
			}
			for _, r := range refs {
				if n := e.sim.Requests(usersPath(t, e, r.Name)); n != 1 {
					t.Errorf("%s: %d member requests, want 1 page", r.Name, n)
				}
			}
			if n, want := e.sim.TotalRequests(), tt.wantSearches+tt.groups; n != want {
				t.Errorf("%d requests in all, want %d", n, want)
			}
		})
	}
}

func TestPrepareSkips(t *testing.T) {
	const id = "00gTEAM0000000000001"
	st := oktasim.State{Groups: []oktasim.Group{
		{ID: id, Name: "By ID", Users: people(1, "id.acme.com")},
		{Name: "Eng", Users: people(1, "acme.com")},
	}}
	tests := []struct {
		name string
		refs []providers.GroupRef
		// wantSearches is what Prepare sends; wantLater what Members of
		// every okta ref then sends to /api/v1/groups.
		wantSearches, wantLater int
	}{
		{"nothing", nil, 0, 0},
		{"other sources and empty names", []providers.GroupRef{
			{Source: providers.SourceGoogle, Name: "eng@acme.com"},
			{Source: providers.SourceUsers, Users: []string{"a@acme.com"}},
			{Source: providers.SourceOkta, Name: " "},
		}, 0, 0},
		{"ID-shaped names are read by ID", []providers.GroupRef{ref(id)}, 0, 0},
		{"a name asked twice is searched once", []providers.GroupRef{ref("Eng"), ref("Eng")}, 1, 0},
		{"names and IDs", []providers.GroupRef{ref("Eng"), ref(id)}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, st, oktasim.Options{})
			src := e.source(t, e.config())
			if err := prepare(t, src, tt.refs); err != nil {
				t.Fatalf("Prepare: %v", err)
			}
			if n := e.sim.Requests(groupsPath); n != tt.wantSearches {
				t.Errorf("Prepare sent %d searches, want %d", n, tt.wantSearches)
			}
			if err := prepare(t, src, tt.refs); err != nil {
				t.Fatalf("second Prepare: %v", err)
			}
			if n := e.sim.Requests(groupsPath); n != tt.wantSearches {
				t.Errorf("a second Prepare of the same names searched again: %d searches, want %d", n, tt.wantSearches)
			}
			for _, r := range tt.refs {
				if r.Source == providers.SourceOkta && strings.TrimSpace(r.Name) != "" {
					if _, err := src.Members(context.Background(), r); err != nil {
						t.Errorf("Members(%q): %v", r.Name, err)
					}
				}
			}
			if n := e.sim.Requests(groupsPath) - tt.wantSearches; n != tt.wantLater {
				t.Errorf("reads sent %d searches, want %d", n, tt.wantLater)
			}
		})
	}
}

func TestPrepareErrorsMatchSingleSearch(t *testing.T) {
	// Errors from a prepared name read exactly as from a name searched
	// alone: same text, same kind.
	var refs []providers.GroupRef
	for _, tt := range resolveCases {
		refs = append(refs, ref(tt.group))
	}
	e := newEnv(t, resolveState(), oktasim.Options{})
	alone := e.source(t, e.config())
	prepared := e.source(t, e.config())
	if err := prepare(t, prepared, refs); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	for _, tt := range resolveCases {
		t.Run(tt.name, func(t *testing.T) {
			_, want := alone.Members(context.Background(), ref(tt.group))
			_, got := prepared.Members(context.Background(), ref(tt.group))
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("prepared: %v\nalone:    %v", got, want)
			}
			for _, kind := range []error{okta.ErrGroupNotFound, okta.ErrGroupAmbiguous, okta.ErrGroupRefused} {
				if errors.Is(got, kind) != errors.Is(want, kind) {
					t.Errorf("errors.Is(%v): prepared %v, alone %v", kind, errors.Is(got, kind), errors.Is(want, kind))
				}
			}
		})
	}
}

func TestPrepareFailureFallsBackToSingleSearch(t *testing.T) {
	// 45 names make three batches of 20, 20 and 5.
	tests := []struct {
		name      string
		fault     oktasim.Fault
		wantErr   string
		failedLen int // names whose batch failed: each then costs its own search
	}{
		{
			// Not all three: three failures in a row would open the
			// edge's breaker, and the reads after would not be sent.
			name:      "two batches fail",
			fault:     oktasim.Fault{Path: groupsPath, Nth: 1, Times: 2, Status: http.StatusInternalServerError},
			wantErr:   "okta: find 45 groups by name: 2 of 3 batched searches failed, first: Internal Server Error, x-okta-request-id=sim-1 (E0000009)",
			failedLen: 40,
		},
		{
			name:      "the second batch fails",
			fault:     oktasim.Fault{Path: groupsPath, Nth: 2, Status: http.StatusInternalServerError},
			wantErr:   "okta: find 45 groups by name: 1 of 3 batched searches failed, first: Internal Server Error, x-okta-request-id=sim-2 (E0000009)",
			failedLen: 20,
		},
		{
			name:      "the last batch is rate limited",
			fault:     oktasim.Fault{Path: groupsPath, Nth: 3, Status: http.StatusTooManyRequests},
			wantErr:   "okta: find 45 groups by name: 1 of 3 batched searches failed, first: GET /api/v1/groups: API call exceeded rate limit due to too many requests. (E0000047)",
			failedLen: 5,
		},
		{
			name:      "a batch page is malformed",
			fault:     oktasim.Fault{Path: groupsPath, Nth: 1, Malformed: true},
			wantErr:   "okta: find 45 groups by name: 1 of 3 batched searches failed, first: GET /api/v1/groups: the answer is not valid JSON",
			failedLen: 20,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, refs := teams(45, 2)
			e := newEnv(t, st, oktasim.Options{})
			cfg := e.config()
			cfg.MaxRetries = -1 // a failed request fails its batch at once
			src := e.source(t, cfg)
			e.sim.Inject(tt.fault)
			err := prepare(t, src, refs)
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("Prepare error %v, want %q", err, tt.wantErr)
			}
			e.sim.ClearFaults()
			readAll(t, src, refs, 2)
			if n, want := e.sim.Requests(groupsPath), 3+tt.failedLen; n != want {
				t.Errorf("%d searches, want %d: 3 batches and one per name they did not resolve", n, want)
			}
		})
	}
}

func TestPrepareQuotedAndLongNames(t *testing.T) {
	// Names with quotes and backslashes, and names long enough (255
	// characters, Okta's maximum, most of them escaped in a URL) that 20
	// in one search would pass the simulator's 8 KiB request limit.
	var st oktasim.State
	var refs []providers.GroupRef
	for i := range 30 {
		var name string
		switch i % 3 {
		case 0:
			name = fmt.Sprintf(`Ops "Core" \ %02d`, i)
		case 1:
			name = fmt.Sprintf("%02d", i) + strings.Repeat("é", 253)
		default:
			name = fmt.Sprintf("%02d ", i) + strings.Repeat(`"`, 252)
		}
		st.Groups = append(st.Groups, oktasim.Group{Name: name, Users: people(1, fmt.Sprintf("g%02d.acme.com", i))})
		refs = append(refs, ref(name))
	}
	e := newEnv(t, st, oktasim.Options{})
	src := e.source(t, e.config())
	if err := prepare(t, src, refs); err != nil {
		t.Fatalf("Prepare: %v", err)
	}
	searches := e.sim.Requests(groupsPath)
	if searches < 2 || searches >= len(refs) {
		t.Errorf("Prepare sent %d searches for %d names, want several names per search but not all in one", searches, len(refs))
	}
	readAll(t, src, refs, 1)
	if n := e.sim.Requests(groupsPath); n != searches {
		t.Errorf("reads sent %d searches of their own, want 0", n-searches)
	}
}

func TestPrepareWhileReading(t *testing.T) {
	// Prepare is advisory and may run while reads are under way: every
	// read is right whether or not it saw the cache.
	st, refs := teams(40, 5)
	e := newEnv(t, st, oktasim.Options{})
	src := e.source(t, e.config())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := prepare(t, src, refs); err != nil {
			t.Errorf("Prepare: %v", err)
		}
	})
	readAll(t, src, refs, 5)
	wg.Wait()
}
