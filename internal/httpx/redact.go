package httpx

import (
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Redacted is what stands in the place of a credential.
const Redacted = "[redacted]"

// Secrets is the set of credential values one process holds (API tokens,
// the trigger token, the hook secret, private keys) and the redaction rule
// every error and log line passes through. The zero value and nil are
// ready to use and redact only what looks like a credential.
//
// Known values are replaced only where they stand whole, not inside a
// longer word, so a short value never garbles ordinary text: a token "x"
// leaves "context deadline exceeded" alone. On top of the known values,
// shapes that are credentials whoever holds them are always replaced:
// Authorization schemes (Bearer, SSWS, Basic) with their value, JWTs (a
// signed assertion), Google access tokens, Buildkite tokens, PEM private
// keys and OAuth form fields.
type Secrets struct {
	mu     sync.RWMutex
	values []string // longest first, so a value containing another goes whole
	parent *Secrets // its values are redacted too; nil at the root
}

// Scope returns a set that redacts s's values as well as its own. What is
// added to it is not added to s: a daemon makes one per run for what the
// run's clients learn (access tokens, signed assertions), so the process's
// set does not grow with every run.
func (s *Secrets) Scope() *Secrets { return &Secrets{parent: s} }

// NewSecrets returns a set holding values.
func NewSecrets(values ...string) *Secrets {
	s := &Secrets{}
	s.Add(values...)
	return s
}

// Add registers credential values. Surrounding white space is ignored and
// empty values are skipped. A value is also known in its URL-encoded form.
func (s *Secrets) Add(values ...string) {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, v := range values {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		for _, form := range []string{v, url.QueryEscape(v)} {
			if !contains(s.values, form) {
				s.values = append(s.values, form)
			}
		}
	}
	sort.SliceStable(s.values, func(i, j int) bool { return len(s.values[i]) > len(s.values[j]) })
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// credentialShapes are replaced wherever they appear. Each keeps the
// label before the value ($1) so the text still says what was there.
var credentialShapes = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)`), Redacted},
	{regexp.MustCompile(`(?i)("private_key(?:_id)?"\s*:\s*)"(?:[^"\\]|\\.)*"`), `$1"` + Redacted + `"`},
	{regexp.MustCompile(`(?i)\b((?:client_)?assertion|access_token|refresh_token|id_token|client_secret|token)(=|"\s*:\s*")[^&\s"',;]+`), `$1$2` + Redacted},
	{regexp.MustCompile(`\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*`), Redacted},
	{regexp.MustCompile(`\bya29\.[A-Za-z0-9\-_.]+`), Redacted},
	{regexp.MustCompile(`\bbkua_[A-Za-z0-9]+`), Redacted},
}

// Redact returns text with every known credential value and every
// credential shape replaced by Redacted.
func (s *Secrets) Redact(text string) string {
	if s != nil {
		s.mu.RLock()
		for _, v := range s.values {
			text = replaceWhole(text, v)
		}
		s.mu.RUnlock()
		if s.parent != nil {
			return s.parent.Redact(text)
		}
	}
	for _, c := range credentialShapes {
		text = c.re.ReplaceAllString(text, c.with)
	}
	return authScheme.ReplaceAllStringFunc(text, redactScheme)
}

// authScheme finds an Authorization scheme and the word after it.
var authScheme = regexp.MustCompile(`(?i)\b(bearer|ssws|basic)(\s+|%20|\+)([A-Za-z0-9\-._~+/=%]+)`)

// redactScheme redacts the value after a scheme when it looks like a
// credential rather than a word: it has a digit or one of -._~+/=%, or
// capitals inside it as base64 has. So "SSWS 00ab-cd", "Bearer eyJ.x" and
// "Basic dXNlcjpwYXNz" lose their value while a group called "Basic
// Users" keeps its name.
func redactScheme(m string) string {
	sub := authScheme.FindStringSubmatch(m)
	v := sub[3]
	inner := 0
	for _, r := range v[1:] {
		if unicode.IsUpper(r) {
			inner++
		}
	}
	if !strings.ContainsAny(v, "0123456789-._~+/=%") && inner < 2 {
		return m
	}
	return sub[1] + sub[2] + Redacted
}

// replaceWhole replaces each occurrence of v in text that is not part of a
// longer word: the characters on either side, if any, are not letters or
// digits.
func replaceWhole(text, v string) string {
	var b strings.Builder
	rest := text
	for {
		i := strings.Index(rest, v)
		if i < 0 {
			break
		}
		end := i + len(v)
		before, _ := utf8.DecodeLastRuneInString(rest[:i])
		after, _ := utf8.DecodeRuneInString(rest[end:])
		if (i == 0 || !isWordRune(before)) && (end == len(rest) || !isWordRune(after)) {
			b.WriteString(rest[:i])
			b.WriteString(Redacted)
		} else {
			// Not whole here: keep one byte and look again from the next.
			_, size := utf8.DecodeRuneInString(rest[i:])
			b.WriteString(rest[:i+size])
			end = i + size
		}
		rest = rest[end:]
	}
	if b.Len() == 0 {
		return text
	}
	b.WriteString(rest)
	return b.String()
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// Clip redacts text, then cuts it to at most n bytes (on a character
// boundary, with "…" after the cut), so a credential is never half cut and
// half shown. n of zero or less means no limit.
func (s *Secrets) Clip(text string, n int) string {
	text = strings.TrimSpace(s.Redact(text))
	if n <= 0 || len(text) <= n {
		return text
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(text[cut]) {
		cut--
	}
	return text[:cut] + "…"
}

// Error returns err with its text redacted; errors.Is and errors.As still
// see err. It returns nil for nil.
func (s *Secrets) Error(err error) error {
	if err == nil {
		return nil
	}
	if r, ok := err.(*redactedError); ok && r.s == s {
		return err
	}
	return &redactedError{s: s, err: err}
}

type redactedError struct {
	s   *Secrets
	err error
}

func (e *redactedError) Error() string { return e.s.Redact(e.err.Error()) }
func (e *redactedError) Unwrap() error { return e.err }
