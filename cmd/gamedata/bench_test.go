package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata/bench"
)

// gamedata bench --help names and explains every option and every scenario.
func TestBenchHelpDocumentsEveryOption(t *testing.T) {
	var out bytes.Buffer
	if code := run(t.Context(), []string{"bench", "--help"}, &out, &out); code != 0 {
		t.Fatalf("bench --help: exit %d\n%s", code, out.String())
	}
	help := out.String()
	cmd := newBenchCmd()
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Usage == "" || !strings.Contains(help, "--"+f.Name+" ") {
			t.Errorf("--help does not document --%s", f.Name)
		}
	})
	for _, sc := range bench.Scenarios {
		if !strings.Contains(help, sc.Name) || !strings.Contains(help, sc.Doc) {
			t.Errorf("--help does not describe the scenario %s", sc.Name)
		}
	}
}

func TestBenchRateFlag(t *testing.T) {
	for in, want := range map[string]float64{"2000/s": 2000, "500": 500, "6000/m": 100, "0": 0} {
		var r rateValue
		if err := r.Set(in); err != nil || float64(r) != want {
			t.Errorf("--rate %s: %g, %v; want %g", in, float64(r), err, want)
		}
	}
	for _, bad := range []string{"fast", "-1/s", "10/h", ""} {
		var r rateValue
		if err := r.Set(bad); err == nil {
			t.Errorf("--rate %q accepted", bad)
		}
	}
}

// benchOutput is what gamedata bench --json prints.
type benchOutput struct {
	bench.Result
	Preload *bench.PreloadResult `json:"preload"`
}

// gamedata bench preloads the store of a running serve, then loads the
// server with the preloaded players; the server counted exactly the
// requests bench says it made.
func TestBenchAgainstServe(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	s := startServer(t, serverOpts{args: []string{"--addr", "127.0.0.1:0", "--admin-addr", "127.0.0.1:0", "--data-dir", dataDir, "--rate-limit", "0"}})
	out := mustCLI(t, nil, "bench", "--data-dir", dataDir, "--preload", "40", "--preload-only", "--json", "--progress=false")
	var pre bench.PreloadResult
	if err := json.Unmarshal([]byte(out), &pre); err != nil || pre.To != 40 || pre.Players != 40 || pre.Orders != 120 || pre.Messages != 120 {
		t.Fatalf("preload: %+v, %v\n%s", pre, err, out)
	}

	// The key comes from the data dir's admin.key.
	mix := "read_profile=3,read_inbox=2,send_message=2,create_pay_order=2,post_events=1,search_players=1,search_orders=1"
	out = mustCLI(t, nil, "bench", "--url", s.URL, "--metrics-url", metricsURL(t, s), "--data-dir", dataDir, "--players", "40", "--rate", "60/s",
		"--warmup", "0s", "--duration", "1s", "--mix", mix, "--json", "--progress=false")
	var res benchOutput
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	if res.ServerCores < 0 {
		t.Error("bench did not read the server's CPU time from --metrics-url")
	}
	if res.Total.Count != 60 || res.Total.Errors != 0 || res.Mode != "open" || res.Players != 40 {
		t.Errorf("bench ran %d scenarios with %d errors in mode %s over %d players; want 60, 0, open, 40: %+v",
			res.Total.Count, res.Total.Errors, res.Mode, res.Players, res.Scenarios)
	}
	want := map[string]float64{}
	for _, c := range res.Requests {
		want["code="+strconv.Itoa(c.Code)+",method="+c.Method+",route="+c.Route] = float64(c.Count)
		if c.Route == "/v1/players" || c.Route == "/v1/players/{name}" && c.Code == 404 {
			t.Errorf("bench set up players (%s %s: %d) although they were preloaded", c.Method, c.Route, c.Count)
		}
	}
	// The server counts a request once answered, a moment after bench got
	// the answer. (Its metrics are on the admin listener, which counts no
	// request.)
	var got map[string]float64
	for range 100 {
		got = series(scrape(t, metricsURL(t, s)), "gamedata_http_requests_total")
		if reflect.DeepEqual(got, want) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("bench made requests\n%v\nthe server counted\n%v", want, got)
	}
	out = mustCLI(t, nil, "bench", "--url", s.URL, "--data-dir", dataDir, "--players", "40", "--rate", "0",
		"--concurrency", "2", "--warmup", "0s", "--duration", "300ms", "--progress=false")
	for _, want := range []string{"closed loop, 2 workers", "read_profile", "p99.9 ms", "total"} {
		if !strings.Contains(out, want) {
			t.Errorf("the table lacks %q:\n%s", want, out)
		}
	}
}
