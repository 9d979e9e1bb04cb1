// Package deploy holds no code, only the tests that check the files in
// deploy/ against teamsync itself: the Kubernetes manifests decode as the
// Kubernetes API types and agree with the mapping they ship, the systemd
// unit verifies, and every metric the Grafana dashboard and the Prometheus
// rules name is one teamsync's registry serves.
package deploy

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// PromQL is read here by a small lexer rather than Prometheus's parser:
// github.com/prometheus/prometheus/promql/parser resolves, but pulls the
// whole Prometheus module into go.mod and moves prometheus/common, pflag
// and otelhttp, which the binary links, for the sake of one test. All the
// test needs is the metric names an expression selects, and those are the
// identifiers that are not functions, aggregations, keywords, label names
// (inside {…} or after by/without/on/ignoring/group_left/group_right), or
// durations (inside […] or after offset), and not in string literals or
// Grafana $variables. balanced checks the brackets the lexer relies on.

// promKeywords are PromQL's words that are not metric names where an
// identifier may stand.
var promKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "bool": true, "offset": true,
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
	"inf": true, "nan": true, "atan2": true,
}

// promAggregations are PromQL's aggregation operators, which may take
// their by or without clause before the parenthesis.
var promAggregations = map[string]bool{
	"sum": true, "avg": true, "count": true, "min": true, "max": true, "group": true, "stddev": true,
	"stdvar": true, "topk": true, "bottomk": true, "quantile": true, "count_values": true,
	"limitk": true, "limit_ratio": true,
}

// labelListKeywords take a parenthesised list of label names.
var labelListKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// metricNames returns the metric names expr selects, sorted, each once.
func metricNames(expr string) ([]string, error) {
	if err := balanced(expr); err != nil {
		return nil, err
	}
	var names []string
	s := expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\'' || c == '`':
			i = skipString(s, i)
		case c == '{':
			i = skipTo(s, i, '{', '}')
		case c == '[':
			i = skipTo(s, i, '[', ']')
		case c == '$': // a Grafana variable: $__rate_interval, ${datasource}
			i++
			if i < len(s) && s[i] == '{' {
				i = skipTo(s, i, '{', '}')
				continue
			}
			for i < len(s) && isIdent(s[i], false) {
				i++
			}
		case c >= '0' && c <= '9' || c == '.': // a number or a duration
			for i < len(s) && (isIdent(s[i], false) || s[i] == '.') {
				i++
			}
		case isIdent(c, true):
			j := i
			for j < len(s) && isIdent(s[j], false) {
				j++
			}
			word := s[i:j]
			next := strings.TrimLeft(s[j:], " \t\n")
			switch {
			case labelListKeywords[word] && strings.HasPrefix(next, "("):
				j = skipTo(s, len(s)-len(next), '(', ')')
			case promKeywords[word], promAggregations[word]:
			case strings.HasPrefix(next, "("): // a function or an aggregation
			default:
				if !slices.Contains(names, word) {
					names = append(names, word)
				}
			}
			i = j
		default:
			i++
		}
	}
	slices.Sort(names)
	return names, nil
}

func isIdent(c byte, first bool) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':':
		return true
	case c >= '0' && c <= '9':
		return !first
	}
	return false
}

// skipString returns the index after the string literal starting at i.
func skipString(s string, i int) int {
	q := s[i]
	for j := i + 1; j < len(s); j++ {
		if s[j] == '\\' && q != '`' {
			j++
			continue
		}
		if s[j] == q {
			return j + 1
		}
	}
	return len(s)
}

// skipTo returns the index after the close that matches the open at i,
// skipping strings.
func skipTo(s string, i int, open, close byte) int {
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '"', '\'', '`':
			j = skipString(s, j) - 1
		case open:
			depth++
		case close:
			if depth--; depth == 0 {
				return j + 1
			}
		}
	}
	return len(s)
}

// balanced reports unbalanced brackets or an unterminated string.
func balanced(s string) error {
	var stack []byte
	pairs := map[byte]byte{')': '(', ']': '[', '}': '{'}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '"', '\'', '`':
			j := skipString(s, i)
			if j == len(s) && (j-1 == i || s[j-1] != c) {
				return fmt.Errorf("unterminated string at %d in %q", i, s)
			}
			i = j - 1
		case '(', '[', '{':
			stack = append(stack, c)
		case ')', ']', '}':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[c] {
				return fmt.Errorf("unbalanced %q at %d in %q", c, i, s)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed %q in %q", stack[len(stack)-1], s)
	}
	return nil
}

// TestMetricNames pins the lexer on the shapes the dashboard and the rules
// use, and on the traps: label names, functions, keywords, durations,
// strings that look like names, Grafana variables.
func TestMetricNames(t *testing.T) {
	for _, tt := range []struct {
		expr string
		want []string
	}{
		{`teamsync_dry_run`, []string{"teamsync_dry_run"}},
		{`time() - teamsync_last_success_timestamp_seconds > 2700`, []string{"teamsync_last_success_timestamp_seconds"}},
		{`sum by (result) (increase(teamsync_reconcile_total[$__rate_interval]))`, []string{"teamsync_reconcile_total"}},
		{`sum by (guard) (teamsync_held_changes_by_guard{guard!="observe"}) > 0`, []string{"teamsync_held_changes_by_guard"}},
		{`histogram_quantile(0.95, sum by (le) (rate(teamsync_reconcile_duration_seconds_bucket[5m])))`,
			[]string{"teamsync_reconcile_duration_seconds_bucket"}},
		{`teamsync_api_ratelimit_remaining / teamsync_api_ratelimit_limit < 0.10`,
			[]string{"teamsync_api_ratelimit_limit", "teamsync_api_ratelimit_remaining"}},
		{`a_total unless on (job, instance) b_total offset 1h`, []string{"a_total", "b_total"}},
		{`x * on (a) group_left (b, c) y`, []string{"x", "y"}},
		{`count_values("value", up) or vector(0)`, []string{"up"}},
		{`label_replace(m{a="b{c}"}, "dst", "$1", "src", "(.*)")`, []string{"m"}},
		{`max_over_time(m[1h:5m]) and bool 1e3`, []string{"m"}},
		{`{__name__="teamsync_x"}`, nil},
	} {
		got, err := metricNames(tt.expr)
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("metricNames(%s) = %q, %v; want %q", tt.expr, got, err, tt.want)
		}
	}
	for _, bad := range []string{`sum(x`, `x{a="b"`, `rate(x[5m)`, `x{a="b}`} {
		if _, err := metricNames(bad); err == nil {
			t.Errorf("metricNames(%s): no error for an unbalanced expression", bad)
		}
	}
}
