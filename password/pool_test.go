package password

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/gamedata-dev/gamedata"
)

func newTestPool(t *testing.T, workers, queue int) (*Pool, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	p, err := NewPool(PoolConfig{Workers: workers, Queue: queue, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	return p, reg
}

// hold occupies n places of p (running first, then queued) with work that
// ends when release is closed, and returns once all n hold their place.
func hold(t *testing.T, p *Pool, n int, release <-chan struct{}) *sync.WaitGroup {
	t.Helper()
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			if err := p.do(context.Background(), func() { <-release }); err != nil {
				t.Errorf("held work: %v", err)
			}
		})
	}
	for len(p.admitted) < n {
		runtime.Gosched()
	}
	return &wg
}

func TestPoolRefusesAtOnceWhenTheQueueIsFull(t *testing.T) {
	p, reg := newTestPool(t, 1, 2)
	release := make(chan struct{})
	held := hold(t, p, 3, release) // one running, two waiting

	if got := testutil.ToFloat64(p.m.queue); got != 2 {
		t.Errorf("gamedata_password_hash_queue = %v with two waiting, want 2", got)
	}
	// The held work never ends on its own: an answer here did not wait.
	_, err := p.Hash(context.Background(), "correct horse")
	var busy *gamedata.BusyError
	if !errors.As(err, &busy) || !errors.Is(err, gamedata.ErrBusy) {
		t.Fatalf("Hash with the queue full = %v, want a *gamedata.BusyError", err)
	}
	// Three places of ~50 ms for one worker.
	if busy.RetryAfter < 3*initialHashTime {
		t.Errorf("RetryAfter = %s, want at least the queue's work, %s", busy.RetryAfter, 3*initialHashTime)
	}
	if _, _, err := p.Verify(context.Background(), "correct horse", Unmatchable()); !errors.Is(err, gamedata.ErrBusy) {
		t.Errorf("Verify with the queue full = %v, want ErrBusy", err)
	}
	// A malformed hash needs no worker: it fails as malformed, not busy.
	if _, _, err := p.Verify(context.Background(), "x", "$argon2id$nonsense"); !errors.Is(err, ErrMalformed) {
		t.Errorf("Verify(malformed) with the queue full = %v, want ErrMalformed", err)
	}

	close(release)
	held.Wait()
	enc, err := p.Hash(context.Background(), "correct horse")
	if err != nil || !phc.MatchString(enc) {
		t.Fatalf("Hash once the queue drained = %q, %v", enc, err)
	}
	if ok, rehash, err := p.Verify(context.Background(), "correct horse", enc); !ok || rehash || err != nil {
		t.Fatalf("Verify(right) = %v, %v, %v", ok, rehash, err)
	}
	if ok, _, err := p.Verify(context.Background(), "correct horsE", enc); ok || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
	want := map[string]float64{"done": 3 + 3, "busy": 2, "cancelled": 0}
	for result, n := range want {
		if got := testutil.ToFloat64(p.m.hashesOf(result)); got != n {
			t.Errorf("gamedata_password_hashes_total{result=%q} = %v, want %v", result, got, n)
		}
	}
	if n, err := testutil.GatherAndCount(reg, "gamedata_password_hash_wait_seconds", "gamedata_password_hash_duration_seconds",
		"gamedata_password_hash_queue", "gamedata_password_hash_pool_size"); err != nil || n != 5 {
		t.Errorf("pool series registered: %d, %v; want 5", n, err)
	}
	if got := testutil.ToFloat64(p.m.queue); got != 0 {
		t.Errorf("gamedata_password_hash_queue = %v once drained, want 0", got)
	}
}

func TestPoolRunsAtMostItsWorkersAtOnce(t *testing.T) {
	for _, workers := range []int{1, 2} {
		p, _ := newTestPool(t, workers, 64)
		var running, most atomic.Int64
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				err := p.do(context.Background(), func() {
					n := running.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					time.Sleep(time.Millisecond) // let the others try to run meanwhile
					running.Add(-1)
				})
				if err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		if most.Load() != int64(workers) {
			t.Errorf("pool of %d workers ran %d at once", workers, most.Load())
		}
	}
}

func TestPoolWaiterLeavesWithItsContext(t *testing.T) {
	p, _ := newTestPool(t, 1, 4)
	release := make(chan struct{})
	held := hold(t, p, 1, release)
	defer func() { close(release); held.Wait() }()

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.Hash(ctx, "pw")
		errc <- err
	}()
	for len(p.admitted) < 2 {
		runtime.Gosched()
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash cancelled while it waited = %v, want context.Canceled", err)
	}
	if got := testutil.ToFloat64(p.m.hashesOf("cancelled")); got != 1 {
		t.Errorf("cancelled hashes = %v, want 1", got)
	}
	if len(p.admitted) != 1 || testutil.ToFloat64(p.m.queue) != 0 {
		t.Errorf("the cancelled hash kept its place: %d admitted, queue gauge %v", len(p.admitted), testutil.ToFloat64(p.m.queue))
	}
}

func TestPoolSize(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	for procs, want := range map[int]int{1: 1, 2: 1, 3: 1, 8: 4} {
		runtime.GOMAXPROCS(procs)
		if got := DefaultWorkers(); got != want {
			t.Errorf("DefaultWorkers() on %d CPUs = %d, want %d", procs, got, want)
		}
	}
	p, _ := newTestPool(t, 0, 0)
	if p.Workers() != DefaultWorkers() || p.Queue() != DefaultQueue {
		t.Errorf("default pool: %d workers, queue %d", p.Workers(), p.Queue())
	}
	if _, err := NewPool(PoolConfig{Workers: -1}); err == nil {
		t.Error("a pool of -1 workers was made")
	}
}

func (m poolMetrics) hashesOf(result string) prometheus.Counter {
	return map[string]prometheus.Counter{"done": m.done, "busy": m.busy, "cancelled": m.cancelled}[result]
}
