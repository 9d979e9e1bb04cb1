package googlesim

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// CustomerID is the id of the simulated Workspace account; CUSTOMER member
// rows carry it.
const CustomerID = "C01s1m0ck"

// Page size limits of members.list.
const (
	maxPageSize     = 200
	defaultPageSize = 200
)

// directory is the mutable state behind the Directory endpoints. Callers
// hold Server.mu.
type directory struct {
	groups []*Group
	users  []*User
}

func newDirectory(st State) directory {
	d := directory{}
	for i := range st.Groups {
		d.groups = append(d.groups, &st.Groups[i])
	}
	for i := range st.Users {
		d.users = append(d.users, &st.Users[i])
	}
	return d
}

// group finds a group by email, alias or id, as groupKey allows.
func (d *directory) group(key string) *Group {
	for _, g := range d.groups {
		if strings.EqualFold(g.Email, key) || id("03", g.Email) == key {
			return g
		}
		for _, a := range g.Aliases {
			if strings.EqualFold(a, key) {
				return g
			}
		}
	}
	return nil
}

// user finds a user by primary email, alias or id, as userKey allows.
func (d *directory) user(key string) *User {
	for _, u := range d.users {
		if strings.EqualFold(u.Email, key) || numericID(u.Email) == key {
			return u
		}
		for _, a := range u.Aliases {
			if strings.EqualFold(a, key) {
				return u
			}
		}
	}
	return nil
}

func (d *directory) setUser(u User) error {
	st, err := State{Users: []User{u}}.normalized()
	if err != nil {
		return err
	}
	u = st.Users[0]
	for i, old := range d.users {
		if strings.EqualFold(old.Email, u.Email) {
			d.users[i] = &u
			return nil
		}
	}
	d.users = append(d.users, &u)
	return nil
}

// row renders one membership row as members.list returns it.
func (d *directory) row(m Member) map[string]any {
	r := map[string]any{
		"kind": "admin#directory#member",
		"role": m.Role,
		"type": m.Type,
	}
	switch m.Type {
	case TypeCustomer:
		r["id"] = CustomerID
	case TypeGroup:
		r["id"] = id("03", m.Email)
		r["email"] = m.Email
		if g := d.group(m.Email); g != nil {
			r["id"] = id("03", g.Email)
			r["email"] = g.Email
		}
	default:
		r["id"] = numericID(m.Email)
		r["email"] = m.Email
		if u := d.user(m.Email); u != nil {
			// Google answers with the primary address even when the
			// membership was added through an alias.
			r["id"] = numericID(u.Email)
			r["email"] = u.Email
		}
		if m.HideEmail {
			delete(r, "email")
		}
	}
	status := m.Status
	switch {
	case status != "":
	case m.Type == TypeCustomer:
		// Google sends no status for the whole-domain row.
		status = StatusAbsent
	default:
		status = StatusActive
		if u := d.user(m.Email); u != nil && m.Type == TypeUser && u.Suspended {
			status = StatusSuspended
		}
	}
	if status != StatusAbsent {
		r["status"] = status
	}
	r["etag"] = etag(m.Type, m.Email, m.Role, status)
	return r
}

// rows lists a group's members; derived also lists the members of nested
// groups (and the nested groups themselves), each once, safe against cycles.
func (d *directory) rows(g *Group, derived bool) []Member {
	if !derived {
		return g.Members
	}
	var out []Member
	seen := map[string]bool{}
	visited := map[*Group]bool{g: true}
	queue := []*Group{g}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, m := range cur.Members {
			key := m.Type + ":" + strings.ToLower(m.Email)
			if !seen[key] {
				seen[key] = true
				out = append(out, m)
			}
			if m.Type != TypeGroup {
				continue
			}
			if sub := d.group(m.Email); sub != nil && !visited[sub] {
				visited[sub] = true
				queue = append(queue, sub)
			}
		}
	}
	return out
}

func (s *Server) handleGroup(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.dir.group(key)
	if g == nil {
		writeError(w, http.StatusNotFound, "notFound", "Resource Not Found: groupKey")
		return
	}
	out := map[string]any{
		"kind":               "admin#directory#group",
		"id":                 id("03", g.Email),
		"etag":               etag("group", g.Email, g.Name, strconv.Itoa(len(g.Members))),
		"email":              g.Email,
		"name":               g.Name,
		"description":        "",
		"directMembersCount": strconv.Itoa(len(g.Members)),
		"adminCreated":       true,
	}
	if len(g.Aliases) > 0 {
		out["aliases"] = g.Aliases
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleMembers(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	q := r.URL.Query()
	size := defaultPageSize
	if v := q.Get("maxResults"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			writeError(w, http.StatusBadRequest, "invalid", "Invalid Input: maxResults")
			return
		}
		size = n
	}
	derived := q.Get("includeDerivedMembership") == "true"
	roles := map[string]bool{}
	for _, role := range strings.Split(q.Get("roles"), ",") {
		if role = strings.TrimSpace(strings.ToUpper(role)); role != "" {
			roles[role] = true
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.dir.group(key)
	if g == nil {
		writeError(w, http.StatusNotFound, "notFound", "Resource Not Found: groupKey")
		return
	}
	var all []Member
	for _, m := range s.dir.rows(g, derived) {
		if len(roles) == 0 || roles[m.Role] {
			all = append(all, m)
		}
	}
	start := 0
	if tok := q.Get("pageToken"); tok != "" {
		n, ok := parsePageToken(tok, g, derived)
		if !ok {
			writeError(w, http.StatusBadRequest, "invalid", "Invalid Input: pageToken")
			return
		}
		start = min(n, len(all))
	}
	end := min(start+size, len(all))
	out := map[string]any{
		"kind": "admin#directory#members",
		"etag": etag("members", g.Email, strconv.Itoa(start), strconv.Itoa(len(all))),
	}
	if end > start {
		page := make([]map[string]any, 0, end-start)
		for _, m := range all[start:end] {
			page = append(page, s.dir.row(m))
		}
		out["members"] = page
	}
	if end < len(all) {
		out["nextPageToken"] = pageToken(g, derived, end)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.dir.user(key)
	if u == nil {
		writeError(w, http.StatusNotFound, "notFound", "Resource Not Found: userKey")
		return
	}
	given, _, _ := strings.Cut(u.Email, "@")
	out := map[string]any{
		"kind":         "admin#directory#user",
		"id":           numericID(u.Email),
		"etag":         etag("user", u.Email, strconv.FormatBool(u.Suspended), strconv.FormatBool(u.Archived)),
		"primaryEmail": u.Email,
		"name":         map[string]string{"givenName": given, "familyName": "Sim", "fullName": given + " Sim"},
		"isAdmin":      false,
		"suspended":    u.Suspended,
		"archived":     u.Archived,
		"customerId":   CustomerID,
	}
	if u.Suspended {
		out["suspensionReason"] = "ADMIN"
	}
	if len(u.Aliases) > 0 {
		out["aliases"] = u.Aliases
	}
	writeJSON(w, http.StatusOK, out)
}

// pageToken is opaque to clients; it binds the offset to the listing it
// came from so a token replayed against another listing is rejected.
func pageToken(g *Group, derived bool, offset int) string {
	raw := fmt.Sprintf("%s|%t|%d", id("03", g.Email), derived, offset)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func parsePageToken(tok string, g *Group, derived bool) (int, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return 0, false
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != id("03", g.Email) || parts[1] != strconv.FormatBool(derived) {
		return 0, false
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}
