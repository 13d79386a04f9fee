// Package redis is gamedata's Redis (or ElastiCache, Valkey) side: the
// shared cache.Backend of every instance, and the rate limiter they share
// (GCRA). It works on a single server and on a cluster: the keys that must
// live together (a value and its generation) share a hash tag.
//
// Redis is never critical. Every command runs under a short timeout; after a
// few failures in a row the client marks Redis down and stops calling it
// (reads go to the primary store, the limiter falls back to this process),
// probes it with a growing backoff, and marks it up again by itself once it
// answers. An invalidation that could not reach Redis is kept and replayed
// before Redis is used again; until then, reads of that key skip the cache.
package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cache"
)

// Defaults of Config.
const (
	DefaultTimeout   = 250 * time.Millisecond
	DefaultKeyPrefix = "gamedata:"
)

// generationTTL is how long a key's generation outlives its last write. It
// must outlast any load that read the generation before that write, so
// that the load's fill is refused; loads are bounded by the store's
// timeouts, seconds.
const generationTTL = 10 * time.Minute

// Config is what Open needs. Addrs is required.
type Config struct {
	// Addrs is the server (host:port), or with Cluster (implied by more
	// than one) the cluster's seed nodes or its configuration endpoint.
	Addrs   []string
	Cluster bool
	// Username and Password log in (AUTH); empty: no login, or the default
	// user with Password alone.
	Username, Password string
	// DB is the database of a single server.
	DB int
	// TLS, when set, connects over TLS with it.
	TLS *tls.Config
	// Timeout bounds each command and each connection attempt; default
	// DefaultTimeout. Short: a slow Redis must not make requests slow.
	Timeout time.Duration
	// KeyPrefix starts every key, so that deployments can share a Redis;
	// default DefaultKeyPrefix. It may not hold '{' or '}'.
	KeyPrefix string
	Logger    *slog.Logger
	// Registerer receives gamedata_redis_up and
	// gamedata_redis_pending_invalidations; nil: they are not exported.
	Registerer prometheus.Registerer
}

// Client is the Redis of an instance: a cache.Backend, the source of shared
// limiters (Limiter), and a readiness check (Ping). It is safe for
// concurrent use.
type Client struct {
	rdb     goredis.UniversalClient
	prefix  string
	timeout time.Duration
	log     *slog.Logger
	health
	stop context.CancelFunc
	done chan struct{}
}

var _ cache.Backend = (*Client)(nil)

// Open connects to the Redis of cfg. An unreachable Redis is not an error:
// the client starts marked down and keeps probing. Close releases it.
func Open(ctx context.Context, cfg Config) (*Client, error) {
	if len(cfg.Addrs) == 0 {
		return nil, errors.New("redis: no address")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.KeyPrefix == "" {
		cfg.KeyPrefix = DefaultKeyPrefix
	}
	if strings.ContainsAny(cfg.KeyPrefix, "{}") {
		return nil, fmt.Errorf("redis: key prefix %q holds a brace, which would change the keys' hash slots", cfg.KeyPrefix)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Client{
		rdb: goredis.NewUniversalClient(&goredis.UniversalOptions{
			Addrs: cfg.Addrs, IsClusterMode: cfg.Cluster, DB: cfg.DB,
			Username: cfg.Username, Password: cfg.Password, TLSConfig: cfg.TLS,
			DialTimeout: cfg.Timeout, ReadTimeout: cfg.Timeout, WriteTimeout: cfg.Timeout, PoolTimeout: cfg.Timeout,
			ContextTimeoutEnabled: true,
			// Fail fast and let the breaker decide: retries and dial
			// retries would turn one dead Redis into seconds per request.
			MaxRetries: -1, DialerRetries: 1,
			DisableIdentity:          true,
			MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
		}),
		prefix:  cfg.KeyPrefix,
		timeout: cfg.Timeout,
		log:     cfg.Logger,
		done:    make(chan struct{}),
	}
	if err := c.health.init(cfg.Registerer, c.log); err != nil {
		_ = c.rdb.Close()
		return nil, err
	}
	if err := c.ping(ctx); err != nil {
		c.markDown(err)
	}
	wctx, stop := context.WithCancel(context.WithoutCancel(ctx))
	c.stop = stop
	go c.watch(wctx)
	return c, nil
}

// Close stops the probing and closes the connections.
func (c *Client) Close() error {
	c.stop()
	<-c.done
	if err := c.rdb.Close(); err != nil {
		return fmt.Errorf("redis: close: %w", err)
	}
	return nil
}

// keys returns the Redis keys of a cache key: its value and its
// generation. They share the hash tag {key}, so a cluster keeps them in one
// slot (MGET and the scripts need that). A key's own braces cannot split
// them: both names begin with the same "<prefix>{<key>}".
func (c *Client) keys(key string) []string {
	v := c.prefix + "{" + key + "}"
	return []string{v, v + ":g"}
}

// errDown is returned without calling Redis while it is marked down.
var errDown = gamedata.Unavailable("redis", errors.New("marked down after failures; probing"))

// errPending refuses a key whose invalidation is still to be replayed.
var errPending = errors.New("redis: an invalidation of this key is pending")

// do runs fn under the client's timeout, unless Redis is marked down, and
// tells the breaker how it went.
func (c *Client) do(ctx context.Context, fn func(context.Context) error) error {
	if !c.up.Load() {
		return errDown
	}
	err := c.try(ctx, fn)
	if err != nil {
		c.failed(ctx, err)
	} else {
		c.succeeded()
	}
	return err
}

// try runs fn under the client's timeout.
func (c *Client) try(ctx context.Context, fn func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	if err := fn(ctx); err != nil && !errors.Is(err, goredis.Nil) {
		return gamedata.Unavailable("redis", err)
	}
	return nil
}

func (c *Client) ping(ctx context.Context) error {
	return c.try(ctx, func(ctx context.Context) error { return c.rdb.Ping(ctx).Err() })
}

// Ping is the readiness check: an error while Redis is marked down or does
// not answer.
func (c *Client) Ping(ctx context.Context) error {
	return c.do(ctx, func(ctx context.Context) error { return c.rdb.Ping(ctx).Err() })
}

// Get reads a cached value and its generation in one round trip.
func (c *Client) Get(ctx context.Context, key string) ([]byte, uint64, error) {
	if err := c.usable(key); err != nil {
		return nil, 0, err
	}
	var vals []any
	err := c.do(ctx, func(ctx context.Context) (err error) {
		vals, err = c.rdb.MGet(ctx, c.keys(key)...).Result()
		return err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("redis: get %s: %w", key, err)
	}
	var gen uint64
	if g, ok := vals[1].(string); ok {
		if gen, err = strconv.ParseUint(g, 10, 64); err != nil {
			return nil, 0, fmt.Errorf("redis: generation of %s: %w", key, err)
		}
	}
	if v, ok := vals[0].(string); ok {
		return []byte(v), gen, nil
	}
	return nil, gen, nil
}

// fillScript sets the value unless its generation moved since the miss.
var fillScript = goredis.NewScript(`
if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
`)

// Fill caches value unless key was invalidated since version was read.
func (c *Client) Fill(ctx context.Context, key string, version uint64, value []byte, ttl time.Duration) error {
	if ttl < time.Millisecond {
		return nil // PX takes whole milliseconds, at least one
	}
	if err := c.usable(key); err != nil {
		return err
	}
	c.sawTTL(ttl)
	err := c.do(ctx, func(ctx context.Context) error {
		return fillScript.Run(ctx, c.rdb, c.keys(key), strconv.FormatUint(version, 10), value, ttl.Milliseconds()).Err()
	})
	if err != nil {
		return fmt.Errorf("redis: fill %s: %w", key, err)
	}
	return nil
}

// invalidateScript drops the value and moves its generation on, so that
// no fill of an older miss lands.
var invalidateScript = goredis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1
`)

func (c *Client) invalidate(ctx context.Context, key string) error {
	return invalidateScript.Run(ctx, c.rdb, c.keys(key), generationTTL.Milliseconds()).Err()
}

// Invalidate drops key. When Redis cannot be reached the key is kept,
// replayed once it can, and skipped by reads until then.
func (c *Client) Invalidate(ctx context.Context, key string) error {
	err := c.do(ctx, func(ctx context.Context) error { return c.invalidate(ctx, key) })
	if err != nil {
		c.keep(key)
		return fmt.Errorf("redis: invalidate %s (kept to replay): %w", key, err)
	}
	return nil
}

// LogDriverTo sends the go-redis driver's own messages (such as each failed
// dial) to log at debug level, instead of the standard logger: the client
// itself logs when Redis goes down and comes back. It applies to the whole
// process.
func LogDriverTo(log *slog.Logger) { goredis.SetLogger(driverLog{log}) }

type driverLog struct{ log *slog.Logger }

func (d driverLog) Printf(ctx context.Context, format string, v ...any) {
	d.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
}
