package config

import (
	"fmt"
	"os"
	"time"

	"github.com/robfig/cron/v3"
	"gopkg.in/yaml.v3"

	"github.com/teamsync/teamsync/sync/model"
)

// knownKeys lists the keys each mapping of the file may hold, in the order
// the example mapping.yaml documents them; the first close one is offered
// when a key is misspelt.
// It is a function rather than a table so nothing can change it.
func knownKeys(section string) []string {
	switch section {
	case "":
		return []string{"buildkite", "okta", "google", "sync", "offboarding", "teams"}
	case "buildkite":
		return []string{"organization", "token_env", "token_file", "graphql_url", "rate_limit_headroom", "request_timeout"}
	case "okta":
		return []string{"org_url", "token_env", "token_file", "client_id", "private_key_file", "private_key_id", "scopes", "user_email", "rate_limit_headroom", "request_timeout"}
	case "google":
		return []string{"credentials_file", "subject", "impersonate_service_account", "endpoint", "nested", "request_timeout"}
	case "sync":
		return []string{"schedule", "policy", "missing_users", "max_removals", "max_removal_percent", "protected_users", "email_domains", "audit_log", "full_read_every", "dry_run"}
	case "offboarding":
		return []string{"source", "domains", "revoke_invitations", "include_admins", "every"}
	case "team":
		return []string{"slug", "name", "create", "privacy", "policy", "groups"}
	case "group":
		return []string{"okta", "google", "users", "role", "allow_empty", "expires"}
	}
	return nil
}

// defaultOktaScopes are requested when okta.client_id is set and
// okta.scopes is not.
func defaultOktaScopes() []string { return []string{"okta.groups.read", "okta.users.read"} }

// Load reads and parses the mapping file at path. A file that cannot be read
// is a plain error; a file with problems returns *Errors listing all of them.
func Load(path string) (*Mapping, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mapping file: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and validates mapping.yaml content; path names the file in
// error messages. On any problem it returns nil and an *Errors holding every
// problem found, sorted by line, each naming file:line.
//
// Defaults are applied as mapping.yaml documents them. An explicit
// sync.max_removals of 0 means no removal happens without --allow-removals,
// and an explicit sync.max_removal_percent of 0 holds back any removal from
// a team of 10 or more members; leaving them out gives DefaultMaxRemovals
// and DefaultMaxRemovalPercent.
func Parse(path string, data []byte) (*Mapping, error) {
	d := &decoder{collector: &collector{file: path}}
	var m *Mapping
	if root := d.document(data); root != nil {
		m = d.mapping(root)
	}
	if err := d.err(); err != nil {
		return nil, err
	}
	return m, nil
}

// mapping decodes the top level.
func (d *decoder) mapping(root *yaml.Node) *Mapping {
	m := &Mapping{Path: d.file, lines: map[string]int{}}
	o, ok := d.object(root, root.Line, "", "", knownKeys(""))
	if !ok {
		return m
	}
	m.Buildkite = d.buildkite(o, m.lines)
	m.Okta = d.okta(o, m.lines)
	m.Google = d.google(o, m.lines)
	m.Sync = d.sync(o)
	m.Offboarding = d.offboarding(o, m)
	m.Teams = d.teams(o, m)
	return m
}

func (d *decoder) buildkite(root object, lines map[string]int) Buildkite {
	o, oAt := d.child(root, "buildkite", knownKeys("buildkite"))
	b := Buildkite{GraphQLURL: DefaultGraphQLURL, RateLimitHeadroom: DefaultBuildkiteRateLimitHeadroom, RequestTimeout: DefaultRequestTimeout, Line: o.line}
	if !oAt.absent() && !oAt.ok {
		return b
	}
	org, orgAt := d.str(o, "organization")
	switch {
	case orgAt.absent() || (orgAt.ok && org == ""):
		d.add(max(orgAt.line, o.line), o.path, "organization is required")
	case orgAt.ok && !validSlug(org):
		d.add(orgAt.line, o.path, "organization %q is not an organization slug (lower-case letters, digits and \"-\")", org)
	}
	b.Organization = org
	lines["buildkite.organization"] = orgAt.line
	if u, uAt := d.str(o, "graphql_url"); uAt.ok {
		lines["buildkite.graphql_url"] = uAt.line
		d.checkURL(uAt.line, o.path, "graphql_url", u)
		b.GraphQLURL = u
	}
	if n, nAt := d.integer(o, "rate_limit_headroom"); nAt.ok {
		if n < 0 || n > 90 {
			d.add(nAt.line, o.path, "rate_limit_headroom must be a percentage from 0 to 90, got %d", n)
		}
		b.RateLimitHeadroom = n
	}
	b.RequestTimeout = d.requestTimeout(o)
	b.Token = d.secret(o, DefaultBuildkiteTokenEnv, "token_env is empty; name the environment variable that holds the API token")
	return b
}

// requestTimeout reads a section's request_timeout, a Go duration string
// such as "2m": more than 0 and at most MaxRequestTimeout, else reported;
// DefaultRequestTimeout when left out or wrong.
func (d *decoder) requestTimeout(o object) time.Duration {
	return d.duration(o, "request_timeout", `"2m" or "90s"`, DefaultRequestTimeout, MaxRequestTimeout, "1h")
}

// duration reads key of o as a Go duration above 0 and at most max (said
// as maxText in errors), or def when it is absent or wrong (a wrong one is
// reported at its line). example shows the form in the error.
func (d *decoder) duration(o object, key, example string, def, max time.Duration, maxText string) time.Duration {
	v, vAt := d.str(o, key)
	if !vAt.ok {
		return def
	}
	t, err := time.ParseDuration(v)
	switch {
	case err != nil:
		d.add(vAt.line, o.path, "%s %q is not a duration such as %s", key, v, example)
	case t <= 0:
		d.add(vAt.line, o.path, "%s must be more than 0, got %q", key, v)
	case t > max:
		d.add(vAt.line, o.path, "%s must be at most %s, got %q", key, maxText, v)
	default:
		return t
	}
	return def
}

// secret reads token_env and token_file of a section. With neither set the
// secret is the environment variable def; emptyEnv is the message for a
// token_env written as "".
func (d *decoder) secret(o object, def, emptyEnv string) Secret {
	env, envAt := d.str(o, "token_env")
	file, fileAt := d.str(o, "token_file")
	s := Secret{Origin: d.file, Line: o.line, Key: join(o.path, "token_env"), Env: def}
	switch {
	case !envAt.absent() && !fileAt.absent():
		d.add(fileAt.line, o.path, "token_env and token_file are both set; keep one")
	case envAt.ok && env == "":
		d.add(envAt.line, o.path, "%s", emptyEnv)
	case envAt.ok && looksLikeToken(env):
		d.add(envAt.line, o.path, "token_env holds what looks like a token; name the environment variable that holds it instead, and revoke that token")
	case envAt.ok && !validEnvName(env):
		d.add(envAt.line, o.path, "token_env is not an environment variable name (letters, digits and _, not starting with a digit)")
	case envAt.ok:
		s.Env, s.Line = env, envAt.line
	case fileAt.ok && file == "":
		d.add(fileAt.line, o.path, "token_file is empty; name the file that holds the token")
	case fileAt.ok:
		s = Secret{Origin: d.file, Line: fileAt.line, Key: join(o.path, "token_file"), File: file}
	}
	return s
}

func (d *decoder) okta(root object, lines map[string]int) *Okta {
	o, oAt := d.child(root, "okta", knownKeys("okta"))
	if oAt.absent() {
		return nil
	}
	k := &Okta{UserEmail: UserEmailEmail, RateLimitHeadroom: DefaultOktaRateLimitHeadroom, RequestTimeout: DefaultRequestTimeout, Line: o.line}
	if !oAt.ok {
		return k // reported; a section is there, so okta groups are not errors too
	}
	u, uAt := d.str(o, "org_url")
	switch {
	case uAt.absent() || (uAt.ok && u == ""):
		d.add(max(uAt.line, o.line), o.path, "org_url is required")
	case uAt.ok:
		if d.checkURL(uAt.line, o.path, "org_url", u) {
			d.checkBaseURL(uAt.line, o.path, "org_url", u)
		}
		k.OrgURL = trimSlash(u)
		lines["okta.org_url"] = uAt.line
	}
	if v, vAt := d.str(o, "user_email"); vAt.ok {
		if v != UserEmailEmail && v != UserEmailLogin {
			d.add(vAt.line, o.path, "user_email %q is not one of %s", v, oneOf(UserEmailEmail, UserEmailLogin))
		}
		k.UserEmail = v
	}
	if n, nAt := d.integer(o, "rate_limit_headroom"); nAt.ok {
		if n < 0 || n > 90 {
			d.add(nAt.line, o.path, "rate_limit_headroom must be a percentage from 0 to 90, got %d", n)
		}
		k.RateLimitHeadroom = n
	}
	k.RequestTimeout = d.requestTimeout(o)

	id, idAt := d.str(o, "client_id")
	keyFile, keyAt := d.str(o, "private_key_file")
	keyID, keyIDAt := d.str(o, "private_key_id")
	scopes, scopesAt := d.stringList(o, "scopes")
	oauthOnly := []struct {
		key string
		at  at
	}{{"private_key_file", keyAt}, {"private_key_id", keyIDAt}, {"scopes", scopesAt}}
	if idAt.absent() {
		for _, x := range oauthOnly {
			if !x.at.absent() {
				d.add(x.at.line, o.path, "%s is only used with client_id", x.key)
			}
		}
		k.Token = d.secret(o, DefaultOktaTokenEnv, "no credentials: token_env is empty and client_id is not set")
		return k
	}
	if idAt.ok && id == "" {
		d.add(idAt.line, o.path, "client_id is empty")
	}
	for _, key := range []string{"token_env", "token_file"} {
		if _, line := o.value(key); line != 0 {
			d.add(line, o.path, "%s and client_id are both set; use an API token or OAuth, not both", key)
		}
	}
	if keyAt.absent() || (keyAt.ok && keyFile == "") {
		d.add(idAt.line, o.path, "client_id needs private_key_file (the service app's private key)")
	}
	k.ClientID, k.PrivateKeyFile, k.PrivateKeyID = id, keyFile, keyID
	lines["okta.private_key_file"] = keyAt.line
	lines["okta.client_id"] = idAt.line
	lines["okta.private_key_id"] = keyIDAt.line
	lines["okta.scopes"] = scopesAt.line
	k.Scopes = defaultOktaScopes()
	if scopesAt.ok {
		if len(scopes) == 0 {
			d.add(scopesAt.line, o.path, "scopes is empty; leave it out to request %s", oneOf(defaultOktaScopes()...))
		}
		k.Scopes = make([]string, len(scopes))
		for i, sc := range scopes {
			k.Scopes[i] = sc.val
		}
	}
	return k
}

func (d *decoder) google(root object, lines map[string]int) *Google {
	o, oAt := d.child(root, "google", knownKeys("google"))
	if oAt.absent() {
		return nil
	}
	g := &Google{Nested: true, RequestTimeout: DefaultRequestTimeout, Line: o.line}
	if !oAt.ok {
		return g
	}
	var fileAt at
	g.CredentialsFile, fileAt = d.str(o, "credentials_file")
	lines["google.credentials_file"] = fileAt.line
	if s, sAt := d.str(o, "subject"); sAt.ok {
		if s != "" && !validEmail(s) {
			d.add(sAt.line, o.path, "subject %q is not a valid email address", s)
		}
		g.Subject = s
		lines["google.subject"] = sAt.line
	}
	if sa, saAt := d.str(o, "impersonate_service_account"); saAt.ok && sa != "" {
		switch {
		case !validEmail(sa):
			d.add(saAt.line, o.path, "impersonate_service_account %q is not a service account email", sa)
		case g.CredentialsFile != "":
			d.add(saAt.line, o.path, "impersonate_service_account is for Application Default Credentials; leave out credentials_file or this")
		}
		g.ImpersonateServiceAccount = sa
		lines["google.impersonate_service_account"] = saAt.line
	}
	if e, eAt := d.str(o, "endpoint"); eAt.ok && e != "" {
		d.checkURL(eAt.line, o.path, "endpoint", e)
		g.Endpoint = e
		lines["google.endpoint"] = eAt.line
	}
	if n, nAt := d.boolean(o, "nested"); nAt.ok {
		g.Nested = n
	}
	g.RequestTimeout = d.requestTimeout(o)
	return g
}

func (d *decoder) sync(root object) Sync {
	o, _ := d.child(root, "sync", knownKeys("sync"))
	s := Sync{
		Schedule:          DefaultSchedule,
		Policy:            model.PolicyAuthoritative,
		MissingUsers:      MissingReport,
		MaxRemovals:       DefaultMaxRemovals,
		MaxRemovalPercent: DefaultMaxRemovalPercent,
		EmailDomains:      map[string]string{},
		FullReadEvery:     DefaultFullReadEvery,
	}
	if v, vAt := d.str(o, "schedule"); vAt.ok {
		if sched, err := cron.ParseStandard(v); err != nil {
			d.add(vAt.line, o.path, "schedule %q is not a valid cron spec: %v", v, err)
		} else if neverFires(sched) {
			d.add(vAt.line, o.path, "schedule %q never fires", v)
		}
		s.Schedule = v
	}
	if v, vAt := d.str(o, "policy"); vAt.ok {
		s.Policy = d.policy(model.Policy(v), vAt.line, o.path)
	}
	if v, vAt := d.str(o, "missing_users"); vAt.ok {
		if v != MissingReport && v != MissingInvite {
			d.add(vAt.line, o.path, "missing_users %q is not one of %s", v, oneOf(MissingReport, MissingInvite))
		}
		s.MissingUsers = v
	}
	if n, nAt := d.integer(o, "max_removals"); nAt.ok {
		if n < 0 {
			d.add(nAt.line, o.path, "max_removals must not be negative, got %d", n)
		}
		s.MaxRemovals = n
	}
	if n, nAt := d.integer(o, "max_removal_percent"); nAt.ok {
		switch {
		case n < 0:
			d.add(nAt.line, o.path, "max_removal_percent must not be negative, got %d", n)
		case n > 100:
			d.add(nAt.line, o.path, "max_removal_percent must be at most 100, got %d", n)
		}
		s.MaxRemovalPercent = n
	}
	users, _ := d.stringList(o, "protected_users")
	s.ProtectedUsers = d.emails(users, o.path, "protected_users")
	pairs, _ := d.stringMap(o, "email_domains")
	seen := map[string]int{}
	for _, p := range pairs {
		from, to := model.NormalizeEmail(p.key), model.NormalizeEmail(p.val)
		switch {
		case !validDomain(from):
			d.add(p.line, o.path, "email_domains key %q is not a domain name", p.key)
		case !validDomain(to):
			d.add(p.line, o.path, "email_domains value %q (for %q) is not a domain name", p.val, p.key)
		case seen[from] != 0:
			d.add(p.line, o.path, "email_domains lists %q twice (first at line %d)", from, seen[from])
		}
		if seen[from] == 0 {
			seen[from] = p.line
		}
		s.EmailDomains[from] = to
	}
	s.AuditLog, _ = d.str(o, "audit_log")
	s.DryRun, _ = d.boolean(o, "dry_run")
	if t := d.duration(o, "full_read_every", `"24h" or "90m"`, 0, MaxFullReadEvery, "168h (a week)"); t > 0 {
		s.FullReadEvery = t
	}
	return s
}

// policy checks a policy value.
func (d *decoder) policy(p model.Policy, line int, path string) model.Policy {
	if !p.Valid() {
		d.add(line, path, "policy %q is not one of %s", p, oneOf(model.PolicyAuthoritative, model.PolicyAdditive, model.PolicyObserve))
	}
	return p
}

// emails checks and lower-cases a list of addresses found under key.
func (d *decoder) emails(items []item, path, key string) []string {
	if items == nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		e := model.NormalizeEmail(it.val)
		if !validEmail(e) {
			d.add(it.line, path, "%s[%d] %q is not a valid email address", key, it.idx, it.val)
		}
		out = append(out, e)
	}
	return out
}

// trimSlash drops trailing slashes from a base URL.
func trimSlash(u string) string {
	for len(u) > 0 && u[len(u)-1] == '/' {
		u = u[:len(u)-1]
	}
	return u
}
