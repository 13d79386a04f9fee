package redis

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// health is the breaker of a Client: whether Redis is marked up, the
// invalidations to replay, and the metrics that tell.
type health struct {
	log   *slog.Logger
	up    atomic.Bool
	fails atomic.Int32
	since atomic.Int64 // when Redis was marked down, unix ns
	kick  chan struct{}

	mu      sync.Mutex
	pending map[string]struct{}
	// distrustUntil (unix ns): after pending overflowed, reads skip the
	// cache until every entry that could miss an invalidation has expired.
	distrustUntil atomic.Int64
	maxTTL        atomic.Int64

	upGauge prometheus.Gauge
}

// Breaker settings: failures in a row that mark Redis down, and the range
// of the backoff of the probes.
const (
	failuresToOpen = 3
	probeMin       = 100 * time.Millisecond
	probeMax       = 2 * time.Second
	// maxPending bounds the invalidations kept while Redis is down.
	maxPending = 100_000
)

func (h *health) init(reg prometheus.Registerer, log *slog.Logger) error {
	h.log = log
	h.up.Store(true)
	h.kick = make(chan struct{}, 1)
	h.pending = map[string]struct{}{}
	h.upGauge = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "gamedata_redis_up",
		Help: "1 while Redis is used; 0 while it is marked down and the primary store serves every read.",
	})
	h.upGauge.Set(1)
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "gamedata_redis_pending_invalidations",
		Help: "Cache invalidations that could not reach Redis, to replay before it is used again.",
	}, func() float64 {
		h.mu.Lock()
		defer h.mu.Unlock()
		return float64(len(h.pending))
	})
	if reg != nil {
		for _, m := range []prometheus.Collector{h.upGauge, pending} {
			if err := reg.Register(m); err != nil {
				return fmt.Errorf("redis: register metrics: %w", err)
			}
		}
	}
	return nil
}

func (h *health) succeeded() { h.fails.Store(0) }

// failed counts a failure; enough in a row mark Redis down. A caller that
// gave up is no sign of Redis' health.
func (h *health) failed(ctx context.Context, err error) {
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		return
	}
	if h.fails.Add(1) >= failuresToOpen {
		h.markDown(err)
	}
}

func (h *health) markDown(err error) {
	if h.up.CompareAndSwap(true, false) {
		h.since.Store(time.Now().UnixNano())
		h.upGauge.Set(0)
		h.log.Warn("redis marked down: the primary store serves every read until it answers again", "err", err)
		h.wake()
	}
}

func (h *health) wake() {
	select {
	case h.kick <- struct{}{}:
	default:
	}
}

// usable refuses a key the cache must skip for now.
func (h *health) usable(key string) error {
	if time.Now().UnixNano() < h.distrustUntil.Load() {
		return errPending
	}
	h.mu.Lock()
	_, ok := h.pending[key]
	h.mu.Unlock()
	if ok {
		return errPending
	}
	return nil
}

func (h *health) sawTTL(ttl time.Duration) {
	for {
		old := h.maxTTL.Load()
		if int64(ttl) <= old || h.maxTTL.CompareAndSwap(old, int64(ttl)) {
			return
		}
	}
}

// keep keeps an invalidation to replay. When too many are kept, the key
// is dropped instead and reads skip the cache for the longest TTL, after
// which nothing it could have left stale is still cached.
func (h *health) keep(key string) {
	h.mu.Lock()
	full := len(h.pending) >= maxPending
	if !full {
		h.pending[key] = struct{}{}
	}
	h.mu.Unlock()
	if full {
		h.distrustUntil.Store(time.Now().Add(time.Duration(h.maxTTL.Load())).UnixNano())
		h.log.Error("too many cache invalidations kept while Redis is unreachable; reads skip the cache until the entries they missed expire",
			"kept", maxPending, "skip_for", time.Duration(h.maxTTL.Load()).String())
	}
	h.wake()
}

// watch runs until ctx ends: whenever Redis is marked down or
// invalidations are kept, it probes Redis and replays them, with a growing
// backoff while that fails, and marks Redis up once all went through.
func (c *Client) watch(ctx context.Context) {
	defer close(c.done)
	timer := time.NewTimer(probeMax)
	timer.Stop()
	delay := probeMin
	for {
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-c.kick:
		case <-timer.C:
		}
		if c.heal(ctx) {
			delay = probeMin
			continue
		}
		timer.Reset(delay)
		delay = min(2*delay, probeMax)
	}
}

// heal probes Redis if it is marked down, replays the kept invalidations,
// and marks it up when both succeed.
func (c *Client) heal(ctx context.Context) bool {
	if !c.up.Load() {
		if err := c.ping(ctx); err != nil {
			return false
		}
	}
	c.mu.Lock()
	keys := make([]string, 0, len(c.pending))
	for k := range c.pending {
		keys = append(keys, k)
	}
	c.mu.Unlock()
	for _, k := range keys {
		if err := c.try(ctx, func(ctx context.Context) error { return c.invalidate(ctx, k) }); err != nil {
			c.log.Debug("replay of a cache invalidation failed; will retry", "key", k, "err", err)
			return false
		}
		c.mu.Lock()
		delete(c.pending, k)
		c.mu.Unlock()
	}
	if !c.up.Load() {
		c.fails.Store(0)
		c.up.Store(true)
		c.upGauge.Set(1)
		c.log.Info("redis is back: reads use the cache again",
			"down_for", time.Since(time.Unix(0, c.since.Load())).Round(time.Millisecond).String(), "replayed_invalidations", len(keys))
	}
	return true
}
