// Package ratelimit is the in-process gamedata.RateLimiter: one token bucket
// (golang.org/x/time/rate) per key, in bounded memory.
package ratelimit

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/gamedata-dev/gamedata"
)

// Defaults of the open endpoints: 20 requests a second, bursts of 40.
const (
	DefaultRate  = 20
	DefaultBurst = 40
)

// DefaultMaxKeys bounds the buckets kept at once.
const DefaultMaxKeys = 100_000

// Limiter holds a token bucket per key. A bucket left idle long enough to
// have refilled is the same as a new one, so it is dropped; when MaxKeys
// buckets are busy at once, an arbitrary one is dropped to make room (its
// key starts again with a full bucket). It is safe for concurrent use.
type Limiter struct {
	rate    rate.Limit
	burst   int
	maxKeys int
	clock   gamedata.Clock
	// refill is how long an idle bucket takes to fill up again.
	refill time.Duration

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// Option changes a Limiter.
type Option func(*Limiter)

// WithClock makes the limiter read time from c (for tests).
func WithClock(c gamedata.Clock) Option { return func(l *Limiter) { l.clock = c } }

// WithMaxKeys bounds the number of buckets kept at once.
func WithMaxKeys(n int) Option { return func(l *Limiter) { l.maxKeys = max(n, 1) } }

var _ gamedata.RateLimiter = (*Limiter)(nil)

// New returns a limiter that allows each key perSecond requests a second on
// average and burst at once. perSecond must be positive and burst at least 1.
func New(perSecond float64, burst int, opts ...Option) *Limiter {
	l := &Limiter{
		rate:    rate.Limit(perSecond),
		burst:   max(burst, 1),
		maxKeys: DefaultMaxKeys,
		clock:   gamedata.SystemClock{},
		buckets: map[string]*bucket{},
	}
	for _, o := range opts {
		o(l)
	}
	l.refill = time.Duration(float64(l.burst) / perSecond * float64(time.Second))
	return l
}

// Allow takes one token from key's bucket. It never fails.
func (l *Limiter) Allow(_ context.Context, key string) (bool, time.Duration, error) {
	now := l.clock.Now()
	l.mu.Lock()
	b := l.buckets[key]
	if b == nil {
		l.makeRoom(now)
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	l.mu.Unlock()
	if delay := r.DelayFrom(now); delay > 0 {
		r.CancelAt(now) // the request is refused: give its token back
		return false, delay, nil
	}
	return true, 0, nil
}

// Len returns how many buckets are kept.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.buckets)
}

// makeRoom drops idle buckets at most once per refill period (a sweep is
// O(keys)), and an arbitrary bucket when the map is still full. l.mu is held.
func (l *Limiter) makeRoom(now time.Time) {
	if now.Sub(l.lastSweep) >= l.refill {
		l.lastSweep = now
		for k, b := range l.buckets {
			if now.Sub(b.seen) >= l.refill {
				delete(l.buckets, k)
			}
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < l.maxKeys {
			break
		}
		delete(l.buckets, k)
	}
}
