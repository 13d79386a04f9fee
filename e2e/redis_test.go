package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/cache"
	"github.com/gamedata-dev/gamedata/cache/cachetest"
	"github.com/gamedata-dev/gamedata/client"
	"github.com/gamedata-dev/gamedata/redis"
	"github.com/gamedata-dev/gamedata/redis/redistest"
	"github.com/gamedata-dev/gamedata/storetest"
)

// The whole suite also runs through the cache, over SQLite: in this
// process's memory (the embedded life), and in Redis, single and cluster.
func init() {
	backends["sqlite+local"] = cachedSQLite(func(*testing.T) cache.Backend { return cache.NewLocal(64 << 20) })
	backends["sqlite+redis"] = cachedSQLite(func(t *testing.T) cache.Backend {
		return redistest.Open(t, redistest.Single(t).Config())
	})
	backends["sqlite+redis-cluster"] = cachedSQLite(func(t *testing.T) cache.Backend {
		return redistest.Open(t, redistest.Cluster(t).Config())
	})
}

func cachedSQLite(backend func(*testing.T) cache.Backend) func(*testing.T, gamedata.Clock) gamedata.Backend {
	return func(t *testing.T, clock gamedata.Clock) gamedata.Backend {
		b := backend(t)
		store := backends["sqlite"](t, clock)
		s, err := cache.New(store.Store, cache.Config{Backend: b, TTL: time.Minute, SessionTTL: time.Minute, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		store.Store = s // the cache wraps only the store (docs/architecture.md)
		return store
	}
}

// cluster is API nodes over one store, each with its own Redis client on
// one key prefix, as the instances of a deployment are.
type cluster struct {
	t     *testing.T
	clock *storetest.Clock
	store gamedata.Store
	redis redis.Config
	// rate and burst are the limit of the open endpoints, shared by the
	// nodes: by default a burst of 5 and no refill while a test runs.
	rate  float64
	burst int
}

func newCluster(t *testing.T, target redistest.Target) *cluster {
	clock := storetest.NewClock(time.Now().UTC().Truncate(time.Millisecond))
	return &cluster{t: t, clock: clock, store: backends["sqlite"](t, clock).Store, redis: target.Config(), rate: 0.01, burst: 5}
}

// apiNode is one instance: its harness, and the registry its metrics go to.
type apiNode struct {
	*harness
	reg *prometheus.Registry
}

// node starts one more instance, with its cache and its rate limit in Redis.
func (c *cluster) node() apiNode {
	t := c.t
	reg := prometheus.NewRegistry()
	cfg := c.redis
	cfg.Registerer = reg
	rc := redistest.Open(t, cfg)
	store, err := cache.New(c.store, cache.Config{Backend: rc, TTL: time.Minute, SessionTTL: time.Minute, Clock: c.clock, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := api.New(api.Config{
		Store: store, Clock: c.clock, Registry: reg, AdminKey: adminKey,
		Limiter:  rc.Limiter(c.rate, c.burst, nil),
		Ready:    map[string]func(context.Context) error{"store": c.store.Ping},
		Optional: map[string]func(context.Context) error{"redis": rc.Ping},
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	h := &harness{t: t, clock: c.clock, store: store, url: hs.URL}
	h.anon, h.admin = h.client(""), h.client(adminKey)
	return apiNode{h, reg}
}

func (n apiNode) cacheCount(kind, result string) int {
	return cachetest.Count(n.t, n.reg, "gamedata_cache_requests_total", map[string]string{"cache": kind, "result": result})
}

func TestLogoutRefusedAtOnceOnEveryNode(t *testing.T) {
	redistest.Each(t, func(t *testing.T, target redistest.Target) {
		ctx := context.Background()
		c := newCluster(t, target)
		a, b := c.node(), c.node()
		name, onA := a.player("Leaver")
		onB := b.anon.WithToken(onA.Token())
		for range 2 {
			if _, err := onB.GetPlayer(ctx, name); err != nil {
				t.Fatalf("node b, before the logout: %v", err)
			}
		}
		if b.cacheCount("session", cache.Hit) == 0 {
			t.Fatal("node b did not check the session in the cache: the test would prove nothing")
		}
		if err := onA.Logout(ctx); err != nil {
			t.Fatal(err)
		}
		for _, n := range []*client.Client{onB, onA} {
			if _, err := n.GetPlayer(ctx, name); status(t, err) != http.StatusUnauthorized {
				t.Fatalf("a token logged out on node a: %v; want 401 at once on every node", err)
			}
		}
	})
}

func TestProfileUpdateVisibleToTheNextRead(t *testing.T) {
	redistest.Each(t, func(t *testing.T, target redistest.Target) {
		ctx := context.Background()
		c := newCluster(t, target)
		a, b := c.node(), c.node()
		name, me := a.player("Mover")
		for i, email := range []string{"one@example.com", "two@example.com", "three@example.com"} {
			if _, err := me.GetPlayer(ctx, name); err != nil { // cached before the write
				t.Fatal(err)
			}
			if _, err := me.UpdatePlayer(ctx, name, client.PlayerPatch{Email: &email}); err != nil {
				t.Fatal(err)
			}
			for node, cl := range map[string]*client.Client{"a": me, "b": b.anon.WithToken(me.Token())} {
				if p, err := cl.GetPlayer(ctx, name); err != nil || p.Email != email {
					t.Fatalf("update %d, read on node %s: %q, %v; want %q", i, node, p.Email, err, email)
				}
			}
		}
		if a.cacheCount("player", cache.Hit) == 0 {
			t.Fatal("node a never served the profile from the cache: the test would prove nothing")
		}
	})
}

func TestRateLimitSharedByInstances(t *testing.T) {
	redistest.Each(t, func(t *testing.T, target redistest.Target) {
		c := newCluster(t, target)
		nodes := []apiNode{c.node(), c.node()}
		for i := range 5 { // the burst, alternating
			if a := nodes[i%2].raw("GET", "/v1/meta/absent", "", "", nil); a.status != http.StatusNotFound {
				t.Fatalf("request %d of the burst: %d %s", i, a.status, a.body)
			}
		}
		for i, n := range nodes {
			a := n.raw("GET", "/v1/meta/absent", "", "", nil)
			a.problem(t, http.StatusTooManyRequests)
			if a.header.Get("Retry-After") == "" {
				t.Fatalf("node %d: a 429 without Retry-After", i)
			}
		}
	})
}

// The fault test: steady traffic of session checks and profile reads
// through the API, while the plain Redis server is stopped and started
// again. No request may fail; /readyz says degraded meanwhile; after, the
// hit ratio recovers.
func TestRedisOutage(t *testing.T) {
	outage := redistest.NewOutage(t)
	c := newCluster(t, outage.Target)
	c.rate, c.burst = 1000, 1000 // the players log in at once
	n := c.node()
	ctx := context.Background()
	type player struct {
		name string
		cl   *client.Client
	}
	players := make([]player, 8)
	for i := range players {
		players[i].name, players[i].cl = n.player("Steady")
	}

	var ok, failed atomic.Int64
	var firstFailure atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			tick := time.NewTicker(5 * time.Millisecond) // at most 200 requests a second a worker
			defer tick.Stop()
			for i := w; ; i++ {
				select {
				case <-stop:
					return
				case <-tick.C:
				}
				p := players[i%len(players)]
				if _, err := p.cl.GetPlayer(ctx, p.name); err != nil {
					failed.Add(1)
					firstFailure.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		})
	}
	defer func() {
		close(stop)
		wg.Wait()
		t.Logf("%d requests answered 200, %d failed", ok.Load(), failed.Load())
		if failed.Load() > 0 {
			t.Errorf("%d requests failed during the outage; the first: %v", failed.Load(), firstFailure.Load())
		}
	}()

	// hits reads the cache's hits and lookups (session checks and profile
	// reads) so far.
	hits := func() (hit, all int) {
		for _, kind := range []string{"session", "player"} {
			for _, r := range []string{cache.Hit, cache.Miss, cache.Error} {
				v := n.cacheCount(kind, r)
				all += v
				if r == cache.Hit {
					hit += v
				}
			}
		}
		return hit, all
	}
	ratio := func(what string, d time.Duration) float64 {
		h0, a0 := hits()
		time.Sleep(d)
		h1, a1 := hits()
		r := float64(h1-h0) / float64(max(a1-a0, 1))
		t.Logf("%s: %d lookups in %s, hit ratio %.2f", what, a1-a0, d, r)
		return r
	}
	ready := func() (int, client.Readiness) {
		a := n.raw("GET", "/readyz", "", "", nil)
		var r client.Readiness
		if err := json.Unmarshal(a.body, &r); err != nil {
			t.Fatalf("/readyz: %v: %s", err, a.body)
		}
		return a.status, r
	}

	if r := ratio("before the outage", time.Second); r < 0.9 {
		t.Fatalf("hit ratio %.2f before the outage; the steady traffic should be served from the cache", r)
	}
	outage.Stop()
	if r := ratio("Redis stopped", 2*time.Second); r > 0.1 {
		t.Errorf("hit ratio %.2f with Redis stopped", r)
	}
	if status, r := ready(); status != http.StatusOK || r.Status != "degraded" || r.Checks["redis"] != "degraded" || r.Checks["store"] != "ok" {
		t.Fatalf("/readyz with Redis stopped: %d %+v; want 200, degraded", status, r)
	}
	if up := cachetest.Count(t, n.reg, "gamedata_redis_up", nil); up != 0 {
		t.Fatalf("gamedata_redis_up %d with Redis stopped", up)
	}
	outage.Start()
	start := time.Now()
	for {
		if status, r := ready(); status == http.StatusOK && r.Status == "ready" {
			break
		}
		if time.Since(start) > 30*time.Second {
			t.Fatal("/readyz not ready within 30s of Redis starting")
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("ready again %s after Redis started", time.Since(start).Round(time.Millisecond))
	if r := ratio("Redis back", 2*time.Second); r < 0.9 {
		t.Errorf("hit ratio %.2f after Redis came back; want it recovered (>= 0.9)", r)
	}
}
