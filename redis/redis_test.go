package redis_test

import (
	"context"
	"crypto/tls"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	goredis "github.com/redis/go-redis/v9"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cache"
	"github.com/gamedata-dev/gamedata/cache/cachetest"
	"github.com/gamedata-dev/gamedata/ratelimit"
	"github.com/gamedata-dev/gamedata/redis"
	"github.com/gamedata-dev/gamedata/redis/redistest"
)

// The cache suite on a single server and on a cluster: every node of a
// test is a client of its own on one key prefix.
func TestCache(t *testing.T) {
	redistest.Each(t, func(t *testing.T, target redistest.Target) {
		cachetest.Run(t, func(t *testing.T) func() cache.Backend {
			cfg := target.Config()
			return func() cache.Backend { return redistest.Open(t, cfg) }
		})
	})
}

func TestLimiterIsSharedByInstances(t *testing.T) {
	redistest.Each(t, func(t *testing.T, target redistest.Target) {
		ctx := t.Context()
		cfg := target.Config()
		// Two instances, each with its own fallback: were they used, the
		// instances would allow twice the burst between them.
		a := redistest.Open(t, cfg).Limiter(0.1, 5, ratelimit.New(0.1, 5))
		b := redistest.Open(t, cfg).Limiter(0.1, 5, ratelimit.New(0.1, 5))
		for i := range 5 {
			l := []*redis.Limiter{a, b}[i%2]
			if ok, _, err := l.Allow(ctx, "ip:192.0.2.1"); !ok || err != nil {
				t.Fatalf("request %d of the burst refused: %v", i, err)
			}
		}
		for _, l := range []*redis.Limiter{a, b} {
			ok, retry, err := l.Allow(ctx, "ip:192.0.2.1")
			if ok || err != nil || retry <= 0 || retry > 10*time.Second {
				t.Fatalf("past the shared burst: ok=%v retryAfter=%v err=%v; want refused within 10s", ok, retry, err)
			}
		}
		if ok, _, _ := a.Allow(ctx, "ip:192.0.2.2"); !ok {
			t.Fatal("another address shares the allowance")
		}
	})
}

// metered opens a client on cfg whose metrics go to a registry of its own.
func metered(t *testing.T, cfg redis.Config) (*redis.Client, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	cfg.Registerer = reg
	return redistest.Open(t, cfg), reg
}

func up(t *testing.T, reg *prometheus.Registry) int {
	return cachetest.Count(t, reg, "gamedata_redis_up", nil)
}

func TestUnreachableAtStart(t *testing.T) {
	// Nothing listens on port 1 of loopback: connections are refused.
	c, reg := metered(t, redis.Config{Addrs: []string{"127.0.0.1:1"}, KeyPrefix: "test:"})
	ctx := t.Context()
	if up(t, reg) != 0 {
		t.Fatal("an unreachable Redis is not marked down")
	}
	if err := c.Ping(ctx); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Fatalf("readiness of an unreachable Redis: %v", err)
	}
	if _, _, err := c.Get(ctx, "player:x"); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Fatalf("a read: %v", err)
	}
	l := c.Limiter(0.1, 2, ratelimit.New(0.1, 2))
	for i, want := range []bool{true, true, false} {
		if ok, _, err := l.Allow(ctx, "ip:192.0.2.1"); ok != want || err != nil {
			t.Fatalf("request %d: ok=%v err=%v; want the fallback's answer %v", i, ok, err, want)
		}
	}
}

// A silent Redis costs a timeout a command only until the client marks it
// down; then it costs nothing.
func TestSilentRedisIsMarkedDown(t *testing.T) {
	target := redistest.Single(t)
	p := newProxy(t, target.Addrs[0])
	cfg := target.Config()
	cfg.Addrs, cfg.Timeout = []string{p.addr}, 300*time.Millisecond
	c, reg := metered(t, cfg)
	ctx := t.Context()
	if _, _, err := c.Get(ctx, "player:x"); err != nil {
		t.Fatal(err)
	}
	p.silence()
	start := time.Now()
	for range 3 {
		if _, _, err := c.Get(ctx, "player:x"); err == nil {
			t.Fatal("a read from a silent Redis succeeded")
		}
	}
	if up(t, reg) != 0 {
		t.Fatalf("3 timeouts in a row (%s) did not mark Redis down", time.Since(start))
	}
	start = time.Now()
	for range 100 {
		if _, _, err := c.Get(ctx, "player:x"); err == nil {
			t.Fatal("a read while marked down succeeded")
		}
	}
	if d := time.Since(start); d >= cfg.Timeout {
		t.Fatalf("100 reads while Redis is marked down took %s; one timeout is %s", d, cfg.Timeout)
	}
	p.restore()
	waitUp(t, reg)
}

func waitUp(t *testing.T, reg *prometheus.Registry) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); up(t, reg) != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Redis was not marked up again within 20s of answering again")
		}
	}
}

// An invalidation made while Redis is unreachable reaches it once it is
// back, before this node reads that key from it again; other nodes see it
// then.
func TestInvalidationsMissedAreReplayed(t *testing.T) {
	target := redistest.Single(t)
	p := newProxy(t, target.Addrs[0])
	cfg := target.Config()
	other := redistest.Open(t, cfg) // another node, which never loses Redis
	cfg.Addrs = []string{p.addr}
	c, reg := metered(t, cfg)
	ctx := t.Context()

	const key = "session:abc"
	_, ver, err := c.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fill(ctx, key, ver, []byte("alive"), time.Minute); err != nil {
		t.Fatal(err)
	}
	p.cut()
	if err := c.Invalidate(ctx, key); err == nil {
		t.Fatal("an invalidation with Redis unreachable succeeded")
	}
	if n := cachetest.Count(t, reg, "gamedata_redis_pending_invalidations", nil); n != 1 {
		t.Fatalf("%d invalidations kept; want 1", n)
	}
	if v, _, _ := other.Get(ctx, key); string(v) != "alive" {
		t.Fatalf("the other node reads %q before the replay", v)
	}
	p.restore()
	// Until the replay, this node does not read the key from Redis.
	for deadline := time.Now().Add(20 * time.Second); cachetest.Count(t, reg, "gamedata_redis_pending_invalidations", nil) != 0; {
		if time.Now().After(deadline) {
			t.Fatal("the invalidation was not replayed within 20s of Redis answering again")
		}
		if v, _, err := c.Get(ctx, key); err == nil && v != nil {
			t.Fatalf("read %q from Redis before the invalidation was replayed", v)
		}
		time.Sleep(5 * time.Millisecond)
	}
	waitUp(t, reg)
	for _, n := range []*redis.Client{other, c} {
		if v, _, err := n.Get(ctx, key); err != nil || v != nil {
			t.Fatalf("after the replay: %q, %v; want a miss", v, err)
		}
	}
}

func TestKeyPrefixWithBracesRefused(t *testing.T) {
	if _, err := redis.Open(context.Background(), redis.Config{Addrs: []string{"127.0.0.1:1"}, KeyPrefix: "app{1}:"}); err == nil {
		t.Fatal("a prefix with braces was accepted")
	}
}

func TestTLS(t *testing.T) {
	target := redistest.Single(t)
	p, ca := newTLSProxy(t, target.Addrs[0])
	ctx := t.Context()
	cfg := target.Config()
	cfg.Addrs = []string{p.addr}

	good := cfg
	good.TLS = &tls.Config{RootCAs: ca, ServerName: "redis.test", MinVersion: tls.VersionTLS12}
	c, reg := metered(t, good)
	if up(t, reg) != 1 {
		t.Fatal("Redis over TLS with its CA is not up")
	}
	_, ver, err := c.Get(ctx, "meta:tls")
	if err == nil {
		err = c.Fill(ctx, "meta:tls", ver, []byte("sealed"), time.Minute)
	}
	if v, _, err2 := c.Get(ctx, "meta:tls"); err != nil || err2 != nil || string(v) != "sealed" {
		t.Fatalf("over TLS: %q, %v, %v", v, err, err2)
	}

	for name, tc := range map[string]*tls.Config{
		"a certificate from an unknown CA": {MinVersion: tls.VersionTLS12, ServerName: "redis.test"},
		"another server name":              {RootCAs: ca, ServerName: "other.test", MinVersion: tls.VersionTLS12},
		"no TLS":                           nil,
	} {
		bad := cfg
		bad.TLS = tc
		if _, reg := metered(t, bad); up(t, reg) != 0 {
			t.Errorf("%s: Redis is up", name)
		}
	}
}

// AUTH with an ACL user that has only what docs/redis.md asks for: the
// keys under the prefix (and the limiter's, which go-redis/redis_rate starts
// with "rate:"), and the commands gamedata runs.
func TestAuth(t *testing.T) {
	target := redistest.Single(t)
	ctx := t.Context()
	cfg := target.Config()
	cfg.Username, cfg.Password = "gamedata_test_"+strings.TrimSuffix(strings.TrimPrefix(cfg.KeyPrefix, "gamedata_test:"), ":"), gamedata.NewSecret("")
	admin := goredis.NewClient(&goredis.Options{Addr: target.Addrs[0]})
	defer admin.Close()
	if err := admin.Do(ctx, "ACL", "SETUSER", cfg.Username, "on", ">"+cfg.Password,
		"~"+cfg.KeyPrefix+"*", "~rate:"+cfg.KeyPrefix+"*", "+@read", "+@write", "+@scripting", "+ping", "+time").Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Do(context.Background(), "ACL", "DELUSER", cfg.Username) })

	c, reg := metered(t, cfg)
	if up(t, reg) != 1 {
		t.Fatal("Redis with AUTH is not up")
	}
	_, ver, err := c.Get(ctx, "player:acl")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Fill(ctx, "player:acl", ver, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := c.Invalidate(ctx, "player:acl"); err != nil {
		t.Fatal(err)
	}
	if ok, _, err := c.Limiter(10, 10, nil).Allow(ctx, "ip:192.0.2.9"); !ok || err != nil {
		t.Fatalf("the limiter under the ACL: %v, %v", ok, err)
	}

	wrong := cfg
	wrong.Password = "not-the-password"
	if _, reg := metered(t, wrong); up(t, reg) != 0 {
		t.Fatal("Redis is up with a wrong password")
	}
}
