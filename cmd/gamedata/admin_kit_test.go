package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"gopkg.in/yaml.v3"

	"github.com/gamedata-dev/gamedata/bench"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/redis/redistest"
)

// The operator kit: the Grafana dashboard and the alert rules that
// deploy/ ships, and the rules of the search indexer next to them.
const (
	dashboardGlob  = "../../deploy/grafana/*.json"
	rulesDir       = "../../deploy/prometheus"
	rulesTestsFile = "gamedata-rules.test.yaml"
)

var ruleFiles = []string{"../../deploy/prometheus/gamedata-rules.yaml", "../../deploy/opensearch/prometheus-rules.yaml"}

// prometheusMade are the series Prometheus makes itself, not a server.
var prometheusMade = []string{"up"}

// productionOnly starts the names that only a server with the production
// parts exports: the indexer that feeds OpenSearch, and Redis.
var productionOnly = []string{"gamedata_indexer_", "gamedata_change_feed_", "gamedata_redis_"}

var (
	quotedRE = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'`)
	identRE  = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
)

// metricNames returns the metric and recording-rule names an expression
// uses: the identifiers outside quotes that start like gamedata's, Go's and
// the process's metrics, or that hold a colon (recording rules).
func metricNames(expr string) []string {
	var names []string
	for _, id := range identRE.FindAllString(quotedRE.ReplaceAllString(expr, `""`), -1) {
		if strings.HasPrefix(id, "gamedata_") || strings.HasPrefix(id, "go_") || strings.HasPrefix(id, "process_") ||
			strings.Contains(id, ":") || slices.Contains(prometheusMade, id) {
			names = append(names, id)
		}
	}
	return names
}

// kitExpressions returns every PromQL expression of the dashboards (panel
// targets and template queries), by where it is, and the names the rule
// files record.
func kitExpressions(t *testing.T) (exprs map[string]string, recorded map[string]bool) {
	t.Helper()
	exprs, recorded = map[string]string{}, map[string]bool{}
	dashboards, err := filepath.Glob(dashboardGlob)
	if err != nil || len(dashboards) == 0 {
		t.Fatalf("no dashboard at %s: %v", dashboardGlob, err)
	}
	for _, path := range dashboards {
		var d struct {
			Panels []struct {
				ID      int    `json:"id"`
				Title   string `json:"title"`
				Type    string `json:"type"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
			Templating struct {
				List []struct {
					Name       string `json:"name"`
					Definition string `json:"definition"`
				} `json:"list"`
			} `json:"templating"`
		}
		readFile(t, path, json.Unmarshal, &d)
		ids := map[int]bool{}
		for _, p := range d.Panels {
			if ids[p.ID] {
				t.Errorf("%s: panel id %d used twice", path, p.ID)
			}
			ids[p.ID] = true
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", path, p.Title)
			}
			for i, target := range p.Targets {
				exprs[filepath.Base(path)+": "+p.Title+" #"+string(rune('A'+i))] = target.Expr
			}
		}
		for _, v := range d.Templating.List {
			if v.Definition != "" {
				exprs[filepath.Base(path)+": variable "+v.Name] = v.Definition
			}
		}
	}
	for _, path := range ruleFiles {
		var f struct {
			Groups []struct {
				Rules []struct {
					Record, Alert, Expr string
				}
			}
		}
		readFile(t, path, yaml.Unmarshal, &f)
		for _, g := range f.Groups {
			for _, r := range g.Rules {
				exprs[filepath.Base(path)+": "+r.Record+r.Alert] = r.Expr
				if r.Record != "" {
					recorded[r.Record] = true
				}
			}
		}
	}
	var tests struct {
		Tests []struct {
			Name        string
			InputSeries []struct{ Series string } `yaml:"input_series"`
		}
	}
	readFile(t, filepath.Join(rulesDir, rulesTestsFile), yaml.Unmarshal, &tests)
	for _, tc := range tests.Tests {
		for i, s := range tc.InputSeries {
			exprs[rulesTestsFile+": "+tc.Name+" #"+string(rune('A'+i))] = s.Series
		}
	}
	return exprs, recorded
}

// readFile decodes the file at path into v with unmarshal.
func readFile(t *testing.T, path string, unmarshal func([]byte, any) error, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// exports says whether families hold the series name: a family, or a
// histogram's or summary's _bucket, _count or _sum.
func exports(families map[string]*dto.MetricFamily, name string) bool {
	if families[name] != nil {
		return true
	}
	for _, suffix := range []string{"_bucket", "_count", "_sum"} {
		base, ok := strings.CutSuffix(name, suffix)
		if mf := families[base]; ok && mf != nil &&
			(mf.GetType() == dto.MetricType_HISTOGRAM || mf.GetType() == dto.MetricType_SUMMARY && suffix != "_bucket") {
			return true
		}
	}
	return false
}

// exercise plays every scenario against s for a moment, so that every
// route, store operation and cache counts something, and returns what
// s then exports.
func exercise(t *testing.T, s *server) map[string]*dto.MetricFamily {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	mix := bench.Mix{}
	for _, sc := range bench.Scenarios {
		mix[sc.Name] = 1
	}
	if _, err := bench.Run(ctx, bench.Config{
		URL: s.URL, Key: testAdminKey, Players: 3, Prefix: "kit-", Rate: 30, Concurrency: 4, Duration: time.Second, Mix: mix,
	}); err != nil {
		t.Fatalf("exercise %s: %v", s.URL, err)
	}
	return scrape(t, metricsURL(t, s))
}

// Every metric the dashboards, the alert rules and their tests name is
// exported by a running server: the embedded one (its cache in process),
// or, for what only the production parts export (the search indexer,
// Redis), a server on Cassandra, OpenSearch and Redis. Without those engines the test checks the
// embedded server only and skips, naming what it could not check.
func TestOperatorKitNamesOnlyExportedMetrics(t *testing.T) {
	exprs, recorded := kitExpressions(t)
	needed := map[string][]string{} // name -> where
	for where, expr := range exprs {
		for _, name := range metricNames(expr) {
			needed[name] = append(needed[name], where)
		}
	}
	if len(needed) < 20 {
		t.Fatalf("the kit names only %d metrics: %v", len(needed), needed)
	}
	env := []string{adminKeyEnv + "=" + testAdminKey}
	embedded := startServer(t, serverOpts{env: env,
		args: []string{"--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--rate-limit", "0", "--purge-interval", "100ms"}})
	exported := []map[string]*dto.MetricFamily{exercise(t, embedded)}
	production := "not run"
	if _, ok := cassandratest.FromEnv(); ok || os.Getenv("CI") != "" {
		node := cassandratest.Keyspace(t)
		redisCfg := redistest.Single(t).Config()
		args := append([]string{"--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--rate-limit", "0", "--store", "cassandra",
			"--cassandra-hosts", strings.Join(node.Hosts, ","), "--cassandra-keyspace", node.Keyspace,
			"--cassandra-local-dc", node.LocalDC, "--cassandra-username", node.Username, "--cassandra-timeout", "15s",
			"--indexer-poll-interval", "50ms", "--redis-addr", redisCfg.Addrs[0], "--redis-key-prefix", redisCfg.KeyPrefix},
			searchFlags(t)...)
		s := startServer(t, serverOpts{env: append(env, "GAMEDATA_CASSANDRA_PASSWORD="+node.Password), args: args})
		exported = append(exported, exercise(t, s))
		production = "cassandra + opensearch + redis"
	}

	var missing, unchecked []string
	for name, where := range needed {
		switch {
		case slices.Contains(prometheusMade, name):
		case strings.Contains(name, ":"):
			if !recorded[name] {
				t.Errorf("%s is no recording rule of %v; used by %v", name, ruleFiles, where)
			}
		case !slices.ContainsFunc(exported, func(f map[string]*dto.MetricFamily) bool { return exports(f, name) }):
			slices.Sort(where)
			where = slices.Compact(where)
			m := name + " (used by " + strings.Join(where, "; ") + ")"
			if production == "not run" && slices.ContainsFunc(productionOnly, func(p string) bool { return strings.HasPrefix(name, p) }) {
				unchecked = append(unchecked, m)
			} else {
				missing = append(missing, m)
			}
		}
	}
	slices.Sort(missing)
	for _, m := range missing {
		t.Errorf("no server (embedded; production: %s) exports %s", production, m)
	}
	if len(unchecked) > 0 {
		slices.Sort(unchecked)
		t.Skipf("these names need the production engines (%s), unchecked:\n%s", cassandratest.Missing, strings.Join(unchecked, "\n"))
	}
}

// promtool is the path of Prometheus' promtool, or a skip (a failure under
// CI) that says how to install it.
func promtool(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("promtool")
	if err != nil {
		msg := "promtool is not installed: scripts/testenv/promtool installs it (Debian's prometheus package)"
		if os.Getenv("CI") != "" {
			t.Fatal("CI: " + msg)
		}
		t.Skip(msg)
	}
	return path
}

// The rules load in Prometheus, and their unit tests pass: each alert fires
// on the series that should fire it, and not on the healthy ones.
func TestAlertRulesPassPromtool(t *testing.T) {
	bin := promtool(t)
	out, err := exec.Command(bin, append([]string{"check", "rules"}, ruleFiles...)...).CombinedOutput()
	if err != nil {
		t.Errorf("promtool check rules: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "test", "rules", rulesTestsFile)
	cmd.Dir = rulesDir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool test rules: %v\n%s", err, out)
	}
}
