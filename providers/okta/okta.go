// Package okta is teamsync's Okta source: it resolves a group named in
// mapping.yaml (by ID or exact name) and reads all of its members through
// the Okta SDK, returning them as providers.Member values; its Prepare
// resolves a run's group names many to a search first, and its
// LookupPeople finds people by email, many to a user search, for
// offboarding and explain. A read that is not
// whole and well formed is an error, never a shorter list (see
// docs/semantics.md). Under the SDK, requests go through the edge every
// API shares (internal/httpx: timeouts, retries, the breaker, redaction);
// this package adds only Okta's own: how its answers read and pacing that
// leaves rate-limit headroom for the org's other clients.
// Its simulator, for tests and the demo, is the oktasim package below it.
package okta

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strings"
	"time"

	oktasdk "github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/teamsync/teamsync/internal/httpx"
	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/model"
)

// pageSize is the limit asked of every listing: Okta's recommendation for
// both groups and group members.
const pageSize = 200

// source reads Okta groups. It is safe for concurrent use.
type source struct {
	client    *oktasdk.Client
	userEmail string
	secrets   *httpx.Secrets
	log       *slog.Logger
	// names is what Prepare resolved.
	names nameCache
}

var _ providers.Provider = (*source)(nil)

// New returns the Okta source for cfg. It validates cfg and builds the SDK
// client without any network I/O; credentials are first used by Members or
// Prepare. The source also implements providers.Preparer and
// providers.PersonLookup; build one per run, since the group names Prepare
// resolves are kept for the source's life, and so is the edge's verdict
// that Okta stopped answering.
//
// Every SDK option is set explicitly, so ~/.okta/okta.yaml and OKTA_CLIENT_*
// / OKTA_TESTING_* environment variables, which the SDK reads first, have
// no effect. The SDK's response cache is off (it would serve list pages up
// to five minutes old) and its own 429 retry is off in favour of the edge's.
func New(ctx context.Context, cfg Config) (providers.Provider, error) {
	c, plainHTTP, err := cfg.withDefaults()
	if err != nil {
		return nil, c.Secrets.Error(err)
	}
	c.Secrets.Add(c.Token, string(c.PrivateKey))
	c.Logger = c.Logger.With("provider", "okta")
	var base http.RoundTripper
	if cfg.HTTPClient != nil && cfg.HTTPClient.Transport != nil {
		base = cfg.HTTPClient.Transport
	} else {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	hc := &http.Client{Transport: newTransport(base, c)}

	opts := []oktasdk.ConfigSetter{
		oktasdk.WithOrgUrl(c.OrgURL),
		oktasdk.WithHttpClientPtr(hc),
		oktasdk.WithCache(false),
		oktasdk.WithCacheTtl(0),
		oktasdk.WithCacheTti(0),
		oktasdk.WithConnectionTimeout(0), // only used without our client
		oktasdk.WithRequestTimeout(0),    // the edge bounds each request
		oktasdk.WithRateLimitMaxRetries(0),
		oktasdk.WithRateLimitMaxBackOff(int64(c.MaxBackoff / time.Second)),
		oktasdk.WithTestingDisableHttpsCheck(plainHTTP),
		oktasdk.WithUserAgentExtra("teamsync"),
		oktasdk.WithProxyHost(""),
		oktasdk.WithProxyPort(0),
		oktasdk.WithProxyUsername(""),
		oktasdk.WithProxyPassword(""),
		oktasdk.WithClientAssertion(""),
		// Empty, so no OKTA_CLIENT_PRIVATEKEY path is read; the SDK would
		// exit the process on a read error.
		oktasdk.WithPrivateKey(""),
		oktasdk.WithPrivateKeyId(c.PrivateKeyID),
	}
	if c.oauth() {
		signer, err := signerFromPEM(c.PrivateKey, c.PrivateKeyID)
		if err != nil {
			return nil, c.Secrets.Error(err)
		}
		opts = append(opts,
			oktasdk.WithAuthorizationMode("PrivateKey"),
			oktasdk.WithToken(""),
			oktasdk.WithClientId(c.ClientID),
			oktasdk.WithScopes(c.Scopes),
			oktasdk.WithPrivateKeySigner(signer),
		)
	} else {
		opts = append(opts,
			oktasdk.WithAuthorizationMode("SSWS"),
			oktasdk.WithToken(c.Token),
			oktasdk.WithClientId(""),
			oktasdk.WithScopes(nil),
			oktasdk.WithPrivateKeySigner(nil),
		)
	}
	_, client, err := oktasdk.NewClient(ctx, opts...)
	if err != nil {
		return nil, c.Secrets.Error(fmt.Errorf("okta: configure client: %w", err))
	}
	return &source{client: client, userEmail: c.UserEmail, secrets: c.Secrets, log: c.Logger}, nil
}

// Members returns every member of the group ref names, in every status,
// with Active set as activeStatus says, sorted by email. A read that fails
// at any page, or a page that is not a well-formed list of users in
// statuses Okta documents, is an error, never a short list. Its errors
// are redacted with the source's Secrets.
func (s *source) Members(ctx context.Context, ref providers.GroupRef) ([]providers.Member, error) {
	members, err := s.members(ctx, ref)
	return members, s.secrets.Error(err)
}

func (s *source) members(ctx context.Context, ref providers.GroupRef) ([]providers.Member, error) {
	if ref.Source != providers.SourceOkta {
		return nil, fmt.Errorf("okta: group source is %q, want %q", ref.Source, providers.SourceOkta)
	}
	if strings.TrimSpace(ref.Name) == "" {
		return nil, errors.New("okta: group name is empty")
	}
	g, err := s.resolve(ctx, ref.Name)
	if err != nil {
		return nil, err
	}
	// Each page's SDK users (with their whole profiles) are converted as
	// it arrives and dropped: only the members are kept.
	list := &memberList{source: s, group: ref.Name, seen: map[string]bool{}}
	pages, err := s.listUsers(ctx, g.Id, func(page []*oktasdk.User) error { return list.add(ctx, page) })
	if err != nil {
		return nil, fmt.Errorf("okta: list members of group %q: %w", ref.Name, err)
	}
	members := list.sorted()
	s.log.Debug("okta: read group", "group", ref.Name, "group_id", g.Id,
		"users", list.users, "members", len(members), "pages", pages)
	return members, nil
}

// listUsers reads every page of a group's users, handing each to each.
func (s *source) listUsers(ctx context.Context, groupID string, each func([]*oktasdk.User) error) (int, error) {
	users, resp, err := s.client.Group.ListGroupUsers(ctx, groupID, query.NewQueryParams(query.WithLimit(pageSize)))
	return eachPage(ctx, users, resp, err, each)
}

// pageError says which page failed, unless err is Okta's own final
// answer, which reads best unadorned: "<summary> (<code>)".
func pageError(page int, err error) error {
	var (
		ae *APIError
		he *httpx.Error
	)
	if errors.As(err, &ae) && !errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("page %d: %w", page, err)
}

// memberList is a group's members as its pages are read: each page of SDK
// users is converted when it arrives and can then go, so a large group
// never holds more than one page of SDK users with their profiles.
type memberList struct {
	*source
	group   string
	seen    map[string]bool
	users   int // users listed so far, repeats included
	members []providers.Member
}

// add converts a page of users, dropping repeats (a user seen on two
// pages when membership changed mid-read). Anything that makes the list less than
// the group fails the group instead:
//   - an entry that is null or has no id, or a user whose status is
//     missing or not one Okta documents: nothing says whether they count;
//   - a member who counts but lacks the email attribute: they cannot be
//     matched to a Buildkite user, and a list without them would read as
//     the whole group, so the planner would remove them from the team.
//
// An inactive member without the email attribute is skipped, since they
// could not be desired anyway.
func (l *memberList) add(ctx context.Context, page []*oktasdk.User) error {
	for _, u := range page {
		l.users++
		i := l.users
		switch {
		case u == nil:
			return fmt.Errorf("user %d of the listing is null", i)
		case u.Id == "":
			return fmt.Errorf("user %d of the listing has no id (status %q)", i, u.Status)
		case u.Status == "":
			return fmt.Errorf("user %s has no status", u.Id)
		case !knownStatus(u.Status):
			return fmt.Errorf("user %s has status %q, which is not one Okta documents", u.Id, u.Status)
		case l.seen[u.Id]:
			continue
		}
		l.seen[u.Id] = true
		active := activeStatus(u.Status)
		// Normalised here, where Okta's data enters; nothing downstream
		// normalises it again.
		email := model.NormalizeEmail(profileString(u.Profile, l.userEmail))
		if email == "" {
			if active {
				return fmt.Errorf("user %s (%s) has no profile.%s to match to a Buildkite user", u.Id, u.Status, l.userEmail)
			}
			l.log.DebugContext(ctx, "okta: skipping inactive group member without an email to match",
				"group", l.group, "user_id", u.Id, "attribute", "profile."+l.userEmail, "status", u.Status)
			continue
		}
		l.members = append(l.members, providers.Member{Email: email, Status: u.Status, Active: active})
	}
	return nil
}

// sorted returns the members by email.
func (l *memberList) sorted() []providers.Member {
	if l.members == nil {
		l.members = []providers.Member{}
	}
	sort.SliceStable(l.members, func(i, j int) bool { return l.members[i].Email < l.members[j].Email })
	return l.members
}

// knownStatus reports whether status is in Okta's documented UserStatus
// set. A status outside it (absent, or one added after this was written)
// says nothing about whether the person still works here.
func knownStatus(status string) bool {
	switch status {
	case "STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "LOCKED_OUT",
		"PASSWORD_EXPIRED", "SUSPENDED", "DEPROVISIONED":
		return true
	}
	return false
}

// activeStatus reports whether an Okta user status counts as a member:
// still employed, even if locked out, mid-recovery or with an expired
// password. STAGED and PROVISIONED users have never signed in; SUSPENDED
// and DEPROVISIONED ones are gone.
func activeStatus(status string) bool {
	switch status {
	case "ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY":
		return true
	}
	return false
}

// profileString is a string profile attribute as Okta gave it, or "".
func profileString(p *oktasdk.UserProfile, attr string) string {
	if p == nil {
		return ""
	}
	v, _ := (*p)[attr].(string)
	return v
}
