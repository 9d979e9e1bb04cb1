package deploy

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"text/template"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"

	"github.com/teamsync/teamsync/sync/metrics"
)

// registryNames is every series name teamsync's own registry serves, as a
// PromQL selector would name it: a histogram's _bucket, _sum and _count
// included. The series that appear only once an API answer has been seen
// are made to appear by passing one answer through the metrics transport.
func registryNames(t *testing.T) map[string]bool {
	t.Helper()
	m := metrics.New()
	answer := roundTrip(func(*http.Request) (*http.Response, error) {
		h := http.Header{}
		for _, k := range []string{"RateLimit-Remaining", "RateLimit-Limit", "RateLimit-User-Remaining", "RateLimit-User-Limit", "RateLimit-Complexity-Actual"} {
			h.Set(k, "1")
		}
		return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(strings.NewReader(""))}, nil
	})
	req, err := http.NewRequest(http.MethodPost, "http://127.0.0.1/graphql", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := m.Transport("buildkite", answer).RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	families, err := m.Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range families {
		n := f.GetName()
		names[n] = true
		switch f.GetType() {
		case dto.MetricType_HISTOGRAM:
			names[n+"_bucket"], names[n+"_sum"], names[n+"_count"] = true, true, true
		case dto.MetricType_SUMMARY:
			names[n+"_sum"], names[n+"_count"] = true, true
		}
	}
	return names
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// grafanaPanel is the part of a Grafana panel the test reads.
type grafanaPanel struct {
	ID         int    `json:"id"`
	Type       string `json:"type"`
	Title      string `json:"title"`
	Datasource *struct {
		Type string `json:"type"`
		UID  string `json:"uid"`
	} `json:"datasource"`
	GridPos *struct{ X, Y, W, H int } `json:"gridPos"`
	Targets []struct {
		Expr  string `json:"expr"`
		RefID string `json:"refId"`
	} `json:"targets"`
	Panels []grafanaPanel `json:"panels"`
}

// TestGrafanaDashboard: deploy/grafana/teamsync.json is a dashboard whose
// every panel queries the dashboard's Prometheus data source, and every
// metric it names is one teamsync serves. It shows what an operator needs
// first: runs, changes by kind, held and failed changes, errors by source,
// Buildkite points and rate-limit headroom, run duration, time since the
// last success.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile("grafana/teamsync.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title      string `json:"title"`
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query string `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []grafanaPanel `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	if dash.Title == "" || dash.UID == "" {
		t.Errorf("title %q, uid %q: both needed", dash.Title, dash.UID)
	}
	if len(dash.Templating.List) != 1 || dash.Templating.List[0].Name != "datasource" || dash.Templating.List[0].Query != "prometheus" {
		t.Errorf("templating = %+v, want one Prometheus data source variable", dash.Templating.List)
	}

	known := registryNames(t)
	ids := map[int]bool{}
	used := map[string]bool{}
	var walk func([]grafanaPanel)
	walk = func(panels []grafanaPanel) {
		for _, p := range panels {
			if ids[p.ID] {
				t.Errorf("panel id %d is used twice", p.ID)
			}
			ids[p.ID] = true
			if p.GridPos == nil || p.GridPos.W <= 0 || p.GridPos.H <= 0 || p.GridPos.X+p.GridPos.W > 24 {
				t.Errorf("panel %q: gridPos %+v does not fit the 24-column grid", p.Title, p.GridPos)
			}
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			if p.Datasource == nil || p.Datasource.Type != "prometheus" || p.Datasource.UID != "${datasource}" {
				t.Errorf("panel %q: datasource %+v, want the ${datasource} variable", p.Title, p.Datasource)
			}
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, q := range p.Targets {
				names, err := metricNames(q.Expr)
				if err != nil {
					t.Errorf("panel %q: %v", p.Title, err)
				}
				if len(names) == 0 {
					t.Errorf("panel %q: %q names no metric", p.Title, q.Expr)
				}
				for _, n := range names {
					used[n] = true
					if !known[n] {
						t.Errorf("panel %q names %s, which teamsync does not serve", p.Title, n)
					}
				}
			}
		}
	}
	walk(dash.Panels)
	for _, want := range []string{
		"teamsync_reconcile_total",                   // runs
		"teamsync_changes_total",                     // changes by kind, failed changes
		"teamsync_held_changes_by_guard",             // held changes
		"teamsync_source_errors_total",               // errors by source
		"teamsync_api_points_total",                  // Buildkite points
		"teamsync_api_ratelimit_remaining",           // rate-limit headroom
		"teamsync_api_ratelimit_limit",               //   as a share
		"teamsync_reconcile_duration_seconds_bucket", // run duration
		"teamsync_last_success_timestamp_seconds",    // time since the last success
	} {
		if !used[want] {
			t.Errorf("the dashboard has no panel on %s", want)
		}
	}
}

// ruleFile is a Prometheus rule file, decoded strictly: a misspelt key is
// an error here as it is to Prometheus.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert         string            `yaml:"alert"`
			Record        string            `yaml:"record"`
			Expr          string            `yaml:"expr"`
			For           string            `yaml:"for"`
			KeepFiringFor string            `yaml:"keep_firing_for"`
			Labels        map[string]string `yaml:"labels"`
			Annotations   map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

// alertTemplateFuncs stand in for the template functions Prometheus gives
// alert annotations, so that the annotations' template syntax is checked.
var alertTemplateFuncs = template.FuncMap{
	"humanize": fmtAny, "humanize1024": fmtAny, "humanizeDuration": fmtAny,
	"humanizePercentage": fmtAny, "humanizeTimestamp": fmtAny,
}

func fmtAny(any) string { return "" }

// TestPrometheusAlerts: deploy/prometheus/alerts.yaml is a rule file
// Prometheus accepts as far as can be checked without it (strict keys,
// durations, balanced expressions, annotation templates that parse), every
// metric its rules name is one teamsync serves, and it has the alerts an
// operator needs: no successful run in three periods, held changes for a
// day, errors by source, rate-limit headroom under 10%.
func TestPrometheusAlerts(t *testing.T) {
	raw, err := os.ReadFile("prometheus/alerts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var rf ruleFile
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("not a rule file: %v", err)
	}
	if len(rf.Groups) == 0 {
		t.Fatal("no rule groups")
	}
	known := registryNames(t)
	alerts := map[string]string{}
	for _, g := range rf.Groups {
		if g.Name == "" {
			t.Error("a group has no name")
		}
		for _, r := range g.Rules {
			name := r.Alert + r.Record
			if (r.Alert == "") == (r.Record == "") {
				t.Errorf("rule %q: needs exactly one of alert and record", name)
			}
			if _, dup := alerts[name]; dup {
				t.Errorf("rule %q is defined twice", name)
			}
			alerts[name] = r.Expr
			for _, d := range []string{r.For, r.KeepFiringFor} {
				if _, err := model.ParseDuration(d); d != "" && err != nil {
					t.Errorf("rule %q: duration %q: %v", name, d, err)
				}
			}
			names, err := metricNames(r.Expr)
			if err != nil {
				t.Errorf("rule %q: %v", name, err)
			}
			if len(names) == 0 {
				t.Errorf("rule %q: %q names no metric", name, r.Expr)
			}
			for _, n := range names {
				if !known[n] {
					t.Errorf("rule %q names %s, which teamsync does not serve", name, n)
				}
			}
			if r.Alert == "" {
				continue
			}
			if s := r.Labels["severity"]; s != "warning" && s != "critical" {
				t.Errorf("alert %q: severity %q, want warning or critical", name, s)
			}
			for _, k := range []string{"summary", "description"} {
				text := r.Annotations[k]
				if strings.TrimSpace(text) == "" {
					t.Errorf("alert %q has no %s", name, k)
					continue
				}
				// Prometheus defines $labels and $value before expanding.
				if _, err := template.New(k).Funcs(alertTemplateFuncs).Parse(`{{$labels := .Labels}}{{$value := .Value}}` + text); err != nil {
					t.Errorf("alert %q %s: %v", name, k, err)
				}
			}
		}
	}
	for name, metric := range map[string]string{
		"TeamsyncNoSuccessfulRun":      "teamsync_last_success_timestamp_seconds",
		"TeamsyncChangesHeld":          "teamsync_held_changes_by_guard",
		"TeamsyncSourceErrors":         "teamsync_source_errors_total",
		"TeamsyncRateLimitHeadroomLow": "teamsync_api_ratelimit_limit",
	} {
		expr, ok := alerts[name]
		if !ok {
			t.Errorf("no alert %s", name)
			continue
		}
		if names, _ := metricNames(expr); !slices.Contains(names, metric) {
			t.Errorf("alert %s (%s) does not use %s", name, expr, metric)
		}
	}
}
