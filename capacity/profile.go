package capacity

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/bench"
)

// NodeProfile is what one Cassandra node serves at its peak, counting each
// replica's share: WritesPerSec writes if it did nothing else, ReadsPerSec
// reads if it did nothing else. A mix costs it the sum of the shares:
// writes/WritesPerSec + reads/ReadsPerSec of its capacity.
type NodeProfile struct {
	WritesPerSec float64 `json:"writes_per_s"`
	ReadsPerSec  float64 `json:"reads_per_s"`
	// Source says where the figures came from.
	Source string `json:"source"`
}

// maxBenchErrorShare is the share of failed scenarios past which a bench
// run measured a failing node, not a saturated one.
const maxBenchErrorShare = 0.01

// parallelRuns is how close to parallel (relative to the product of their
// lengths) two runs' points may be before their fit is refused: they then
// measured the same mix, which says nothing of W and R apart.
const parallelRuns = 1e-9

// BenchRun is one gamedata bench --json output.
type BenchRun struct {
	Path   string
	Result bench.Result
}

// ReadBenchFile reads what gamedata bench --json wrote.
func ReadBenchFile(path string) (BenchRun, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return BenchRun{}, fmt.Errorf("bench file: %w", err)
	}
	var r bench.Result
	if err := json.Unmarshal(data, &r); err != nil {
		return BenchRun{}, fmt.Errorf("bench file %s: not the JSON of gamedata bench --json: %w", path, err)
	}
	if len(r.Scenarios) == 0 {
		return BenchRun{}, gamedata.Invalid("bench file "+path, "holds no scenario: is it the JSON of gamedata bench --json?")
	}
	return BenchRun{Path: path, Result: r}, nil
}

// rates are the writes and reads a second a run sustained, failures left
// out: the throughput of its write and its read scenarios.
func (b BenchRun) rates() (writes, reads float64, err error) {
	r := b.Result
	if r.Mode != "closed" {
		return 0, 0, gamedata.Invalid("bench file "+b.Path, "is an open-loop run (%g scenarios/s held or not): measure the peak with a closed loop, gamedata bench --rate 0", r.Rate)
	}
	if r.Total.Count > 0 && float64(r.Total.Errors)/float64(r.Total.Count) > maxBenchErrorShare {
		return 0, 0, gamedata.Invalid("bench file "+b.Path, "%d of its %d scenarios failed: it measured a failing node, not its peak", r.Total.Errors, r.Total.Count)
	}
	for _, s := range r.Scenarios {
		ok := s.Throughput
		if s.Count > 0 {
			ok *= 1 - float64(s.Errors)/float64(s.Count)
		}
		switch s.Kind {
		case bench.Write:
			writes += ok
		case bench.Read:
			reads += ok
		}
	}
	return writes, reads, nil
}

// ProfileFromBench makes a node profile from closed-loop gamedata bench runs
// against a single Cassandra node (replication 1, so the node is the one
// replica of everything). Each run is a point on the node's capacity line
// w/W + r/R = 1; two runs (say one of writes only and one of reads only)
// fix W and R, more are fitted by least squares, and a single mixed run is
// taken to cost a write as much as a read (W = R = w + r).
func ProfileFromBench(runs ...BenchRun) (NodeProfile, error) {
	if len(runs) == 0 {
		return NodeProfile{}, gamedata.Invalid("bench file", "name at least one")
	}
	type point struct{ w, r float64 }
	pts := make([]point, len(runs))
	paths := make([]string, len(runs))
	for i, b := range runs {
		w, r, err := b.rates()
		if err != nil {
			return NodeProfile{}, err
		}
		if w+r <= 0 {
			return NodeProfile{}, gamedata.Invalid("bench file "+b.Path, "no scenario succeeded")
		}
		pts[i], paths[i] = point{w, r}, fmt.Sprintf("%s (%s writes/s, %s reads/s)", b.Path, num(w), num(r))
	}
	src := "gamedata bench, closed loop, on one node: " + strings.Join(paths, "; ")
	if len(pts) == 1 {
		p := pts[0]
		if p.w == 0 || p.r == 0 {
			return NodeProfile{}, gamedata.Invalid("bench file", "%s ran only %s: give a run of the other kind too (--bench-file twice)", runs[0].Path, map[bool]string{true: "reads", false: "writes"}[p.w == 0])
		}
		return NodeProfile{WritesPerSec: p.w + p.r, ReadsPerSec: p.w + p.r,
			Source: src + "; one mixed run: a write taken to cost as much as a read"}, nil
	}
	// Least squares for x = 1/W, y = 1/R over w·x + r·y = 1.
	var sww, swr, srr, sw, sr float64
	for _, p := range pts {
		sww, swr, srr, sw, sr = sww+p.w*p.w, swr+p.w*p.r, srr+p.r*p.r, sw+p.w, sr+p.r
	}
	det := sww*srr - swr*swr
	if math.Abs(det) <= parallelRuns*sww*srr {
		return NodeProfile{}, gamedata.Invalid("bench file", "the runs have the same mix of writes and reads: give one of writes only and one of reads only")
	}
	x := (sw*srr - sr*swr) / det
	y := (sr*sww - sw*swr) / det
	if x <= 0 || y <= 0 {
		return NodeProfile{}, gamedata.Invalid("bench file", "the runs do not fit one capacity line (a mix ran faster than its parts): measure again on a quiet machine")
	}
	return NodeProfile{WritesPerSec: 1 / x, ReadsPerSec: 1 / y, Source: src}, nil
}

// defaultProfile is the instance's documented planning default.
func defaultProfile(name string, i Instance) NodeProfile {
	return NodeProfile{WritesPerSec: i.WritesPerSec, ReadsPerSec: i.ReadsPerSec,
		Source: fmt.Sprintf("the price file's default for %s: %s", name, i.ThroughputSource)}
}
