package password

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
)

// DefaultQueue is how many hashes may wait for a worker by default: at
// ~50 ms a hash, less than a second of work for one worker.
const DefaultQueue = 16

// DefaultWorkers is how many hashes run at once by default: half the CPUs
// Go uses, at least one, so that hashing always leaves cores to the
// requests that do not hash (on 2 cores, one hash at a time).
func DefaultWorkers() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// PoolConfig sizes a Pool.
type PoolConfig struct {
	// Workers is how many hashes run at once; 0 means DefaultWorkers().
	Workers int
	// Queue is how many hashes may wait for a worker; 0 means DefaultQueue.
	// A hash beyond them is refused at once.
	Queue int
	// Registerer receives the pool's metrics; nil: not exported.
	Registerer prometheus.Registerer
}

// Pool runs the password hashes of a server: at most Workers at once (each
// takes a core and Params.Memory of RAM for tens of milliseconds) and at
// most Queue waiting, in the order they came. One more is refused at once
// with a *gamedata.BusyError (the API answers 503 with Retry-After), rather
// than piling up behind the CPUs every other request needs. It is safe for
// concurrent use and implements gamedata.PasswordHasher.
type Pool struct {
	workers  chan struct{} // a token per running hash
	admitted chan struct{} // a token per running or waiting hash
	// hashNanos is a moving average of a hash's time, for Retry-After.
	hashNanos atomic.Int64
	m         poolMetrics
}

var _ gamedata.PasswordHasher = (*Pool)(nil)

// initialHashTime is the guess of a hash's time until one is measured.
const initialHashTime = 50 * time.Millisecond

// NewPool makes a pool and registers its metrics.
func NewPool(cfg PoolConfig) (*Pool, error) {
	if cfg.Workers < 0 || cfg.Queue < 0 {
		return nil, fmt.Errorf("password: pool of %d workers and a queue of %d: neither may be negative", cfg.Workers, cfg.Queue)
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers()
	}
	if cfg.Queue == 0 {
		cfg.Queue = DefaultQueue
	}
	p := &Pool{workers: make(chan struct{}, cfg.Workers), admitted: make(chan struct{}, cfg.Workers+cfg.Queue)}
	p.hashNanos.Store(int64(initialHashTime))
	var err error
	if p.m, err = newPoolMetrics(cfg.Registerer, cfg.Workers, cfg.Queue); err != nil {
		return nil, err
	}
	return p, nil
}

// Workers reports how many hashes run at once.
func (p *Pool) Workers() int { return cap(p.workers) }

// Queue reports how many hashes may wait for a worker.
func (p *Pool) Queue() int { return cap(p.admitted) - cap(p.workers) }

// Hash returns the encoded argon2id hash of pw with the Default parameters.
// It waits for a worker (or ctx) behind the hashes queued already, or
// fails at once with a *gamedata.BusyError when the queue is full.
func (p *Pool) Hash(ctx context.Context, pw string) (string, error) {
	var enc string
	err := p.do(ctx, func() { enc = hashWith(idArgon2id, []byte(pw), Default) })
	return enc, err
}

// Verify is the package's Verify in the pool: a malformed hash fails at
// once; the check waits for a worker, or fails as Hash does.
func (p *Pool) Verify(ctx context.Context, pw, encoded string) (ok, needsRehash bool, err error) {
	c, err := newCheck(pw, encoded)
	if err != nil {
		return false, false, err
	}
	var got []byte
	if err := p.do(ctx, func() { got = c.derive() }); err != nil {
		return false, false, err
	}
	ok, needsRehash = c.result(got)
	return ok, needsRehash, nil
}

// do runs fn on a worker: it takes a place in the queue or refuses at
// once, then waits for a worker or ctx.
func (p *Pool) do(ctx context.Context, fn func()) error {
	select {
	case p.admitted <- struct{}{}:
	default:
		p.m.busy.Inc()
		return &gamedata.BusyError{What: "password hashes", RetryAfter: p.retryAfter()}
	}
	defer func() { <-p.admitted }()
	queued := time.Now()
	p.m.queue.Inc()
	select {
	case p.workers <- struct{}{}:
		p.m.queue.Dec()
	case <-ctx.Done():
		p.m.queue.Dec()
		p.m.cancelled.Inc()
		return fmt.Errorf("password: wait for a hashing worker: %w", ctx.Err())
	}
	start := time.Now()
	p.m.wait.Observe(start.Sub(queued).Seconds())
	fn()
	took := time.Since(start)
	<-p.workers
	p.m.duration.Observe(took.Seconds())
	p.m.done.Inc()
	p.observeHashTime(took)
	return nil
}

// observeHashTime moves the average hash time an eighth of the way to took.
func (p *Pool) observeHashTime(took time.Duration) {
	for {
		old := p.hashNanos.Load()
		if p.hashNanos.CompareAndSwap(old, old+(int64(took)-old)/8) {
			return
		}
	}
}

// retryAfter is how long a full pool takes to work through its queue.
func (p *Pool) retryAfter() time.Duration {
	perHash := time.Duration(p.hashNanos.Load())
	return perHash * time.Duration(cap(p.admitted)) / time.Duration(cap(p.workers))
}

// poolMetrics are a pool's series.
type poolMetrics struct {
	done, busy, cancelled prometheus.Counter
	queue                 prometheus.Gauge
	wait, duration        prometheus.Histogram
}

// hashBuckets span a hash's time, from a quiet core to a long queue.
var hashBuckets = []float64{.001, .005, .01, .025, .05, .075, .1, .15, .25, .5, 1, 2.5, 5}

func newPoolMetrics(reg prometheus.Registerer, workers, queue int) (poolMetrics, error) {
	hashes := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gamedata_password_hashes_total",
		Help: "Password hashes and checks asked of the pool, by result: done; busy (the queue was full: refused at once, the API answered 503); cancelled (the request ended while it waited).",
	}, []string{"result"})
	m := poolMetrics{
		done: hashes.WithLabelValues("done"), busy: hashes.WithLabelValues("busy"), cancelled: hashes.WithLabelValues("cancelled"),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gamedata_password_hash_queue",
			Help: "Password hashes waiting for a worker of the pool now.",
		}),
		wait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gamedata_password_hash_wait_seconds",
			Help:    "How long a password hash waited for a worker of the pool.",
			Buckets: hashBuckets,
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "gamedata_password_hash_duration_seconds",
			Help:    "How long a password hash or check took on its worker.",
			Buckets: hashBuckets,
		}),
	}
	size := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "gamedata_password_hash_pool_size",
		Help: "The password hash pool's size: workers (hashes run at once) and queue (hashes that may wait).",
	}, []string{"part"})
	size.WithLabelValues("workers").Set(float64(workers))
	size.WithLabelValues("queue").Set(float64(queue))
	for _, r := range []string{"done", "busy", "cancelled"} {
		hashes.WithLabelValues(r) // every result is a series from the start
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{hashes, m.queue, m.wait, m.duration, size} {
		if err := reg.Register(c); err != nil {
			return m, fmt.Errorf("password: register metrics: %w", err)
		}
	}
	return m, nil
}
