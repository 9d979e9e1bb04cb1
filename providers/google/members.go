package google

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	admin "google.golang.org/api/admin/directory/v1"
	"google.golang.org/api/googleapi"

	"github.com/teamsync/teamsync/providers"
	"github.com/teamsync/teamsync/sync/model"
)

// Member types of the Directory API.
const (
	typeUser     = "USER"
	typeGroup    = "GROUP"
	typeCustomer = "CUSTOMER"
)

// Members returns the people in the group named by ref.Name (its email,
// an alias or its id). Only USER rows are people; with Config.Nested the
// members of nested groups count too, each nested group read once however
// often it recurs, and a member reached only through nested groups has
// Via set to the shortest chain of them (walk.via says how ties break).
// A person is Active when their row says ACTIVE, or, for a
// row whose status is missing or UNKNOWN, when users.get finds them neither
// suspended nor archived. Any call that still fails after the edge's
// retries fails the whole read, and so does an answer or a row teamsync
// cannot fully read (a null or wrongly shaped answer, a null row, a member
// status Google does not document, a USER row without an email, the whole
// domain as a CUSTOMER row): a list without them would read as the whole
// group. Its errors are redacted by the run's Secrets.
func (s *source) Members(ctx context.Context, ref providers.GroupRef) ([]providers.Member, error) {
	members, err := s.members(ctx, ref)
	if err != nil {
		return nil, s.secrets.Error(err)
	}
	return members, nil
}

func (s *source) members(ctx context.Context, ref providers.GroupRef) ([]providers.Member, error) {
	if ref.Source != providers.SourceGoogle {
		return nil, fmt.Errorf("google: group ref has source %q, want %q", ref.Source, providers.SourceGoogle)
	}
	name := strings.TrimSpace(ref.Name)
	if name == "" {
		return nil, errors.New("google: group ref has no email")
	}
	// groups.get by key rather than a search: search results lag by hours.
	g, err := s.svc.Groups.Get(name).Context(ctx).Do()
	if isNotFound(err) {
		return nil, fmt.Errorf("google group %q: %w", name, ErrNotFound)
	}
	if err == nil {
		err = checkAnswer(g, kindGroup)
	}
	if err != nil {
		return nil, fmt.Errorf("google: get group %q: %w", name, describe(err))
	}
	root := groupName(g.Id, firstNonEmpty(g.Email, name))
	w := walk{s: s, visited: map[string]string{}, root: root, children: map[string][]string{}}
	w.mark(g.Id, g.Email, root)
	w.mark("", name, root)
	if err := w.run(ctx, groupJob{key: firstNonEmpty(g.Email, g.Id, name), email: firstNonEmpty(g.Email, name), name: root}); err != nil {
		return nil, fmt.Errorf("google: list members of group %q: %w", name, err)
	}
	members, err := s.resolve(ctx, w.users, w.via())
	if err != nil {
		return nil, fmt.Errorf("google: list members of group %q: %w", name, err)
	}
	active := 0
	for _, m := range members {
		if m.Active {
			active++
		}
	}
	s.log.DebugContext(ctx, "google: read group", "group", name, "members", len(members), "active", active,
		"nested_groups", w.nested, "skipped_groups", w.skippedGroups)
	return members, nil
}

// walk collects the USER rows of a group and, when nesting, of the groups
// inside it, breadth first, each group once.
//
// It expands GROUP rows itself instead of asking members.list for
// includeDerivedMembership. Google's derived listing carries the nested
// groups' own GROUP rows beside their members, so expanding those too would
// read every nested group twice; trusting it alone would silently leave out
// a nested group Google cannot flatten (one in another domain), where this
// walk fails the read instead. The cost is one listing per group in the
// tree: for 2,000 people in ten nested groups, 11 pages either way.
type walk struct {
	s *source
	// visited maps the ids and lower-case emails of the groups met so far
	// to their names (groupName).
	visited map[string]string
	// root is the name of the group read; children lists, by group name,
	// the names of the groups each lists directly (those met before
	// included), for via.
	root     string
	children map[string][]string
	users    []userRow
	// nested counts nested groups read; skippedGroups counts GROUP rows
	// left out because nesting is off.
	nested, skippedGroups int
}

// userRow is a USER row and the name of the group that listed it.
type userRow struct {
	m     *admin.Member
	group string
}

func (w *walk) mark(id, email, name string) {
	if id != "" {
		w.visited[id] = name
	}
	if email != "" {
		w.visited[strings.ToLower(email)] = name
	}
}

// seen returns the name of the group with this id or email, if met.
func (w *walk) seen(id, email string) (string, bool) {
	if n, ok := w.visited[id]; ok && id != "" {
		return n, true
	}
	if n, ok := w.visited[strings.ToLower(email)]; ok && email != "" {
		return n, true
	}
	return "", false
}

type groupJob struct {
	key    string // what members.list is called with: email, else id
	email  string // for errors and logs
	name   string // groupName, for Via
	nested bool
}

func (w *walk) run(ctx context.Context, root groupJob) error {
	queue := []groupJob{root}
	for len(queue) > 0 {
		job := queue[0]
		queue = queue[1:]
		err := w.s.listPages(ctx, job.key, func(m *admin.Member) error {
			switch m.Type {
			case typeUser:
				if !knownStatus(m.Status) {
					// A status Google adds later may or may not mean
					// "still here": guessing either way could remove or
					// add the wrong person.
					return fmt.Errorf("member %s has status %q, which teamsync does not know how to read", memberName(m), m.Status)
				}
				if strings.TrimSpace(m.Email) == "" {
					if m.Status == statusSuspended || m.Status == statusArchived {
						return nil // not desired anyway, as Okta's inactive users without an email
					}
					// Dropping the row would make the list look complete,
					// and the planner would remove whoever it is.
					return fmt.Errorf("a member (user id %q) has no email address; teamsync cannot match it to a Buildkite user", m.Id)
				}
				w.users = append(w.users, userRow{m: m, group: job.name})
			case typeGroup:
				if !w.s.nested {
					w.skippedGroups++
					return nil
				}
				if name, ok := w.seen(m.Id, m.Email); ok {
					// Read already (or queued): another way in, for via.
					w.children[job.name] = append(w.children[job.name], name)
					return nil
				}
				name := groupName(m.Id, m.Email)
				w.mark(m.Id, m.Email, name)
				w.children[job.name] = append(w.children[job.name], name)
				w.nested++
				queue = append(queue, groupJob{key: firstNonEmpty(m.Email, m.Id), email: firstNonEmpty(m.Email, m.Id), name: name, nested: true})
			case typeCustomer:
				// Everyone in the domain is a member. Listing every user is
				// not what a team mapping means, and leaving them out would
				// plan the removal of everyone not also listed by name.
				return fmt.Errorf("the whole domain (customer %s) is a member; teamsync cannot list it — name a narrower group", m.Id)
			default:
				// EXTERNAL ("not currently used") or a type Google adds
				// later: ignoring it would make the list look complete.
				return fmt.Errorf("a member (id %q) has type %q, which teamsync does not know how to read", m.Id, m.Type)
			}
			return nil
		})
		if err != nil {
			if job.nested {
				return fmt.Errorf("nested group %q: %w", job.email, err)
			}
			return err
		}
	}
	return nil
}

// listPages calls visit for every row of the group's direct membership,
// paging to the end, and stops at the first error visit returns. The edge
// retries a page that fails with the same page token, so a transient
// failure neither restarts the listing nor skips a page.
func (s *source) listPages(ctx context.Context, key string, visit func(*admin.Member) error) error {
	tok := ""
	used := map[string]bool{}
	for page := 1; ; page++ {
		c := s.svc.Members.List(key).MaxResults(pageSize).Context(ctx)
		if tok != "" {
			c.PageToken(tok)
		}
		resp, err := c.Do()
		if err == nil {
			err = checkAnswer(resp, kindMembers)
		}
		if err != nil {
			return fmt.Errorf("page %d: %w", page, describe(err))
		}
		for i, m := range resp.Members {
			if m == nil {
				// Skipping it would make the list look complete.
				return fmt.Errorf("page %d: member row %d is null", page, i+1)
			}
			if err := visit(m); err != nil {
				return err
			}
		}
		if resp.NextPageToken == "" {
			return nil
		}
		if used[resp.NextPageToken] {
			return fmt.Errorf("page %d: the server sent a page token it sent before", page)
		}
		used[resp.NextPageToken] = true
		tok = resp.NextPageToken
	}
}

// resolve turns USER rows into members: one per person, sorted, with
// status confirmed through users.get where the row does not settle it, and
// Via as via says for each email. Emails are normalised here
// (model.NormalizeEmail), where Google's data enters teamsync; nothing
// downstream normalises them again.
func (s *source) resolve(ctx context.Context, rows []userRow, via map[string][]string) ([]providers.Member, error) {
	best := map[string]*admin.Member{}
	var order []string
	for _, r := range rows {
		m := r.m
		key := model.NormalizeEmail(m.Email) // never empty: the walk refuses such rows
		prev, ok := best[key]
		if !ok {
			order = append(order, key)
			best[key] = m
			continue
		}
		// A person reached through several groups: a row that says ACTIVE
		// wins, then any row that settles the status over one that does not.
		if prev.Status != statusActive && (m.Status == statusActive || needsLookup(prev.Status)) {
			best[key] = m
		}
	}
	slices.Sort(order)
	out := make([]providers.Member, 0, len(order))
	for _, email := range order {
		m := best[email]
		pm := providers.Member{Email: email, Status: m.Status, Active: m.Status == statusActive, Via: via[email]}
		if needsLookup(m.Status) {
			st, err := s.userStatus(ctx, email)
			if err != nil {
				return nil, fmt.Errorf("check status of user %q: %w", email, err)
			}
			pm.Status, pm.Active = st, st == statusActive
		}
		out = append(out, pm)
	}
	return out, nil
}

// isNotFound reports Google's 404 notFound, as opposed to a 404 from
// something that is not the Directory API (a wrong endpoint).
func isNotFound(err error) bool {
	var gerr *googleapi.Error
	return errors.As(err, &gerr) && gerr.Code == http.StatusNotFound && reason(gerr) == "notFound"
}

// memberName names a row in an error: its email, else its id.
func memberName(m *admin.Member) string {
	if e := strings.TrimSpace(m.Email); e != "" {
		return strconv.Quote(e)
	}
	return fmt.Sprintf("(user id %q)", m.Id)
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}
