// Package bench is the load generator of gamedata bench: it plays the
// game's servers against a running gamedata over HTTP, with a
// mix of scenarios (register, login, read a profile, create and pay an
// order, send a message, read an inbox, post events, search) over a
// population of players, and measures each scenario's latency in HDR
// histograms.
//
// Two loads: the open loop sends scenarios on a fixed timeline at a target
// rate and measures each from the time it was due, not from when it could
// be sent, so a server that stalls is charged for every request that waited
// (no coordinated omission); the closed loop runs a number of workers that
// each start a scenario when the previous one ends, to find the peak
// throughput.
//
// Preload grows the data first, writing players, orders and messages
// through the store directly.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
)

// Config is a run. URL and Key are required.
type Config struct {
	URL string
	// Key is a server key: bench acts for every player, as a game server.
	Key string
	// MetricsURL is the server's metrics (its --admin-addr and /metrics),
	// read for the cores the server used; empty: unknown.
	MetricsURL string
	Mix        Mix // default DefaultMix
	// Players is the population the scenarios act for: the players named
	// PlayerName(Prefix, i) for i < Players, created at the start unless
	// they exist (a preload makes them).
	Players  int
	Prefix   string // default DefaultPrefix
	Password string // of every player bench makes; default DefaultPassword
	// Rate is the open loop's scenarios a second; 0 runs the closed loop.
	Rate float64
	// Concurrency is the closed loop's workers, or how many scenarios the
	// open loop may have in flight (a late one waits, and its wait counts).
	Concurrency int
	Warmup      time.Duration
	Duration    time.Duration
	// Timeout bounds each request; default 10s.
	Timeout time.Duration
	// Progress receives a line a second while the run goes on; nil: none.
	Progress io.Writer
	// Transport makes the set-up's requests (the population, the probe of
	// search, the server's metrics); default a clone of net/http's. The
	// scenarios' requests go through fasthttp (see fastClient).
	Transport http.RoundTripper
}

// Defaults of Config.
const (
	DefaultPrefix   = "bp-"
	DefaultPassword = "bench-password"
	// setupWorkers create the missing players of the population at once.
	setupWorkers = 16
	// stopGrace is how long the runs in flight may finish after the end.
	stopGrace = 10 * time.Second
)

// PlayerName is the name of player i of the population of prefix, the same
// for bench and for Preload.
func PlayerName(prefix string, i int) string {
	const width = 7 // digits, zero-padded
	n := strconv.Itoa(i)
	b := make([]byte, 0, len(prefix)+max(width, len(n)))
	b = append(b, prefix...)
	for range width - len(n) {
		b = append(b, '0')
	}
	return string(append(b, n...))
}

func (c *Config) defaults() error {
	if c.URL == "" || c.Key == "" {
		return errors.New("bench: a URL and a server key are required")
	}
	if c.Mix == nil {
		var err error
		if c.Mix, err = ParseMix(DefaultMix); err != nil {
			return err
		}
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.Password == "" {
		c.Password = DefaultPassword
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.Transport == nil {
		c.Transport = http.DefaultTransport.(*http.Transport).Clone()
		t := c.Transport.(*http.Transport)
		t.MaxIdleConns, t.MaxIdleConnsPerHost = setupWorkers, setupWorkers // one per request in flight
	}
	var v gamedata.ValidationError
	gamedata.ValidateName(&v, "prefix", PlayerName(c.Prefix, 0))
	gamedata.ValidatePassword(&v, "password", c.Password)
	switch {
	case v.Err() != nil:
		return fmt.Errorf("bench: %w", v.Err())
	case c.Players < 2:
		return fmt.Errorf("bench: at least 2 players are needed (a message has two), not %d", c.Players)
	case c.Concurrency < 1:
		return fmt.Errorf("bench: concurrency must be at least 1, not %d", c.Concurrency)
	case c.Rate < 0 || c.Duration < 0 || c.Warmup < 0:
		return errors.New("bench: rate, duration and warm-up must not be negative")
	}
	return nil
}

// runner is one run.
type runner struct {
	cfg     Config
	c       *client.Client // the set-up's requests
	fast    *fastClient    // the scenarios' requests
	counter *countingTransport
	runID   string // makes register's names unique to this run
	regSeq  atomic.Int64
	picker  *picker
	stats   []*stats // by picker index, the measured period only
	started atomic.Int64
	failed  atomic.Int64
	// The measured period: from measureFrom (after the warm-up) to end.
	measureFrom, end time.Time
}

// Run runs cfg until its duration ends or ctx is cancelled (Ctrl-C): then
// it lets the scenarios in flight end and returns what it measured so far,
// with Interrupted set.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, counter: newCountingTransport(cfg.Transport)}
	r.runID = strconv.FormatUint(rand.Uint64()&0xffffff, 36)
	var err error
	r.c, err = client.New(cfg.URL, client.WithToken(cfg.Key), client.WithHTTPClient(&http.Client{Transport: r.counter}))
	if err != nil {
		return nil, err
	}
	if r.fast, err = newFastClient(cfg, r.counter); err != nil {
		return nil, err
	}
	res := &Result{URL: cfg.URL, Mode: "open", Rate: cfg.Rate, Concurrency: cfg.Concurrency, Mix: cfg.Mix.String(),
		Players: cfg.Players, Warmup: Duration(cfg.Warmup)}
	if cfg.Rate == 0 {
		res.Mode, res.Rate = "closed", 0
	}

	search, why, err := r.probeSearch(ctx)
	if err != nil {
		return nil, err
	}
	var skipped []string
	r.picker, skipped = newPicker(cfg.Mix, search)
	for _, name := range skipped {
		if res.Skipped == nil {
			res.Skipped = map[string]string{}
		}
		res.Skipped[name] = why
	}
	if len(r.picker.scenarios) == 0 {
		return nil, fmt.Errorf("bench: no scenario of the mix can run (%s)", why)
	}
	if err := r.ensurePopulation(ctx); err != nil {
		return nil, err
	}
	r.stats = make([]*stats, len(r.picker.scenarios))
	for i := range r.stats {
		r.stats[i] = newStats()
	}

	cpu0 := r.readCPU(ctx)
	start := time.Now()
	res.Started = start.UTC()
	r.measureFrom = start.Add(cfg.Warmup)
	r.end = r.measureFrom.Add(cfg.Duration)
	measureFrom, end := r.measureFrom, r.end
	var interruptedAt atomic.Int64
	stopWatch := context.AfterFunc(ctx, func() { interruptedAt.Store(time.Now().UnixNano()) })
	defer stopWatch()
	stopProgress := r.progress(measureFrom, end)
	var behind time.Duration
	if cfg.Rate > 0 {
		behind = r.openLoop(ctx, start)
	} else {
		r.closedLoop(ctx)
	}
	stopProgress()
	cpu1 := r.readCPU(context.WithoutCancel(ctx))
	res.ServerCores, res.ClientCores = cpu0.cores(cpu1)
	res.ServerCPUPerScenario, res.ClientCPUPerScenario = cpu0.perScenario(cpu1, r.started.Load())
	stopped := end
	if at := interruptedAt.Load(); at != 0 && at < end.UnixNano() {
		stopped, res.Interrupted = time.Unix(0, at), true
	}
	res.Duration = Duration(max(stopped.Sub(measureFrom), 0))
	res.Behind = Duration(behind)

	total := newStats()
	for i, sc := range r.picker.scenarios {
		res.Scenarios = append(res.Scenarios, r.stats[i].summary(sc.Name, sc.Kind, time.Duration(res.Duration)))
		total.merge(r.stats[i])
	}
	res.Total = total.summary("total", "", time.Duration(res.Duration))
	res.Requests = r.counter.snapshot()
	return res, nil
}

// probeSearch asks the server whether it searches: it answers 503 without a
// search backend, 404 if it predates search.
func (r *runner) probeSearch(ctx context.Context) (ok bool, why string, err error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	var page client.Page[gamedata.Player]
	err = r.c.Do(route(ctx, searchPlayersPath), http.MethodGet, searchPlayersPath+"?limit=1", nil, &page)
	var ce *client.Error
	switch {
	case err == nil:
		return true, "", nil
	case errors.As(err, &ce) && (ce.Status == http.StatusServiceUnavailable || ce.Status == http.StatusNotFound):
		return false, fmt.Sprintf("the server has no search (%s %d)", searchPlayersPath, ce.Status), nil
	case client.IsUnauthorized(err) || client.IsForbidden(err):
		return false, "", fmt.Errorf("bench: the server refuses --key (it must be a server key): %w", err)
	}
	return false, "", fmt.Errorf("bench: reach %s: %w", r.cfg.URL, err)
}

// worker is what one scenario run may use: the runner, a random source
// and a buffer for request bodies of its own.
type worker struct {
	r   *runner
	rng *rand.Rand
	buf []byte
}

func (r *runner) newWorker() *worker {
	return &worker{r: r, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), buf: make([]byte, 0, bodyCap)}
}

// bodyCap fits the largest request body of a scenario (post_events').
const bodyCap = 1024

// send makes one request of a scenario (see fastClient.do) with body, built
// in w.buf, which it keeps for the next request.
func (w *worker) send(ctx context.Context, route, method, path string, body []byte, out any) error {
	err := w.r.fast.do(ctx, route, method, path, body, out)
	if cap(body) > cap(w.buf) {
		w.buf = body[:0]
	}
	return err
}

// player picks a player of the population.
func (w *worker) player() string { return PlayerName(w.r.cfg.Prefix, w.rng.IntN(w.r.cfg.Players)) }

// twoPlayers picks two different players.
func (w *worker) twoPlayers() (string, string) {
	a := w.rng.IntN(w.r.cfg.Players)
	b := (a + 1 + w.rng.IntN(w.r.cfg.Players-1)) % w.r.cfg.Players
	return PlayerName(w.r.cfg.Prefix, a), PlayerName(w.r.cfg.Prefix, b)
}

// newPlayerName is a name no run made before.
func (r *runner) newPlayerName() string {
	return fmt.Sprintf("%sr%s-%d", r.cfg.Prefix, r.runID, r.regSeq.Add(1))
}

// runOne runs scenario i for w and records its latency if it was due in
// the measured period, and that it ended if it ended in it; due is when it
// was due (open loop) or started (closed loop).
func (r *runner) runOne(ctx context.Context, w *worker, i int, due time.Time) {
	cctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	err := r.picker.scenarios[i].run(cctx, w)
	cancel()
	ended := time.Now()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return // cut short by bench itself: not the server's doing
	}
	if err != nil {
		r.failed.Add(1)
	}
	if !due.Before(r.measureFrom) {
		r.stats[i].record(ended.Sub(due), err)
	}
	if !ended.Before(r.measureFrom) && !ended.After(r.end) {
		r.stats[i].ended.Add(1)
	}
}

// requestContext is the context of the scenarios: it outlives ctx by
// stopGrace, so that the runs in flight at a Ctrl-C may end.
func requestContext(ctx context.Context) (context.Context, func()) {
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(stopGrace, cancel)
		context.AfterFunc(rctx, func() { t.Stop() })
	})
	return rctx, func() { stop(); cancel() }
}

// job is one scenario run the open loop scheduled.
type job struct {
	scenario int
	due      time.Time
}

// openLoop sends scenarios at cfg.Rate from start until the end of the
// measured period, each due at its place on the timeline, and returns the
// most it was late sending one.
func (r *runner) openLoop(ctx context.Context, start time.Time) time.Duration {
	rctx, cancel := requestContext(ctx)
	defer cancel()
	// The queue holds what is due while every worker is busy: a second of
	// the rate, at least.
	jobs := make(chan job, max(int(r.cfg.Rate), 1024))
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		w := r.newWorker()
		wg.Go(func() {
			for j := range jobs {
				r.runOne(rctx, w, j.scenario, j.due)
			}
		})
	}
	sched := r.newWorker()
	interval := float64(time.Second) / r.cfg.Rate
	var behind time.Duration
	timer := time.NewTimer(0)
	defer timer.Stop()
loop:
	for n := 0; ; n++ {
		due := start.Add(time.Duration(float64(n) * interval))
		if !due.Before(r.end) {
			break
		}
		if wait := time.Until(due); wait > 0 {
			timer.Reset(wait)
			select {
			case <-ctx.Done():
				break loop
			case <-timer.C:
			}
		}
		behind = max(behind, time.Since(due))
		select {
		case <-ctx.Done():
			break loop
		case jobs <- job{scenario: r.picker.pick(sched.rng), due: due}:
			r.started.Add(1)
		}
	}
	close(jobs)
	if ctx.Err() != nil {
		// Interrupted: what is queued was never sent.
		for range jobs {
		}
	}
	wg.Wait()
	return behind
}

// closedLoop runs cfg.Concurrency workers, each starting a scenario as
// soon as its last one ended, until the end of the measured period.
func (r *runner) closedLoop(ctx context.Context) {
	rctx, cancel := requestContext(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for range r.cfg.Concurrency {
		w := r.newWorker()
		wg.Go(func() {
			for ctx.Err() == nil {
				start := time.Now()
				if !start.Before(r.end) {
					return
				}
				r.started.Add(1)
				r.runOne(rctx, w, r.picker.pick(w.rng), start)
			}
		})
	}
	wg.Wait()
}

// progress shows how far the run got, until the returned func is called.
func (r *runner) progress(measureFrom, end time.Time) func() {
	last, lastAt := int64(0), time.Now()
	return showProgress(r.cfg.Progress, func(now time.Time) string {
		n := r.started.Load()
		phase := "measuring"
		if now.Before(measureFrom) {
			phase = "warming up"
		}
		line := fmt.Sprintf("%s: %s left, %d scenarios sent, %.0f/s, %d failed",
			phase, max(end.Sub(now), 0).Round(time.Second), n, float64(n-last)/now.Sub(lastAt).Seconds(), r.failed.Load())
		last, lastAt = n, now
		return line
	})
}

// populationKey is the metadata document where Preload records how many
// players of the population exist.
func populationKey(prefix string) string { return "bench.preload." + strings.TrimRight(prefix, "-_.") }

// checkpoint is the document under populationKey.
type checkpoint struct {
	// Players counts the players 0..Players-1, complete with their orders
	// and messages.
	Players           int       `json:"players"`
	OrdersPerPlayer   int       `json:"orders_per_player"`
	MessagesPerPlayer int       `json:"messages_per_player"`
	UpdatedAt         time.Time `json:"updated_at"`
}

// ensurePopulation makes sure the population exists: players a preload
// made are known from its checkpoint; each other one is read, and created
// when missing.
func (r *runner) ensurePopulation(ctx context.Context) error {
	var cp checkpoint
	err := r.c.Do(route(ctx, "/v1/meta/{key}"), http.MethodGet, "/v1/meta/"+populationKey(r.cfg.Prefix), nil, &cp)
	if err != nil && !errors.Is(err, gamedata.ErrNotFound) {
		return fmt.Errorf("bench: read the preload checkpoint: %w", err)
	}
	if cp.Players >= r.cfg.Players {
		return nil
	}
	next := atomic.Int64{}
	next.Store(int64(cp.Players))
	errs := make([]error, setupWorkers)
	var wg sync.WaitGroup
	for w := range setupWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= r.cfg.Players || ctx.Err() != nil {
					errs[w] = ctx.Err()
					return
				}
				if err := r.ensurePlayer(ctx, PlayerName(r.cfg.Prefix, i)); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("bench: set up the population: %w", err)
	}
	return nil
}

func (r *runner) ensurePlayer(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	_, err := r.c.GetPlayer(route(ctx, "/v1/players/{name}"), name)
	if !errors.Is(err, gamedata.ErrNotFound) {
		return err
	}
	_, err = r.c.CreatePlayer(route(ctx, "/v1/players"), client.NewPlayer{Name: name, Password: r.cfg.Password})
	if errors.Is(err, gamedata.ErrConflict) {
		return nil // another bench made it meanwhile
	}
	if client.IsRateLimited(err) {
		return fmt.Errorf("%w (run the server with --rate-limit 0 for benchmarks)", err)
	}
	return err
}
