package main

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata/bench"
)

// Goals of docs/benchmarks.md.
const (
	readP99Goal = 5.0 // ms, every read scenario of the seed mix
	growthGoal  = 1.2 // p99 at the large size over p99 at the small one
	// hashTailGoal bounds a read's p99 in the seed mix over its p99 in the
	// same mix without register and login (table d).
	hashTailGoal = 1.5
	// Group commit with --sqlite-synchronous full (table e): at least this
	// times the baseline's throughput, at most this times its p99; with
	// normal, no less throughput.
	fullThroughputGoal = 2.0
	fullP99Goal        = 0.5
	// cassandraCPUGoal bounds the server's CPU per scenario of the seed mix
	// on Cassandra over the embedded server's.
	cassandraCPUGoal = 1.2
	// heldP999 is the p99.9 above which an open loop did not hold its
	// rate: a server that keeps up answers within it; one that falls
	// behind builds a queue whose wait grows without bound.
	heldP999 = 1000.0 // ms
	// heldErrors is the share of failed scenarios a held rate may have.
	heldErrors = 0.001
	// minSamples is the count below which a p99 is too noisy to judge
	// growth by (it is then the few slowest runs).
	minSamples = 500
)

// requestsPer is the HTTP requests of one run of a scenario.
var requestsPer = map[string]int{"create_pay_order": 2}

func (r *report) markdown(w io.Writer, svg string) error {
	p := &printer{w: w}
	p.f("# Benchmarks\n\n")
	p.f("<!-- Written by scripts/bench-report from its results: do not edit; run the script again. -->\n\n")
	p.f("Measured with `gamedata bench` against `gamedata serve` on this machine, one run per table; each run says when it " +
		"started. The load generator runs on the same machine as the server and its engines, and takes its share of the CPUs.\n\n")
	p.f("| machine | |\n|---|---|\n| CPUs (nproc) | %d |\n| CPU | %s |\n| RAM | %.1f GiB |\n| kernel | %s |\n| Go | %s |\n\n",
		r.hw.NProc, r.hw.CPU, r.hw.MemGiB, r.hw.Kernel, r.hw.Go)
	p.f("The engines (Cassandra, OpenSearch, Redis) are the test engines of `scripts/testenv`: one node each, small heaps, " +
		"on loopback, shared with other work on the machine; each table gives the load average just before its run.\n\n")

	p.whatRan(r)
	if r.notes != "" {
		p.f("## Notes on these runs\n\n%s\n\n", r.notes)
	}
	p.seed(r.table("a"))
	p.peak(r.table("b"))
	p.growth(r.table("c"))
	p.hashTail(r.table("a"), r.table("d"))
	p.durableWrites(r.table("e"))
	p.cpuPerScenario(r.table("a"))
	p.f("## Latency percentiles\n\n![p50, p95, p99 and p99.9 of each scenario](%s)\n\n", svg)
	p.f("Each bar is a percentile of one scenario in one run of table (a) (log scale), and, for table (c), the p99 at each size.\n\n")
	p.goals(r)
	p.f("## Measuring your own deployment\n\n" +
		"`gamedata bench --help` documents every option. The usual steps:\n\n```sh\n" +
		"gamedata serve --rate-limit 0 &                       # or any running server (its key: --key)\n" +
		"gamedata bench --preload 100000 --preload-only        # grow the data, straight into the store (--store, --data-dir... as serve)\n" +
		"gamedata bench --players 100000 --rate 2000/s --duration 60s               # open loop: latency at a rate\n" +
		"gamedata bench --players 100000 --rate 0 --concurrency 64 --duration 60s    # closed loop: peak throughput\n" +
		"gamedata bench --mix read_profile=1,read_inbox=1 --rate 500/s --json > run.json\n```\n\n" +
		"Run the load generator on another machine than the server when you can: here they share the CPUs.\n\n")
	p.f("## Re-running\n\n```sh\nscripts/testenv/testenv up    # Cassandra, OpenSearch, Redis\nscripts/bench-report           # see its header for the knobs\n```\n\n")
	p.f("It writes the results to `$GAMEDATA_BENCH_DIR/results` (`~/.cache/gamedata/bench`) and then this file. Table (c) starts from " +
		"an empty store, except after a run that stopped during the large preload (Ctrl-C, a crash): the next run resumes that " +
		"preload from its checkpoint and keeps the small size's result (`--fresh` starts again). Each scenario's latency is measured by the client, from the time the scenario was due on the open loop's " +
		"timeline (so a stall is charged to every scenario that waited behind it) or, in the closed loop, from when it was sent.\n")
	return p.err
}

// printer writes, keeping the first error.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) f(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// section starts a table's section, and says whether it has runs.
func (p *printer) section(title string, runs []benchRun) bool {
	p.f("%s\n\n", title)
	if len(runs) == 0 {
		p.f("Not run.\n\n")
	}
	return len(runs) > 0
}

func (p *printer) whatRan(r *report) {
	p.f("## What ran\n\n")
	var servers []string
	tables := map[string][]string{}
	labels := map[string]string{}
	for _, br := range r.runs {
		s := strings.TrimSpace(br.meta.Server) // an empty group of flags leaves a space
		if _, seen := tables[s]; !seen {
			servers = append(servers, s)
		}
		if !slices.Contains(tables[s], br.meta.Table) {
			tables[s] = append(tables[s], br.meta.Table)
		}
		labels[s] = br.meta.Label
	}
	for _, s := range servers {
		word := "table"
		if len(tables[s]) > 1 {
			word = "tables"
		}
		p.f("- %s %s, %s: `%s`\n", word, strings.Join(tables[s], ", "), labels[s], s)
	}
	if len(r.runs) > 0 {
		p.f("\nThe mix (weights; a scenario's share is its weight over their sum): `%s`. Scenarios:\n\n", r.runs[0].out.Mix)
		p.f("| scenario | kind | what |\n|---|---|---|\n")
		for _, sc := range bench.Scenarios {
			p.f("| %s | %s | %s |\n", sc.Name, sc.Kind, sc.Doc)
		}
		p.f("\nRegister and login hash a password with argon2id (OWASP's parameters, ~50 ms of a core each): they are rare in the mix, " +
			"and are writes. The server logs at `--log-level warn` (a JSON line per request would cost its own share of CPU) and " +
			"runs with `--rate-limit 0`, since every request comes from one address.\n\n")
	}
}

func (p *printer) runHeader(br benchRun) {
	out := br.out
	load := fmt.Sprintf("open loop at %g scenarios/s (up to %d in flight)", out.Rate, out.Concurrency)
	if out.Mode == "closed" {
		load = fmt.Sprintf("closed loop, %d workers", out.Concurrency)
	}
	cpu := ""
	if out.ClientCores > 0 { // older results did not measure it
		server := "an unknown number of"
		if out.ServerCores >= 0 {
			server = fmt.Sprintf("%.2f", out.ServerCores)
		}
		cpu = fmt.Sprintf(" The server kept %s cores busy, bench %.2f (its warm-up included).", server, out.ClientCores)
		if out.ServerCPUPerScenario > 0 {
			cpu += fmt.Sprintf(" CPU a scenario: server %.0f µs, bench %.0f µs.", out.ServerCPUPerScenario, out.ClientCPUPerScenario)
		}
	}
	p.f("**%s** — %s, %s measured after a %s warm-up, %d players in the store; started %s, load average before: %s.%s\n\n",
		br.meta.Label, load, time.Duration(out.Duration), time.Duration(out.Warmup), br.meta.Players,
		out.Started.Format(time.RFC3339), br.meta.Load, cpu)
}

func (p *printer) scenarioTable(out runOutput) {
	p.f("| scenario | kind | count | errors | per s | p50 ms | p95 ms | p99 ms | p99.9 ms | max ms |\n")
	p.f("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, s := range append(out.Scenarios, out.Total) {
		if s.Count == 0 {
			p.f("| %s | %s | 0 | | | | | | | |\n", s.Name, s.Kind)
			continue
		}
		p.f("| %s | %s | %d | %d | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
			s.Name, s.Kind, s.Count, s.Errors, s.Throughput, s.P50, s.P95, s.P99, s.P999, s.Max)
	}
	for _, s := range out.Scenarios {
		for _, k := range slices.Sorted(maps.Keys(s.ErrorKinds)) {
			p.f("\n%s: %d failed with %s, the first: `%s`", s.Name, s.ErrorKinds[k], k, oneLine(s.ErrorExamples[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(out.Skipped)) {
		p.f("\n%s did not run: %s.", k, out.Skipped[k])
	}
	p.f("\n\n")
}

// held says whether an open-loop run kept its rate, and why not.
func held(out runOutput) (bool, string) {
	t := out.Total
	switch {
	case t.Count == 0:
		return false, "nothing ran"
	case float64(t.Errors) > heldErrors*float64(t.Count):
		return false, fmt.Sprintf("%.2f%% of the scenarios failed", 100*float64(t.Errors)/float64(t.Count))
	case t.P999 > heldP999:
		return false, fmt.Sprintf("the p99.9 reached %.0f ms: the server fell behind and a queue built up", t.P999)
	}
	return true, fmt.Sprintf("every scenario due was answered, %.2f%% failed, p99.9 %.1f ms", 100*float64(t.Errors)/float64(t.Count), t.P999)
}

func (p *printer) seed(runs []benchRun) {
	if !p.section("## (a) The seed workload: 1,000 writes/s and 1,000 reads/s", runs) {
		return
	}
	p.f("The mix above at 2,000 scenarios a second on an open loop: half of them reads, half writes (create_pay_order is two " +
		"requests, so the server answers a little over 2,000 requests a second).\n\n")
	for _, br := range runs {
		p.runHeader(br)
		p.scenarioTable(br.out)
		ok, why := held(br.out)
		verdict := "held"
		if !ok {
			verdict = "**not held**"
		}
		p.f("The rate was %s: %s. Reads with p99 under %g ms: %s.\n\n", verdict, why, readP99Goal, readVerdict(br.out))
	}
}

// readVerdict lists the read scenarios over the goal.
func readVerdict(out runOutput) string {
	var over []string
	reads := 0
	for _, s := range out.Scenarios {
		if s.Kind != bench.Read {
			continue
		}
		reads++
		if s.P99 >= readP99Goal {
			over = append(over, fmt.Sprintf("%s (%.1f ms)", s.Name, s.P99))
		}
	}
	switch {
	case reads == 0:
		return "no read ran"
	case len(over) == 0:
		return fmt.Sprintf("all %d", reads)
	}
	return fmt.Sprintf("%d of %d; over: %s", reads-len(over), reads, strings.Join(over, ", "))
}

func (p *printer) peak(runs []benchRun) {
	if !p.section("## (b) Peak throughput", runs) {
		return
	}
	p.f("The same mix on a closed loop: each worker starts a scenario as soon as its last one ended, so the server runs flat out.\n\n")
	p.f("| store | workers | scenarios/s | requests/s | p50 ms | p99 ms | p99.9 ms | errors | load before |\n|---|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, br := range runs {
		t := br.out.Total
		p.f("| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f | %d | %s |\n", br.meta.Label, br.out.Concurrency, t.Throughput,
			requestRate(br.out), t.P50, t.P99, t.P999, t.Errors, br.meta.Load)
	}
	p.f("\n")
	for _, br := range runs {
		p.runHeader(br)
		p.scenarioTable(br.out)
	}
}

// requestRate is the HTTP requests a second of a run's scenarios.
func requestRate(out runOutput) float64 {
	var n float64
	for _, s := range out.Scenarios {
		per := requestsPer[s.Name]
		if per == 0 {
			per = 1
		}
		n += float64(s.Count * int64(per))
	}
	return n / max(time.Duration(out.Duration).Seconds(), 1e-9)
}

// growthPairs pairs the smallest and the largest run of each store.
func growthPairs(runs []benchRun) [][2]benchRun {
	var pairs [][2]benchRun
	for i := 0; i < len(runs); {
		j := i
		for j+1 < len(runs) && runs[j+1].meta.Store == runs[i].meta.Store {
			j++
		}
		if j > i {
			pairs = append(pairs, [2]benchRun{runs[i], runs[j]})
		}
		i = j + 1
	}
	return pairs
}

// growthRows compares each scenario of a pair: the ratio of the p99s, and
// whether it is within the goal (judged only with enough samples).
type growthRow struct {
	name         string
	small, large bench.ScenarioResult
	ratio        float64
	judged, ok   bool
}

func growthRows(pair [2]benchRun) []growthRow {
	var rows []growthRow
	for _, s := range pair[0].out.Scenarios {
		l, found := pair[1].out.Scenario(s.Name)
		if !found {
			continue
		}
		row := growthRow{name: s.Name, small: s, large: l, ratio: l.P99 / max(s.P99, 1e-9)}
		row.judged = s.Count >= minSamples && l.Count >= minSamples
		row.ok = row.ratio <= growthGoal
		rows = append(rows, row)
	}
	return rows
}

func (p *printer) growth(runs []benchRun) {
	if !p.section("## (c) As the data grows", runs) {
		return
	}
	p.f("The same mix after preloading players, each with 3 orders (the first paid) and 3 messages to others, written through the " +
		"store in parallel with one password hash; then again after growing the same store to the larger size. The scenarios " +
		"act for players drawn from the whole population, so reads land all over the data. The rate is half the peak that table (b) had measured for " +
		"that store when the small run started (at most the seed rate), the same for both sizes: latencies are only comparable " +
		"below saturation.\n\n")
	for _, br := range runs {
		if pre := br.meta.Preload; pre != nil {
			p.f("- %s, before the run at %d players: preload %d -> %d complete, wrote %d players, %d orders, %d messages in %s (%.0f players/s)%s.\n",
				br.meta.Label, br.meta.Players, pre.From, pre.To, pre.Players, pre.Orders, pre.Messages,
				pre.Took.Round(100*time.Millisecond), float64(pre.Players)/max(pre.Took.Seconds(), 1e-9), interrupted(pre))
		}
	}
	p.f("\n")
	for _, pair := range growthPairs(runs) {
		small, large := pair[0], pair[1]
		p.f("**%s**: %d players (started %s, load before %s) against %d players (started %s, load before %s), open loop at %g scenarios/s.\n\n",
			small.meta.Label, small.meta.Players, small.out.Started.Format(time.RFC3339), small.meta.Load,
			large.meta.Players, large.out.Started.Format(time.RFC3339), large.meta.Load, large.out.Rate)
		p.f("| scenario | kind | p50 ms small | p50 ms large | p99 ms small | p99 ms large | p99 large / small | within %gx |\n|---|---|--:|--:|--:|--:|--:|---|\n", growthGoal)
		for _, row := range growthRows(pair) {
			verdict := "yes"
			switch {
			case !row.judged:
				verdict = fmt.Sprintf("too few runs (%d, %d) to tell", row.small.Count, row.large.Count)
			case !row.ok:
				verdict = "**no**"
			}
			p.f("| %s | %s | %.2f | %.2f | %.2f | %.2f | %.2f | %s |\n", row.name, row.small.Kind, row.small.P50, row.large.P50,
				row.small.P99, row.large.P99, row.ratio, verdict)
		}
		p.f("\n")
	}
	for _, br := range runs {
		p.runHeader(br)
		p.scenarioTable(br.out)
	}
}

func interrupted(pre *bench.PreloadResult) string {
	if pre.Interrupted {
		return " (interrupted)"
	}
	return ""
}

func (p *printer) goals(r *report) {
	p.f("## Goals\n\n")
	for _, br := range r.table("a") {
		p.f("- Seed mix, every read scenario with p99 under %g ms, on %s: %s.\n", readP99Goal, br.meta.Label, readVerdict(br.out))
	}
	for _, pair := range growthPairs(r.table("c")) {
		var over, unjudged []string
		for _, row := range growthRows(pair) {
			switch {
			case !row.judged:
				unjudged = append(unjudged, row.name)
			case !row.ok:
				over = append(over, fmt.Sprintf("%s (%.2fx)", row.name, row.ratio))
			}
		}
		verdict := "holds for every scenario with enough runs"
		if len(over) > 0 {
			verdict = "does not hold for " + strings.Join(over, ", ")
		}
		if len(unjudged) > 0 {
			verdict += "; too few runs to tell for " + strings.Join(unjudged, ", ")
		}
		p.f("- p99 at %d players within %gx of p99 at %d players, on %s: %s.\n", pair[1].meta.Players, growthGoal,
			pair[0].meta.Players, pair[0].meta.Label, verdict)
	}
	for _, pair := range hashPairs(r.table("a"), r.table("d")) {
		p.f("- Seed mix, every read's p99 within %gx of its p99 without register and login, on %s: %s.\n",
			hashTailGoal, pair[0].meta.Label, hashVerdict(pair))
	}
	for _, v := range writeVerdicts(r.table("e")) {
		p.f("- %s\n", v)
	}
	if v, ok := cpuVerdict(r.table("a")); ok {
		p.f("- %s\n", v)
	}
	p.f("\n")
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return strings.ReplaceAll(s, "`", "'")
}

// hashPairs pairs each store's seed run (table a) with its run without
// register and login (table d).
func hashPairs(a, d []benchRun) [][2]benchRun {
	var out [][2]benchRun
	for _, without := range d {
		for _, with := range a {
			if with.meta.Store == without.meta.Store {
				out = append(out, [2]benchRun{with, without})
			}
		}
	}
	return out
}

// hashRow is one read scenario of a hash pair.
type hashRow struct {
	name              string
	with, without     float64 // p99 ms
	ratio             float64
	withinRatio, fast bool
}

func hashRows(pair [2]benchRun) []hashRow {
	var rows []hashRow
	for _, s := range pair[0].out.Scenarios {
		if s.Kind != bench.Read || s.Count == 0 {
			continue
		}
		o, ok := pair[1].out.Scenario(s.Name)
		if !ok || o.Count == 0 || o.P99 <= 0 {
			continue
		}
		r := hashRow{name: s.Name, with: s.P99, without: o.P99, ratio: s.P99 / o.P99}
		r.withinRatio, r.fast = r.ratio <= hashTailGoal, s.P99 < readP99Goal
		rows = append(rows, r)
	}
	return rows
}

func hashVerdict(pair [2]benchRun) string {
	var over []string
	rows := hashRows(pair)
	for _, r := range rows {
		if !r.withinRatio || !r.fast {
			over = append(over, fmt.Sprintf("%s (%.2f ms, %.2fx)", r.name, r.with, r.ratio))
		}
	}
	switch {
	case len(rows) == 0:
		return "no read ran in both"
	case len(over) > 0:
		return fmt.Sprintf("does not hold for %s (goal: within %gx and under %g ms)", strings.Join(over, ", "), hashTailGoal, readP99Goal)
	}
	return fmt.Sprintf("holds for all %d reads, each also under %g ms", len(rows), readP99Goal)
}

func (p *printer) hashTail(a, d []benchRun) {
	if !p.section("## (d) The read tail with and without password hashes", d) {
		return
	}
	p.f("The seed mix of table (a), and right after it on the same server the same mix without register and login (the "+
		"only scenarios that hash a password), at the same rate. A read's p99 should not move by more than %gx for the "+
		"0.3%% of scenarios that hash, and stay under %g ms.\n\n", hashTailGoal, readP99Goal)
	for _, pair := range hashPairs(a, d) {
		p.f("**%s** (started %s and %s):\n\n", pair[0].meta.Label, pair[0].out.Started.Format(time.RFC3339), pair[1].out.Started.Format(time.RFC3339))
		p.f("| read | p99 ms, seed mix | p99 ms, without register and login | ratio | within %gx | under %g ms |\n|---|--:|--:|--:|---|---|\n",
			hashTailGoal, readP99Goal)
		for _, r := range hashRows(pair) {
			p.f("| %s | %.2f | %.2f | %.2f | %s | %s |\n", r.name, r.with, r.without, r.ratio, yes(r.withinRatio), yes(r.fast))
		}
		p.f("\n")
	}
	for _, br := range d {
		p.runHeader(br)
		p.scenarioTable(br.out)
	}
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// writePair is table e's two runs of one synchronous setting, and the
// current build's figures over the baseline's.
type writePair struct {
	sync              string
	baseline, current benchRun
	throughput, p99   float64 // current over baseline
	hasBoth           bool
}

func writePairs(e []benchRun) []writePair {
	bySync := map[string]*writePair{}
	var order []string
	for _, br := range e {
		wp := bySync[br.meta.Sync]
		if wp == nil {
			wp = &writePair{sync: br.meta.Sync}
			bySync[br.meta.Sync] = wp
			order = append(order, br.meta.Sync)
		}
		if br.meta.Build == "current" {
			wp.current = br
		} else {
			wp.baseline = br
		}
	}
	var out []writePair
	for _, s := range order {
		wp := *bySync[s]
		b, c := wp.baseline.out, wp.current.out
		if wp.hasBoth = b.Total.Count > 0 && c.Total.Count > 0; wp.hasBoth {
			wp.throughput = requestRate(c) / requestRate(b)
			wp.p99 = c.Total.P99 / b.Total.P99
		}
		out = append(out, wp)
	}
	return out
}

func writeVerdicts(e []benchRun) []string {
	var out []string
	for _, wp := range writePairs(e) {
		if !wp.hasBoth {
			continue
		}
		if wp.sync == "full" {
			ok := wp.throughput >= fullThroughputGoal && wp.p99 <= fullP99Goal
			out = append(out, fmt.Sprintf("Writes with --sqlite-synchronous full, 32 writers: %.2fx the baseline's throughput (goal >= %gx), "+
				"p99 %.2fx (goal <= %gx): %s.", wp.throughput, fullThroughputGoal, wp.p99, fullP99Goal, holds(ok)))
		} else {
			out = append(out, fmt.Sprintf("Writes with --sqlite-synchronous %s, 32 writers: %.2fx the baseline's throughput, p99 %.2fx "+
				"(goal: no slower): %s.", wp.sync, wp.throughput, wp.p99, holds(wp.throughput >= 1)))
		}
	}
	return out
}

func holds(ok bool) string {
	if ok {
		return "holds"
	}
	return "**does not hold**"
}

func (p *printer) durableWrites(e []benchRun) {
	if !p.section("## (e) Durable writes: group commit in SQLite", e) {
		return
	}
	p.f("The write scenarios of the seed mix (create and pay an order, send a message, post events) on a closed loop of 32 " +
		"writers against the embedded server, with `--sqlite-synchronous full` (a commit survives a power loss: an fsync per " +
		"commit) and `normal`; each against the server built from before group commit (the baseline) and the current one, " +
		"one after the other on fresh stores. Writes a second count HTTP requests.\n\n")
	p.f("| synchronous | server | writes/s | scenarios/s | p50 ms | p99 ms | p99.9 ms | errors | load before |\n|---|---|--:|--:|--:|--:|--:|--:|---|\n")
	pairs := writePairs(e)
	for _, wp := range pairs {
		for _, br := range []benchRun{wp.baseline, wp.current} {
			if br.out.Total.Count == 0 {
				continue
			}
			t := br.out.Total
			p.f("| %s | %s | %.0f | %.0f | %.2f | %.2f | %.2f | %d | %s |\n", wp.sync, br.meta.Build, requestRate(br.out), t.Throughput,
				t.P50, t.P99, t.P999, t.Errors, br.meta.Load)
		}
	}
	p.f("\n")
	for _, v := range writeVerdicts(e) {
		p.f("- %s\n", v)
	}
	p.f("\n")
}

// cpuVerdict compares the server's CPU per scenario of the seed mix on
// Cassandra with the embedded server's.
func cpuVerdict(a []benchRun) (string, bool) {
	var sqlite, cass *benchRun
	for i := range a {
		switch a[i].meta.Store {
		case "sqlite":
			sqlite = &a[i]
		case "cassandra":
			cass = &a[i]
		}
	}
	if sqlite == nil || cass == nil || sqlite.out.ServerCPUPerScenario <= 0 || cass.out.ServerCPUPerScenario <= 0 {
		return "", false
	}
	ratio := cass.out.ServerCPUPerScenario / sqlite.out.ServerCPUPerScenario
	return fmt.Sprintf("Server CPU a scenario of the seed mix, %s over %s: %.0f / %.0f µs = %.2fx (goal <= %gx): %s.",
		cass.meta.Label, sqlite.meta.Label, cass.out.ServerCPUPerScenario, sqlite.out.ServerCPUPerScenario, ratio,
		cassandraCPUGoal, holds(ratio <= cassandraCPUGoal)), true
}

func (p *printer) cpuPerScenario(a []benchRun) {
	var measured []benchRun
	for _, br := range a {
		if br.out.ServerCPUPerScenario > 0 {
			measured = append(measured, br)
		}
	}
	if len(measured) == 0 {
		return
	}
	p.f("## (f) CPU a scenario\n\n")
	p.f("From the runs of table (a): the CPU time the server process and bench each spent, over the warm-up and the measured " +
		"period, divided by the scenarios sent (the server's from its process_cpu_seconds_total; Cassandra's, OpenSearch's " +
		"and Redis's own JVMs and processes are not counted).\n\n")
	p.f("| deployment | server µs a scenario | bench µs a scenario | server cores | bench cores |\n|---|--:|--:|--:|--:|\n")
	for _, br := range measured {
		p.f("| %s | %.0f | %.0f | %.2f | %.2f |\n", br.meta.Label, br.out.ServerCPUPerScenario, br.out.ClientCPUPerScenario,
			br.out.ServerCores, br.out.ClientCores)
	}
	p.f("\n")
	if v, ok := cpuVerdict(a); ok {
		p.f("%s\n\n", v)
	}
}
