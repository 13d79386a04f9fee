package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata/bench"
)

// writeRun stores a run as scripts/bench-report does: its JSON and its
// meta.
func writeRun(t *testing.T, dir, id string, m meta, res bench.Result) {
	t.Helper()
	for name, v := range map[string]any{id + ".json": runOutput{Result: res}, id + ".meta.json": m} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func result(mode string, rate float64, scenarios ...bench.ScenarioResult) bench.Result {
	var total bench.ScenarioResult
	total.Name = "total"
	for _, s := range scenarios {
		total.Count += s.Count
		total.Errors += s.Errors
		total.Throughput += s.Throughput
		total.P50, total.P99, total.P999 = max(total.P50, s.P50), max(total.P99, s.P99), max(total.P999, s.P999)
	}
	return bench.Result{Mode: mode, Rate: rate, Concurrency: 64, Duration: bench.Duration(time.Minute),
		Started: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC), Scenarios: scenarios, Total: total}
}

func sc(name string, kind bench.Kind, count int64, p99 float64) bench.ScenarioResult {
	return bench.ScenarioResult{Name: name, Kind: kind, Count: count, Throughput: float64(count) / 60, P50: p99 / 4, P99: p99, P999: p99 * 2}
}

// The report judges the goals from the numbers: which reads are over
// 10 ms, whether the rate held, which scenarios grew more than 1.2x, and
// which had too few runs to tell.
func TestReportJudgesTheGoals(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hardware.json"),
		[]byte(`{"nproc": 2, "cpu": "Test CPU", "mem_gib": 8, "kernel": "Linux", "go": "go1.26"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	sqlite := meta{Store: "sqlite", Label: "SQLite", Server: "gamedata serve", Load: "0.1 0.1 0.1"}
	a := sqlite
	a.Table, a.Players = "a", 10000
	seed := result("open", 2000,
		sc("read_profile", bench.Read, 60000, 3.5), sc("read_inbox", bench.Read, 50000, 12), sc("send_message", bench.Write, 50000, 30))
	seed.ServerCPUPerScenario, seed.ClientCPUPerScenario = 300, 60
	writeRun(t, dir, "a.sqlite", a, seed)
	cass := meta{Table: "a", Store: "cassandra", Label: "Cassandra + Redis", Server: "gamedata serve --store cassandra", Load: "0.2 0.2 0.2", Players: 10000}
	seed.ServerCPUPerScenario = 390
	writeRun(t, dir, "a.cassandra", cass, seed)
	d := sqlite
	d.Table, d.Players = "d", 10000
	writeRun(t, dir, "d.sqlite", d, result("open", 2000,
		sc("read_profile", bench.Read, 60000, 3.0), sc("read_inbox", bench.Read, 50000, 4), sc("send_message", bench.Write, 50000, 30)))
	for _, w := range []struct {
		sync, build string
		count       int64
		p99         float64
	}{{"full", "baseline 22067ae", 150000, 57}, {"full", "current", 330000, 20}, {"normal", "baseline 22067ae", 300000, 30}, {"normal", "current", 290000, 25}} {
		e := sqlite
		e.Table, e.Players, e.Sync, e.Build = "e", 2000, w.sync, w.build
		writeRun(t, dir, "e.sqlite."+w.sync+"."+strings.Fields(w.build)[0], e, result("closed", 0, sc("send_message", bench.Write, w.count, w.p99)))
	}
	b := sqlite
	b.Table, b.Players = "b", 10000
	writeRun(t, dir, "b.sqlite", b, result("closed", 0, sc("read_profile", bench.Read, 120000, 20), sc("create_pay_order", bench.Write, 60000, 40)))
	small, large := sqlite, sqlite
	small.Table, small.Players = "c", 50000
	large.Table, large.Players = "c", 1000000
	large.Preload = &bench.PreloadResult{From: 50000, To: 1000000, Players: 950000, Orders: 2850000, Messages: 2850000, Took: 40 * time.Minute}
	writeRun(t, dir, "c.sqlite.50000", small, result("open", 1000,
		sc("read_profile", bench.Read, 30000, 4), sc("read_inbox", bench.Read, 30000, 5), sc("login", bench.Write, 40, 60)))
	writeRun(t, dir, "c.sqlite.1000000", large, result("open", 1000,
		sc("read_profile", bench.Read, 30000, 4.4), sc("read_inbox", bench.Read, 30000, 7.5), sc("login", bench.Write, 40, 200)))

	if err := os.WriteFile(filepath.Join(dir, "notes.md"), []byte("Table (c) ran on an older build.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	md, svg := filepath.Join(dir, "benchmarks.md"), filepath.Join(dir, "plot.svg")
	if err := run([]string{"-results", dir, "-md", md, "-svg", svg}, nil); err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| CPUs (nproc) | 2 |", "| CPU | Test CPU |",
		"Reads with p99 under 5 ms: 1 of 2; over: read_inbox (12.0 ms)",
		"| read_profile | 3.50 | 3.00 | 1.17 | yes | yes |",
		"| read_inbox | 12.00 | 4.00 | 3.00 | **no** | **no** |",
		"without register and login, on SQLite: does not hold for read_inbox (12.00 ms, 3.00x)",
		"| full | baseline 22067ae | 2500 | 2500 | 14.25 | 57.00 |",
		"32 writers: 2.20x the baseline's throughput (goal >= 2x), p99 0.35x (goal <= 0.5x): holds.",
		"--sqlite-synchronous normal, 32 writers: 0.97x the baseline's throughput, p99 0.83x (goal: no slower): **does not hold**.",
		"| Cassandra + Redis | 390 | 60 |",
		"Cassandra + Redis over SQLite: 390 / 300 µs = 1.30x (goal <= 1.2x): **does not hold**.",
		"The rate was held",
		"| read_profile | read | 1.00 | 1.10 | 4.00 | 4.40 | 1.10 | yes |",
		"| read_inbox | read | 1.25 | 1.88 | 5.00 | 7.50 | 1.50 | **no** |",
		"| login | write | 15.00 | 50.00 | 60.00 | 200.00 | 3.33 | too few runs (40, 40) to tell |",
		"does not hold for read_inbox (1.50x); too few runs to tell for login",
		"preload 50000 -> 1000000 complete, wrote 950000 players",
		"](plot.svg)",
		"## Notes on these runs\n\nTable (c) ran on an older build.\n",
	} {
		if !strings.Contains(string(doc), want) {
			t.Errorf("the report lacks %q:\n%s", want, doc)
		}
	}

	plot, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	var root struct {
		Rects []struct {
			Title string `xml:"title"`
		} `xml:"rect"`
	}
	if err := xml.Unmarshal(plot, &root); err != nil {
		t.Fatalf("the plot is not XML: %v", err)
	}
	titles := map[string]bool{}
	for _, r := range root.Rects {
		titles[r.Title] = true
	}
	for _, want := range []string{"read_inbox p99: 12.00 ms", "read_inbox p99.9: 24.00 ms", "read_inbox p99 at 1000000 players: 7.50 ms"} {
		if !titles[want] {
			t.Errorf("the plot has no bar %q", want)
		}
	}

	var out bytes.Buffer
	if err := run([]string{"-half-peak", filepath.Join(dir, "b.sqlite.json")}, &out); err != nil || out.String() != "1500\n" {
		t.Errorf("-half-peak: %q, %v; want 1500 (half of 3000/s)", out.String(), err)
	}
}
