package main

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	dto "github.com/prometheus/client_model/go"
)

// scrape reads the metrics at url.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return mfs
}

// series returns the value of every series of family by its labels,
// written name=value,... in label-name order.
func series(mfs map[string]*dto.MetricFamily, family string) map[string]float64 {
	out := map[string]float64{}
	mf := mfs[family]
	if mf == nil {
		return out
	}
	for _, m := range mf.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+l.GetValue())
		}
		v := m.GetCounter().GetValue() + m.GetGauge().GetValue() + m.GetUntyped().GetValue()
		if h := m.GetHistogram(); h != nil {
			v = float64(h.GetSampleCount())
		}
		out[strings.Join(labels, ",")] = v
	}
	return out
}

// adminAddr is the address of the admin listener that s logged.
func adminAddr(t *testing.T, s *server) string {
	t.Helper()
	if s.admin != "" {
		return s.admin
	}
	var rec struct{ Addr string }
	if err := json.Unmarshal([]byte(s.waitLog(`"msg":"admin listening"`)), &rec); err != nil || rec.Addr == "" {
		t.Fatalf("no address in the admin log line: %v", err)
	}
	s.admin = "http://" + rec.Addr
	return s.admin
}

// metricsURL is where s serves its metrics: its admin listener (the server
// must be started with --admin-addr).
func metricsURL(t *testing.T, s *server) string { return adminAddr(t, s) + "/metrics" }

// The profiles are served on the admin listener, never on the public one,
// and the admin listener serves the metrics too.
func TestAdminListenerServesProfilesAndMetrics(t *testing.T) {
	s := startServer(t, serverOpts{args: []string{"--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0"}})
	admin := adminAddr(t, s)
	if status, body := call(t, http.MethodGet, admin+"/debug/pprof/", "", ""); status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Errorf("GET /debug/pprof/ on the admin listener: %d %.200s", status, body)
	}
	if status, body := call(t, http.MethodGet, admin+"/debug/pprof/goroutine?debug=1", "", ""); status != http.StatusOK || !strings.Contains(body, "goroutine profile") {
		t.Errorf("GET /debug/pprof/goroutine on the admin listener: %d %.200s", status, body)
	}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine", "/debug/pprof/cmdline"} {
		if status, _ := call(t, http.MethodGet, s.URL+path, "", ""); status != http.StatusNotFound {
			t.Errorf("GET %s on the public listener: %d, want 404", path, status)
		}
	}
	if _, ok := scrape(t, admin+"/metrics")["gamedata_store_requests_total"]; !ok {
		t.Error("the admin listener's /metrics lacks gamedata_store_requests_total")
	}
	s.mustStop()
}

// Without --admin-addr there is no admin listener.
func TestNoAdminListenerByDefault(t *testing.T) {
	s := startServer(t, serverOpts{args: []string{"--addr", "127.0.0.1:0"}})
	s.mustStop()
	if strings.Contains(s.logs.String(), "admin listening") {
		t.Errorf("an admin listener started without --admin-addr:\n%s", s.logs.String())
	}
}

// serve measures its store calls and its purge job.
func TestServeMeasuresStoreAndJobs(t *testing.T) {
	s := startServer(t, serverOpts{args: []string{"--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--purge-interval", "50ms"}, env: []string{adminKeyEnv + "=" + testAdminKey}})
	metrics := metricsURL(t, s) // before waitLog reads past the admin line
	if code := get(t, s.URL+"/v1/players/nobody", nil); code != http.StatusNotFound {
		t.Fatalf("GET a missing player: %d", code)
	}
	s.waitLog(`"msg":"request"`)
	mfs := scrape(t, metrics)
	if n := series(mfs, "gamedata_store_requests_total")["backend=sqlite,op=get_player,result=not_found"]; n != 1 {
		t.Errorf("get_player not_found counted %g times, want 1", n)
	}
	if n := series(mfs, "gamedata_store_request_duration_seconds")["backend=sqlite,op=get_player"]; n != 1 {
		t.Errorf("get_player timed %g times, want 1", n)
	}
	if up := series(mfs, "gamedata_backend_up"); !reflect.DeepEqual(up, map[string]float64{"backend=store": 1}) {
		t.Errorf("gamedata_backend_up %v, want the store up, and nothing else (search is the store's SQL)", up)
	}
	// The purge runs every 50ms; give it a few runs.
	for range 100 {
		if series(scrape(t, metrics), "gamedata_job_runs_total")["job_name=purge,result=ok"] >= 2 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	mfs = scrape(t, metrics)
	if runs := series(mfs, "gamedata_job_runs_total"); runs["job_name=purge,result=ok"] < 2 || runs["job_name=purge,result=error"] != 0 {
		t.Errorf("purge runs %v, want at least 2 ok and no error", runs)
	}
	if last := series(mfs, "gamedata_job_last_success_timestamp_seconds")["job_name=purge"]; last == 0 {
		t.Error("no last success of the purge")
	}
	s.mustStop()
}
