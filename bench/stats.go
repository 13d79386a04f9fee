package bench

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/gamedata-dev/gamedata/client"
)

// Latencies are recorded in microseconds, from 1 µs to 10 minutes, to 3
// significant digits.
const (
	histMin    = 1
	histMax    = int64(10 * time.Minute / time.Microsecond)
	histDigits = 3
)

// stats gathers the outcomes of one scenario.
type stats struct {
	// ended counts the runs that ended in the measured period, whenever
	// they were due.
	ended    atomic.Int64
	mu       sync.Mutex
	hist     *hdrhistogram.Histogram
	errors   map[string]int64  // by kind: an HTTP status, "timeout", "transport"
	examples map[string]string // the first error of each kind
}

func newStats() *stats {
	return &stats{hist: hdrhistogram.New(histMin, histMax, histDigits), errors: map[string]int64{}, examples: map[string]string{}}
}

// record adds one outcome. A failed scenario's latency is recorded too: a
// server that fails fast must not look fast.
func (s *stats) record(d time.Duration, err error) {
	us := min(max(d.Microseconds(), histMin), histMax)
	s.mu.Lock()
	defer s.mu.Unlock()
	_ = s.hist.RecordValue(us) // within range: it cannot fail
	if err != nil {
		kind := errorKind(err)
		if s.errors[kind] == 0 {
			s.examples[kind] = err.Error()
		}
		s.errors[kind]++
	}
}

// errorKind names the kind of a scenario's error for the summary.
func errorKind(err error) string {
	var ce *client.Error
	var ne net.Error
	switch {
	case errors.As(err, &ce):
		return strconv.Itoa(ce.Status)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "transport"
}

// ScenarioResult is the summary of one scenario. Latencies are in
// milliseconds, measured in the open loop from the time each request was
// due (so that a server that falls behind shows it) and in the closed loop
// from when it was sent.
type ScenarioResult struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
	// Count is how many runs of the scenario ended in the measured period,
	// Errors how many of them failed, by kind ("409", "503", "timeout"...).
	Count      int64            `json:"count"`
	Errors     int64            `json:"errors"`
	ErrorKinds map[string]int64 `json:"error_kinds,omitempty"`
	// ErrorExamples holds the first error of each kind.
	ErrorExamples map[string]string `json:"error_examples,omitempty"`
	// Throughput is the runs that ended a second in the measured period,
	// whenever they were due: what the server sustained. In an open loop
	// that kept its rate it is the rate; in one that did not, less, while
	// Count still holds every run that was due.
	Throughput float64 `json:"throughput_per_s"`
	Mean       float64 `json:"mean_ms"`
	P50        float64 `json:"p50_ms"`
	P95        float64 `json:"p95_ms"`
	P99        float64 `json:"p99_ms"`
	P999       float64 `json:"p99_9_ms"`
	Max        float64 `json:"max_ms"`
}

func ms(us int64) float64 { return float64(us) / 1000 }

// summary turns s into a result over a measured period of d.
func (s *stats) summary(name string, kind Kind, d time.Duration) ScenarioResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := ScenarioResult{
		Name: name, Kind: kind, Count: s.hist.TotalCount(),
		Mean: s.hist.Mean() / 1000,
		P50:  ms(s.hist.ValueAtQuantile(50)), P95: ms(s.hist.ValueAtQuantile(95)), P99: ms(s.hist.ValueAtQuantile(99)),
		P999: ms(s.hist.ValueAtQuantile(99.9)), Max: ms(s.hist.Max()),
	}
	if d > 0 {
		r.Throughput = float64(s.ended.Load()) / d.Seconds()
	}
	for k, n := range s.errors {
		r.Errors += n
		if r.ErrorKinds == nil {
			r.ErrorKinds, r.ErrorExamples = map[string]int64{}, map[string]string{}
		}
		r.ErrorKinds[k], r.ErrorExamples[k] = n, s.examples[k]
	}
	return r
}

// merge adds every outcome of o to s.
func (s *stats) merge(o *stats) {
	o.mu.Lock()
	defer o.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hist.Merge(o.hist)
	s.ended.Add(o.ended.Load())
	for k, n := range o.errors {
		if s.errors[k] == 0 {
			s.examples[k] = o.examples[k]
		}
		s.errors[k] += n
	}
}

// lateWarning is how late the open loop may send before the table says it
// could not keep its rate.
const lateWarning = 10 * time.Millisecond

// Result is what a run measured.
type Result struct {
	URL string `json:"url"`
	// Mode is "open" (Rate scenarios a second on a fixed timeline) or
	// "closed" (Concurrency workers, each sending as soon as its previous
	// scenario ended).
	Mode        string  `json:"mode"`
	Rate        float64 `json:"rate_per_s,omitempty"`
	Concurrency int     `json:"concurrency"`
	Mix         string  `json:"mix"`
	Players     int     `json:"players"`
	// Skipped names the scenarios of the mix that did not run, and why.
	Skipped map[string]string `json:"skipped,omitempty"`
	Warmup  Duration          `json:"warmup"`
	// Duration is the measured period: the one asked for, or less after a
	// Ctrl-C.
	Duration    Duration         `json:"duration"`
	Interrupted bool             `json:"interrupted"`
	Started     time.Time        `json:"started"`
	Scenarios   []ScenarioResult `json:"scenarios"`
	// Total sums every scenario.
	Total ScenarioResult `json:"total"`
	// Behind is the most the open loop was late sending a scenario (all
	// its workers busy, or short of CPU); the latencies include it.
	Behind Duration `json:"behind,omitempty"`
	// ServerCores and ClientCores are the CPUs the server (from its
	// process_cpu_seconds_total; -1 if it does not say) and bench kept
	// busy on average over the warm-up and the measured period.
	ServerCores float64 `json:"server_cores"`
	ClientCores float64 `json:"client_cores"`
	// ServerCPUPerScenario and ClientCPUPerScenario are the CPU time, in
	// microseconds, the server (-1 if unknown) and bench spent on each
	// scenario sent over the same period.
	ServerCPUPerScenario float64 `json:"server_cpu_per_scenario_us"`
	ClientCPUPerScenario float64 `json:"client_cpu_per_scenario_us"`
	// Requests counts every answered request bench made, set-up and
	// warm-up included, as the server counts them.
	Requests []RouteCount `json:"requests"`
}

// Duration is a time.Duration that reads as "1m30s" in JSON.
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = Duration(v)
	return err
}

// Scenario returns the result of the named scenario.
func (r *Result) Scenario(name string) (ScenarioResult, bool) {
	i := slices.IndexFunc(r.Scenarios, func(s ScenarioResult) bool { return s.Name == name })
	if i < 0 {
		return ScenarioResult{}, false
	}
	return r.Scenarios[i], true
}

// WriteTable prints r as a table.
func (r *Result) WriteTable(w io.Writer) error {
	load := fmt.Sprintf("open loop at %g scenarios/s (up to %d in flight)", r.Rate, r.Concurrency)
	if r.Mode == "closed" {
		load = fmt.Sprintf("closed loop, %d workers", r.Concurrency)
	}
	stopped := ""
	if r.Interrupted {
		stopped = " (interrupted)"
	}
	fmt.Fprintf(w, "%s: %s, %s measured after a %s warm-up%s, %d players; %s\n",
		r.URL, load, time.Duration(r.Duration), time.Duration(r.Warmup), stopped, r.Players, coresString(r))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "scenario\tkind\tcount\terrors\tper s\tp50 ms\tp95 ms\tp99 ms\tp99.9 ms\tmax ms\t")
	for _, s := range append(slices.Clone(r.Scenarios), r.Total) {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n",
			s.Name, s.Kind, s.Count, s.Errors, s.Throughput, s.P50, s.P95, s.P99, s.P999, s.Max)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, s := range r.Scenarios {
		kinds := make([]string, 0, len(s.ErrorKinds))
		for k := range s.ErrorKinds {
			kinds = append(kinds, k)
		}
		slices.SortFunc(kinds, func(a, b string) int { return cmp.Compare(s.ErrorKinds[b], s.ErrorKinds[a]) })
		for _, k := range kinds {
			fmt.Fprintf(w, "  %s: %d x %s, first: %s\n", s.Name, s.ErrorKinds[k], k, s.ErrorExamples[k])
		}
	}
	if time.Duration(r.Behind) > lateWarning {
		fmt.Fprintf(w, "  the open loop sent a scenario up to %s late (all --concurrency busy, or short of CPU); the latencies include it\n",
			time.Duration(r.Behind).Round(time.Millisecond))
	}
	for _, name := range slices.Sorted(maps.Keys(r.Skipped)) {
		fmt.Fprintf(w, "  %s skipped: %s\n", name, r.Skipped[name])
	}
	return nil
}
