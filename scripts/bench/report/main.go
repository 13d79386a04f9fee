// Command report writes docs/benchmarks.md and its latency plot (SVG) from
// the results that scripts/bench-report gathered: the JSON of each
// "gamedata bench --json" run, a .meta.json beside it saying which table it
// belongs to and what ran, and hardware.json.
//
//	go run ./scripts/bench/report -results .bench/results -md docs/benchmarks.md -svg docs/benchmarks-latency.svg
//	go run ./scripts/bench/report -half-peak .bench/results/b.cassandra.json
//
// -half-peak prints half the throughput of a closed-loop run: the rate of
// the growth runs, which must run below saturation to compare latencies.
// -rate prints the rate an open-loop run was asked for (a resumed growth
// run keeps the rate of the run before it).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gamedata-dev/gamedata/bench"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	results := fs.String("results", ".bench/results", "folder of the runs' JSON")
	md := fs.String("md", "docs/benchmarks.md", "Markdown report to write")
	svg := fs.String("svg", "docs/benchmarks-latency.svg", "latency plot to write")
	halfPeak := fs.String("half-peak", "", "print half the throughput of this closed-loop run, and stop")
	rate := fs.String("rate", "", "print the target rate of this open-loop run, and stop")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, q := range []struct {
		path string
		of   func(runOutput) float64
	}{
		{*halfPeak, func(o runOutput) float64 { return o.Total.Throughput / 2 }},
		{*rate, func(o runOutput) float64 { return o.Rate }},
	} {
		if q.path == "" {
			continue
		}
		var out runOutput
		if err := readJSON(q.path, &out); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "%.0f\n", q.of(out))
		return err
	}
	rep, err := load(*results)
	if err != nil {
		return err
	}
	// The plot is linked from the report by its name, next to it.
	rel, err := filepath.Rel(filepath.Dir(*md), *svg)
	if err != nil {
		return err
	}
	if err := writeFile(*svg, func(w io.Writer) error { return rep.plot(w) }); err != nil {
		return err
	}
	return writeFile(*md, func(w io.Writer) error { return rep.markdown(w, filepath.ToSlash(rel)) })
}

// runOutput is what gamedata bench --json prints.
type runOutput struct {
	bench.Result
	Preload *bench.PreloadResult `json:"preload"`
}

// meta is what scripts/bench-report says about a run.
type meta struct {
	// Table is a (seed workload), b (peak), c (growth), d (the seed
	// workload without register and login) or e (durable writes).
	Table string `json:"table"`
	Store string `json:"store"`
	// Label names the parts that ran: "SQLite; search: SQL over SQLite".
	Label string `json:"label"`
	// Server is the command line of the server, secrets left out.
	Server string `json:"server"`
	// Players is the population of the store when the run started, from
	// the preload's checkpoint.
	Players int `json:"players"`
	// Load is /proc/loadavg before the run.
	Load string `json:"load"`
	// Preload is the preload that ran just before, if any.
	Preload *bench.PreloadResult `json:"preload,omitempty"`
	// Sync and Build tell the runs of table e apart: --sqlite-synchronous,
	// and "current" or "baseline <rev>" (the server built from before
	// group commit).
	Sync  string `json:"sync,omitempty"`
	Build string `json:"build,omitempty"`
}

type benchRun struct {
	id   string
	meta meta
	out  runOutput
}

// hardware is what the script found out about the machine.
type hardware struct {
	NProc  int     `json:"nproc"`
	CPU    string  `json:"cpu"`
	MemGiB float64 `json:"mem_gib"`
	Kernel string  `json:"kernel"`
	Go     string  `json:"go"`
}

type report struct {
	hw   hardware
	runs []benchRun
	// notes is what the person who ran the script says about the runs
	// (notes.md beside the results), if anything.
	notes string
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// load reads every run of dir, in the order of the tables and stores.
func load(dir string) (*report, error) {
	r := &report{}
	if err := readJSON(filepath.Join(dir, "hardware.json"), &r.hw); err != nil {
		return nil, err
	}
	notes, err := os.ReadFile(filepath.Join(dir, "notes.md"))
	switch {
	case err == nil:
		r.notes = strings.TrimSpace(string(notes))
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	metas, err := filepath.Glob(filepath.Join(dir, "*.meta.json"))
	if err != nil {
		return nil, err
	}
	for _, m := range metas {
		id := strings.TrimSuffix(filepath.Base(m), ".meta.json")
		br := benchRun{id: id}
		if err := readJSON(m, &br.meta); err != nil {
			return nil, err
		}
		if err := readJSON(filepath.Join(dir, id+".json"), &br.out); err != nil {
			return nil, err
		}
		r.runs = append(r.runs, br)
	}
	if len(r.runs) == 0 {
		return nil, errors.New("no run in " + dir)
	}
	slices.SortStableFunc(r.runs, func(a, b benchRun) int {
		if c := strings.Compare(a.meta.Table, b.meta.Table); c != 0 {
			return c
		}
		if c := strings.Compare(storeOrder(a.meta.Store), storeOrder(b.meta.Store)); c != 0 {
			return c
		}
		return a.meta.Players - b.meta.Players
	})
	return r, nil
}

// storeOrder puts the embedded store first.
func storeOrder(s string) string {
	if s == "sqlite" {
		return "0"
	}
	return "1" + s
}

// table returns the runs of one table.
func (r *report) table(t string) []benchRun {
	var out []benchRun
	for _, br := range r.runs {
		if br.meta.Table == t {
			out = append(out, br)
		}
	}
	return out
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return f.Close()
}
