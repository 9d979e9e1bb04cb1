package config

import (
	"errors"
	"strings"
	"testing"
)

// doc joins lines with newlines, so that argument i is line i+1 of the file.
func doc(lines ...string) string { return strings.Join(lines, "\n") + "\n" }

// A valid tail used by cases that test a section above it: lines n..n+3.
var teamsTail = []string{
	"teams:",
	"  - slug: platform",
	"    groups:",
	"      - users: [a@acme.com]",
}

func withTeams(lines ...string) string { return doc(append(lines, teamsTail...)...) }

// TestParseErrors checks the exact message of every kind of problem, one
// problem per case.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name string
		yaml string
		want string
	}{
		// The file as a whole.
		{"empty file", "", `mapping.yaml: file is empty; it needs a buildkite section and teams`},
		{"only comments", "# nothing yet\n\n", `mapping.yaml: file is empty; it needs a buildkite section and teams`},
		{"invalid YAML", doc("buildkite:", "  organization: acme", " teams: ["),
			`mapping.yaml:2: invalid YAML: did not find expected key`},
		{"tab indentation", doc("buildkite:", "\torganization: acme"),
			`mapping.yaml:2: invalid YAML: found character that cannot start any token`},
		{"top level is a list", doc("- buildkite"), `mapping.yaml:1: the top level must be a mapping, got a list`},
		{"two documents", doc(append(append([]string{"buildkite:", "  organization: acme"}, teamsTail...), "---", "sync: {}")...),
			`mapping.yaml:7: a second YAML document starts here; keep the whole mapping in one document`},
		{"alias containing itself", withTeams("buildkite: &b", "  organization: acme", "  graphql_url: *b"),
			`mapping.yaml:3: alias *b refers to a node that contains it`},

		// Keys.
		{"unknown key with suggestion", withTeams("buildkite:", "  organization: acme", "sync:", "  max_removal: 3"),
			`mapping.yaml:4: sync: unknown key "max_removal" (did you mean "max_removals"?)`},
		{"unknown top-level key with suggestion", doc("buildkite:", "  organization: acme", "tems: []"),
			"mapping.yaml:1: teams must list at least one team\n" +
				`mapping.yaml:3: unknown key "tems" (did you mean "teams"?)`},
		{"unknown key far from any", withTeams("buildkite:", "  organization: acme", "  colour: blue"),
			`mapping.yaml:3: buildkite: unknown key "colour"`},
		{"misspelt group key", doc(
			"buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
			"      - users: [a@acme.com]", "        rol: maintainer"),
			`mapping.yaml:7: teams[0].groups[0]: unknown key "rol" (did you mean "role"?)`},
		{"duplicate key", withTeams("buildkite:", "  organization: acme", "  organization: other"),
			`mapping.yaml:3: buildkite: duplicate key "organization" (first at line 2)`},
		{"non-scalar key", withTeams("buildkite:", "  organization: acme", "  [a]: b"),
			`mapping.yaml:3: buildkite: keys must be plain words, got a list`},

		// Types.
		{"string for an integer", withTeams("buildkite:", "  organization: acme", "sync:", `  max_removals: "25"`),
			`mapping.yaml:4: sync: max_removals must be a whole number, got "25"`},
		{"fraction for an integer", withTeams("buildkite:", "  organization: acme", "sync:", "  max_removal_percent: 12.5"),
			`mapping.yaml:4: sync: max_removal_percent must be a whole number, got 12.5`},
		{"string for a boolean", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform",
			`    create: "yes"`, "    groups:", "      - users: [a@acme.com]"),
			`mapping.yaml:5: teams[0]: create must be true or false, got "yes"`},
		{"list for a string", withTeams("buildkite:", "  organization: [acme]"),
			`mapping.yaml:2: buildkite: organization must be a string, got a list`},
		{"boolean for a string", withTeams("buildkite:", "  organization: acme", "sync:", "  policy: true"),
			`mapping.yaml:4: sync: policy must be a string, got true`},
		{"section not a mapping", withTeams("buildkite: acme"),
			`mapping.yaml:1: buildkite must be a mapping, got "acme"`},
		{"teams not a list", doc("buildkite:", "  organization: acme", "teams:", "  platform: {}"),
			`mapping.yaml:3: teams must be a list, got a mapping`},
		{"team not a mapping", doc("buildkite:", "  organization: acme", "teams:", "  - platform"),
			`mapping.yaml:4: teams[0] must be a mapping, got "platform"`},
		{"groups not a list", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups: everyone"),
			`mapping.yaml:5: teams[0]: groups must be a list, got "everyone"`},
		{"users item not a string", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform",
			"    groups:", "      - users:", "          - a@acme.com", "          - {email: b@acme.com}"),
			`mapping.yaml:8: teams[0].groups[0]: users[1] must be a string, got a mapping`},

		// The buildkite section.
		{"missing buildkite section", doc(teamsTail...),
			`mapping.yaml:1: buildkite: organization is required`},
		{"missing organization", withTeams("buildkite:", "  token_env: BK_TOKEN"),
			`mapping.yaml:1: buildkite: organization is required`},
		{"organization not a slug", withTeams("buildkite:", "  organization: Acme Inc"),
			`mapping.yaml:2: buildkite: organization "Acme Inc" is not an organization slug (lower-case letters, digits and "-")`},
		{"token_env and token_file", withTeams("buildkite:", "  organization: acme", "  token_env: BK", "  token_file: /run/bk"),
			`mapping.yaml:4: buildkite: token_env and token_file are both set; keep one`},
		{"empty token_env", withTeams("buildkite:", "  organization: acme", `  token_env: ""`),
			`mapping.yaml:3: buildkite: token_env is empty; name the environment variable that holds the API token`},
		{"empty token_file", withTeams("buildkite:", "  organization: acme", `  token_file: ""`),
			`mapping.yaml:3: buildkite: token_file is empty; name the file that holds the token`},
		{"token_env not a variable name", withTeams("buildkite:", "  organization: acme", "  token_env: $BK_TOKEN"),
			`mapping.yaml:3: buildkite: token_env is not an environment variable name (letters, digits and _, not starting with a digit)`},
		{"token pasted into token_env", withTeams("buildkite:", "  organization: acme", "  token_env: bkua_0123456789abcdef"),
			`mapping.yaml:3: buildkite: token_env holds what looks like a token; name the environment variable that holds it instead, and revoke that token`},
		{"graphql_url not http", withTeams("buildkite:", "  organization: acme", "  graphql_url: ftp://bk.example.com/graphql"),
			`mapping.yaml:3: buildkite: graphql_url is not an absolute https URL`},
		{"graphql_url relative", withTeams("buildkite:", "  organization: acme", "  graphql_url: /graphql"),
			`mapping.yaml:3: buildkite: graphql_url is not an absolute https URL`},
		{"graphql_url plain http", withTeams("buildkite:", "  organization: acme", "  graphql_url: http://any-host/v1"),
			`mapping.yaml:3: buildkite: graphql_url must use https (http is allowed only to a loopback host such as 127.0.0.1 or localhost)`},
		{"graphql_url with a password", withTeams("buildkite:", "  organization: acme", "  graphql_url: https://bk:hunter2@proxy.acme.com/v1"),
			`mapping.yaml:3: buildkite: graphql_url must not carry a user name or password`},

		// The okta section.
		{"okta group without okta section", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform",
			"    groups:", "      - role: maintainer", "        okta: Platform Engineers"),
			`mapping.yaml:6: teams[0].groups[0]: names an okta group but the file has no okta section`},
		{"okta without credentials", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", `  token_env: ""`),
			`mapping.yaml:5: okta: no credentials: token_env is empty and client_id is not set`},
		{"okta client_id without private_key_file", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "  client_id: 0oa123"),
			`mapping.yaml:5: okta: client_id needs private_key_file (the service app's private key)`},
		{"okta client_id and token_env", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com",
			"  client_id: 0oa123", "  private_key_file: /run/okta.pem", "  token_env: OKTA_API_TOKEN"),
			`mapping.yaml:7: okta: token_env and client_id are both set; use an API token or OAuth, not both`},
		{"okta private_key_file without client_id", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "  private_key_file: /run/okta.pem"),
			`mapping.yaml:5: okta: private_key_file is only used with client_id`},
		{"okta empty scopes", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com",
			"  client_id: 0oa123", "  private_key_file: /run/okta.pem", "  scopes: []"),
			`mapping.yaml:7: okta: scopes is empty; leave it out to request okta.groups.read, okta.users.read`},
		{"okta missing org_url", withTeams("buildkite:", "  organization: acme", "okta:", "  user_email: email"),
			`mapping.yaml:3: okta: org_url is required`},
		{"okta org_url plain http", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: http://acme.okta.com"),
			`mapping.yaml:4: okta: org_url must use https (http is allowed only to a loopback host such as 127.0.0.1 or localhost)`},
		{"okta org_url not a URL", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: acme.okta.com"),
			`mapping.yaml:4: okta: org_url is not an absolute https URL`},
		// The SDK appends API paths to org_url as a string. The value is
		// never shown: a query string could hold a key.
		{"okta org_url with a path", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com/admin/"),
			`mapping.yaml:4: okta: org_url must be the base URL alone, such as https://acme.okta.com, but it has a path`},
		{"okta org_url with a query string", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com/?key=s3cr3t"),
			`mapping.yaml:4: okta: org_url must be the base URL alone, such as https://acme.okta.com, but it has a query string`},
		{"okta org_url with an empty query string", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com?"),
			`mapping.yaml:4: okta: org_url must be the base URL alone, such as https://acme.okta.com, but it has a query string`},
		{"okta org_url with a fragment", withTeams("buildkite:", "  organization: acme", "okta:", `  org_url: "https://acme.okta.com#s3cr3t"`),
			`mapping.yaml:4: okta: org_url must be the base URL alone, such as https://acme.okta.com, but it has a fragment`},
		{"buildkite headroom out of range", withTeams("buildkite:", "  organization: acme", "  rate_limit_headroom: 91"),
			`mapping.yaml:3: buildkite: rate_limit_headroom must be a percentage from 0 to 90, got 91`},
		{"buildkite headroom negative", withTeams("buildkite:", "  organization: acme", "  rate_limit_headroom: -5"),
			`mapping.yaml:3: buildkite: rate_limit_headroom must be a percentage from 0 to 90, got -5`},
		{"buildkite headroom a fraction", withTeams("buildkite:", "  organization: acme", "  rate_limit_headroom: 0.1"),
			`mapping.yaml:3: buildkite: rate_limit_headroom must be a whole number, got 0.1`},
		{"buildkite request_timeout not a duration", withTeams("buildkite:", "  organization: acme", "  request_timeout: 2 minutes"),
			`mapping.yaml:3: buildkite: request_timeout "2 minutes" is not a duration such as "2m" or "90s"`},
		{"buildkite request_timeout without a unit", withTeams("buildkite:", "  organization: acme", "  request_timeout: 120"),
			`mapping.yaml:3: buildkite: request_timeout "120" is not a duration such as "2m" or "90s"`},
		{"buildkite request_timeout zero", withTeams("buildkite:", "  organization: acme", "  request_timeout: 0s"),
			`mapping.yaml:3: buildkite: request_timeout must be more than 0, got "0s"`},
		{"buildkite request_timeout negative", withTeams("buildkite:", "  organization: acme", "  request_timeout: -1m"),
			`mapping.yaml:3: buildkite: request_timeout must be more than 0, got "-1m"`},
		{"okta request_timeout too long", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "  request_timeout: 61m"),
			`mapping.yaml:5: okta: request_timeout must be at most 1h, got "61m"`},
		{"google request_timeout not a string", withTeams("buildkite:", "  organization: acme", "google:", "  request_timeout: [2m]"),
			`mapping.yaml:4: google: request_timeout must be a string, got a list`},
		{"google request_timeout too long", withTeams("buildkite:", "  organization: acme", "google:", "  request_timeout: 2h"),
			`mapping.yaml:4: google: request_timeout must be at most 1h, got "2h"`},
		{"okta headroom out of range", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "  rate_limit_headroom: 95"),
			`mapping.yaml:5: okta: rate_limit_headroom must be a percentage from 0 to 90, got 95`},
		{"okta bad user_email", withTeams("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com", "  user_email: mail"),
			`mapping.yaml:5: okta: user_email "mail" is not one of email, login`},

		// The google section.
		{"google group without google section", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform",
			"    groups:", "      - google: eng@acme.com"),
			`mapping.yaml:6: teams[0].groups[0]: names a google group but the file has no google section`},
		{"google impersonation with a key file", withTeams("buildkite:", "  organization: acme", "google:", "  credentials_file: /k.json", "  impersonate_service_account: sync@proj.iam.gserviceaccount.com"),
			`mapping.yaml:5: google: impersonate_service_account is for Application Default Credentials; leave out credentials_file or this`},
		{"google bad impersonation", withTeams("buildkite:", "  organization: acme", "google:", "  impersonate_service_account: sync"),
			`mapping.yaml:4: google: impersonate_service_account "sync" is not a service account email`},
		{"google bad subject", withTeams("buildkite:", "  organization: acme", "google:", "  subject: admin"),
			`mapping.yaml:4: google: subject "admin" is not a valid email address`},
		{"google bad endpoint", withTeams("buildkite:", "  organization: acme", "google:", "  endpoint: localhost:8080"),
			`mapping.yaml:4: google: endpoint is not an absolute https URL`},
		{"google endpoint plain http", withTeams("buildkite:", "  organization: acme", "google:", "  endpoint: http://google-proxy.acme.com/"),
			`mapping.yaml:4: google: endpoint must use https (http is allowed only to a loopback host such as 127.0.0.1 or localhost)`},
		{"google nested not a boolean", withTeams("buildkite:", "  organization: acme", "google:", "  nested: 1"),
			`mapping.yaml:4: google: nested must be true or false, got 1`},

		// The sync section.
		{"bad cron spec", withTeams("buildkite:", "  organization: acme", "sync:", "  schedule: every 15m"),
			`mapping.yaml:4: sync: schedule "every 15m" is not a valid cron spec: expected exactly 5 fields, found 2: [every 15m]`},
		{"bad cron descriptor", withTeams("buildkite:", "  organization: acme", "sync:", `  schedule: "@every fortnight"`),
			`mapping.yaml:4: sync: schedule "@every fortnight" is not a valid cron spec: failed to parse duration @every fortnight: time: invalid duration "fortnight"`},
		{"cron spec that never fires", withTeams("buildkite:", "  organization: acme", "sync:", `  schedule: "0 0 30 2 *"`),
			`mapping.yaml:4: sync: schedule "0 0 30 2 *" never fires`},
		{"cron spec that never fires, in a time zone", withTeams("buildkite:", "  organization: acme", "sync:", `  schedule: "CRON_TZ=Europe/Berlin 0 9 31 4,6,9,11 *"`),
			`mapping.yaml:4: sync: schedule "CRON_TZ=Europe/Berlin 0 9 31 4,6,9,11 *" never fires`},
		{"bad sync policy", withTeams("buildkite:", "  organization: acme", "sync:", "  policy: strict"),
			`mapping.yaml:4: sync: policy "strict" is not one of authoritative, additive, observe`},
		{"bad missing_users", withTeams("buildkite:", "  organization: acme", "sync:", "  missing_users: email"),
			`mapping.yaml:4: sync: missing_users "email" is not one of report, invite`},
		{"negative max_removals", withTeams("buildkite:", "  organization: acme", "sync:", "  max_removals: -1"),
			`mapping.yaml:4: sync: max_removals must not be negative, got -1`},
		{"negative max_removal_percent", withTeams("buildkite:", "  organization: acme", "sync:", "  max_removal_percent: -5"),
			`mapping.yaml:4: sync: max_removal_percent must not be negative, got -5`},
		{"max_removal_percent over 100", withTeams("buildkite:", "  organization: acme", "sync:", "  max_removal_percent: 101"),
			`mapping.yaml:4: sync: max_removal_percent must be at most 100, got 101`},
		{"full_read_every not a duration", withTeams("buildkite:", "  organization: acme", "sync:", "  full_read_every: daily"),
			`mapping.yaml:4: sync: full_read_every "daily" is not a duration such as "24h" or "90m"`},
		{"full_read_every zero", withTeams("buildkite:", "  organization: acme", "sync:", "  full_read_every: 0s"),
			`mapping.yaml:4: sync: full_read_every must be more than 0, got "0s"`},
		{"full_read_every over a week", withTeams("buildkite:", "  organization: acme", "sync:", "  full_read_every: 200h"),
			`mapping.yaml:4: sync: full_read_every must be at most 168h (a week), got "200h"`},
		{"bad protected user", withTeams("buildkite:", "  organization: acme", "sync:", "  protected_users: [ci@acme.com, ci-bot]"),
			`mapping.yaml:4: sync: protected_users[1] "ci-bot" is not a valid email address`},
		{"email_domains key not a domain", withTeams("buildkite:", "  organization: acme", "sync:", "  email_domains:", `    "@corp.acme.com": acme.com`),
			`mapping.yaml:5: sync: email_domains key "@corp.acme.com" is not a domain name`},
		{"email_domains value not a domain", withTeams("buildkite:", "  organization: acme", "sync:", "  email_domains:", "    corp.acme.com: acme"),
			`mapping.yaml:5: sync: email_domains value "acme" (for "corp.acme.com") is not a domain name`},
		{"email_domains key twice by case", withTeams("buildkite:", "  organization: acme", "sync:", "  email_domains:",
			"    corp.acme.com: acme.com", "    CORP.acme.com: acme.com"),
			`mapping.yaml:6: sync: email_domains lists "corp.acme.com" twice (first at line 5)`},

		// Teams.
		{"no teams", doc("buildkite:", "  organization: acme"),
			`mapping.yaml:1: teams must list at least one team`},
		{"missing slug", doc("buildkite:", "  organization: acme", "teams:", "  - name: Platform", "    groups:", "      - users: [a@acme.com]"),
			`mapping.yaml:4: teams[0]: slug is required`},
		{"invalid slug", doc("buildkite:", "  organization: acme", "teams:", "  - slug: Platform_Eng", "    groups:", "      - users: [a@acme.com]"),
			`mapping.yaml:4: teams[0]: slug "Platform_Eng" is not a valid slug; use lower-case letters, digits and single "-" between them, such as "platform-eng"`},
		{"name does not slugify to slug", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform",
			"    name: Platform Team", "    groups:", "      - users: [a@acme.com]"),
			`mapping.yaml:5: teams[0]: name "Platform Team" slugifies to "platform-team", not to slug "platform"`},
		{"duplicate slug names both lines", doc("buildkite:", "  organization: acme", "teams:",
			"  - slug: platform", "    groups:", "      - users: [a@acme.com]",
			"  - slug: platform", "    groups:", "      - users: [b@acme.com]"),
			`mapping.yaml:7: teams[1]: slug "platform" is already used by teams[0] (line 4)`},
		{"bad privacy", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    privacy: public",
			"    groups:", "      - users: [a@acme.com]"),
			`mapping.yaml:5: teams[0]: privacy "public" is not one of secret, visible`},
		{"bad team policy", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    policy: add-only",
			"    groups:", "      - users: [a@acme.com]"),
			`mapping.yaml:5: teams[0]: policy "add-only" is not one of authoritative, additive, observe`},
		{"team without groups", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    create: true"),
			`mapping.yaml:4: teams[0]: groups must list at least one group`},
		{"team with empty groups", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups: []"),
			`mapping.yaml:5: teams[0]: groups must list at least one group`},

		// Group entries.
		{"bad role", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
			"      - users: [a@acme.com]", "        role: owner"),
			`mapping.yaml:7: teams[0].groups[0]: role "owner" is not one of member, maintainer`},
		{"group with no source", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
			"      - role: maintainer"),
			`mapping.yaml:6: teams[0].groups[0]: names no source; set one of okta, google or users`},
		{"group with two sources", doc("buildkite:", "  organization: acme", "google:", "  subject: admin@acme.com",
			"teams:", "  - slug: platform", "    groups:", "      - google: eng@acme.com", "        users: [a@acme.com]"),
			`mapping.yaml:8: teams[0].groups[0]: names more than one source (google, users); set exactly one`},
		{"empty users", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
			"      - users: []"),
			`mapping.yaml:6: teams[0].groups[0]: users is empty; list at least one email`},
		{"invalid email in users", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
			"      - users:", "          - a@acme.com", "          - Bob <bob@acme.com>"),
			`mapping.yaml:8: teams[0].groups[0]: users[1] "Bob <bob@acme.com>" is not a valid email address`},
		{"empty okta group", doc("buildkite:", "  organization: acme", "okta:", "  org_url: https://acme.okta.com",
			"teams:", "  - slug: platform", "    groups:", `      - okta: ""`),
			`mapping.yaml:8: teams[0].groups[0]: okta is empty; name an Okta group by name or id`},
		{"allow_empty not a boolean", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
			"      - users: [a@acme.com]", "        allow_empty: sometimes"),
			`mapping.yaml:7: teams[0].groups[0]: allow_empty must be true or false, got "sometimes"`},
		{"expires not a date", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
			"      - users: [a@acme.com]", "        expires: next week"),
			`mapping.yaml:7: teams[0].groups[0]: expires "next week" is not a date (2026-12-31) or an RFC 3339 time (2026-12-31T18:00:00Z)`},
		{"expires impossible date", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
			"      - users: [a@acme.com]", "        expires: 2026-02-30"),
			`mapping.yaml:7: teams[0].groups[0]: expires "2026-02-30" is not a date (2026-12-31) or an RFC 3339 time (2026-12-31T18:00:00Z)`},
		{"expires a list", doc("buildkite:", "  organization: acme", "teams:", "  - slug: platform", "    groups:",
			"      - users: [a@acme.com]", "        expires: [2026-12-31]"),
			`mapping.yaml:7: teams[0].groups[0]: expires must be a date (2026-12-31) or an RFC 3339 time (2026-12-31T18:00:00Z), got a list`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse("mapping.yaml", []byte(tc.yaml))
			if err == nil {
				t.Fatalf("Parse succeeded (%d teams), want error:\n%s", len(m.Teams), tc.want)
			}
			if m != nil {
				t.Errorf("Parse returned a mapping along with its error")
			}
			var errs *Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want *Errors", err)
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error text:\n got: %s\nwant: %s", got, tc.want)
			}
		})
	}
}
