package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cache"
	"github.com/gamedata-dev/gamedata/ratelimit"
	"github.com/gamedata-dev/gamedata/redis"
)

// cacheKinds are the values of --cache.
var cacheKinds = []string{"auto", "redis", "local", "off"}

// cacheConfig chooses where hot reads are cached, and holds the Redis
// settings (Redis also keeps the shared rate limits).
type cacheConfig struct {
	Kind       string
	TTL        time.Duration
	SessionTTL time.Duration
	Size       string
	Redis      redisConfig
}

func (c *cacheConfig) addFlags(fs *pflag.FlagSet) {
	fs.Var(newEnum(&c.Kind, "auto", cacheKinds...), "cache",
		"where player profiles, metadata documents and sessions are cached: redis (shared by every instance), "+
			"local (this process's memory; sessions only with the SQLite store, which one process owns), off; "+
			"auto: redis with --redis-addr, else local")
	fs.DurationVar(&c.TTL, "cache-ttl", 0,
		"how long a profile or metadata document stays cached; a write drops it at once on its node, and on every node with Redis, "+
			"so this bounds what in-process caches of other nodes serve; 0: 1m with Redis or the SQLite store, 2s in process with Cassandra")
	fs.DurationVar(&c.SessionTTL, "cache-session-ttl", 10*time.Minute,
		"longest a session stays cached (never past its expiry); a logout drops it at once")
	fs.StringVar(&c.Size, "cache-size", "64MB", "memory the in-process cache may take (keys and values)")
	c.Redis.addFlags(fs)
}

// cacheSide is what serve gets from the cache settings.
type cacheSide struct {
	// store is the store the API works through.
	store gamedata.Store
	// redis is nil without --redis-addr.
	redis *redis.Client
	// optional holds the readiness checks of backends the API can do
	// without.
	optional map[string]func(context.Context) error
}

// openCache wraps store in the cache c chooses and connects to Redis when
// it is configured.
func openCache(ctx context.Context, c cacheConfig, storeKind string, store gamedata.Store,
	clock gamedata.Clock, log *slog.Logger, reg prometheus.Registerer,
) (*cacheSide, error) {
	kind := c.Kind
	if kind == "auto" {
		kind = "local"
		if c.Redis.enabled() {
			kind = "redis"
		}
	}
	size, err := humanize.ParseBytes(c.Size)
	switch {
	case kind == "redis" && !c.Redis.enabled():
		return nil, errors.New("--cache redis needs --redis-addr")
	case c.TTL < 0 || c.SessionTTL < 0:
		return nil, fmt.Errorf("--cache-ttl and --cache-session-ttl must not be negative, not %s and %s", c.TTL, c.SessionTTL)
	case err != nil:
		return nil, fmt.Errorf("--cache-size %q: want a size such as 64MB: %w", c.Size, err)
	}
	side := &cacheSide{store: store}
	if c.Redis.enabled() {
		if side.redis, err = c.Redis.open(ctx, log, reg); err != nil {
			return nil, err
		}
		side.optional = map[string]func(context.Context) error{"redis": side.redis.Ping}
	}
	if kind == "off" {
		log.Info("no cache: every read goes to the store")
		return side, nil
	}
	ttl, sessionTTL := c.TTL, c.SessionTTL
	if ttl == 0 {
		ttl = time.Minute
		if kind == "local" && storeKind != "sqlite" {
			ttl = 2 * time.Second
		}
	}
	var backend cache.Backend = side.redis
	if kind == "local" {
		backend = cache.NewLocal(int64(min(size, 1<<62)))
		if storeKind != "sqlite" {
			// Another node's logout could not reach this node's memory.
			sessionTTL = 0
		}
	}
	if side.store, err = cache.New(store, cache.Config{
		Backend: backend, TTL: ttl, SessionTTL: sessionTTL, Clock: clock, Logger: log, Registerer: reg,
	}); err != nil {
		return nil, errors.Join(err, side.close())
	}
	log.Info("caching hot reads", "cache", kind, "ttl", ttl.String(), "session_ttl", sessionTTL.String())
	return side, nil
}

// limiter is the rate limiter of the open endpoints: shared through Redis
// when there is one (each instance on its own while Redis is down), else
// in process; nil when perSecond is 0.
func (s *cacheSide) limiter(perSecond float64, burst int) gamedata.RateLimiter {
	if perSecond <= 0 {
		return nil
	}
	local := ratelimit.New(perSecond, burst)
	if s.redis == nil {
		return local
	}
	return s.redis.Limiter(perSecond, burst, local)
}

func (s *cacheSide) close() error {
	if s.redis == nil {
		return nil
	}
	return s.redis.Close()
}

// withChecks returns the checks of a and b together.
func withChecks(a, b map[string]func(context.Context) error) map[string]func(context.Context) error {
	all := make(map[string]func(context.Context) error, len(a)+len(b))
	maps.Copy(all, a)
	maps.Copy(all, b)
	return all
}
