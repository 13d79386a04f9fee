package cache_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cache"
	"github.com/gamedata-dev/gamedata/cache/cachetest"
	"github.com/gamedata-dev/gamedata/storetest"
)

// The in-process backend is one process's memory: every node of a test
// shares it, as one process would.
func TestLocal(t *testing.T) {
	cachetest.Run(t, func(*testing.T) func() cache.Backend {
		l := cache.NewLocal(1 << 20)
		return func() cache.Backend { return l }
	})
}

func TestLocalStaysWithinItsBytes(t *testing.T) {
	ctx := context.Background()
	const budget = 64 << 10
	l := cache.NewLocal(budget)
	value := make([]byte, 1000)
	for i := range 1000 {
		key := fmt.Sprint("player:p", i)
		_, ver, _ := l.Get(ctx, key)
		if err := l.Fill(ctx, key, ver, value, time.Hour); err != nil {
			t.Fatal(err)
		}
		if l.Size() > budget {
			t.Fatalf("after %d fills the cache holds %d bytes; the bound is %d", i+1, l.Size(), budget)
		}
	}
	if v, _, _ := l.Get(ctx, "player:p999"); v == nil {
		t.Fatal("the newest entry was evicted")
	}
	if v, _, _ := l.Get(ctx, "player:p0"); v != nil {
		t.Fatal("the oldest entry is still there")
	}
	_, ver, _ := l.Get(ctx, "meta:huge")
	if err := l.Fill(ctx, "meta:huge", ver, make([]byte, budget/4), time.Hour); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := l.Get(ctx, "meta:huge"); v != nil {
		t.Fatal("a value of a quarter of the budget was cached")
	}
}

// downBackend is a backend whose server is unreachable.
type downBackend struct{ calls int }

var errDown = gamedata.Unavailable("redis", errors.New("connection refused"))

func (d *downBackend) Get(context.Context, string) ([]byte, uint64, error) {
	d.calls++
	return nil, 0, errDown
}

func (d *downBackend) Fill(context.Context, string, uint64, []byte, time.Duration) error {
	d.calls++
	return errDown
}

func (d *downBackend) Invalidate(context.Context, string) error {
	d.calls++
	return errDown
}

func TestABackendOutageIsServedByTheStore(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(time.Now())
	st := cachetest.SQLite(t, clock)
	reg := prometheus.NewRegistry()
	down := &downBackend{}
	s, err := cache.New(st, cache.Config{Backend: down, TTL: time.Minute, SessionTTL: time.Minute, Clock: clock, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	p := gamedata.Player{ID: gamedata.NewID(clock.Now()), Name: "Outage", CreatedAt: clock.Now(), UpdatedAt: clock.Now()}
	if err := s.CreatePlayer(ctx, p); err != nil {
		t.Fatal(err)
	}
	email := "e@example.com"
	if _, err := s.UpdatePlayer(ctx, p.Name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: clock.Now()}); err != nil {
		t.Fatalf("an update with the cache down: %v", err)
	}
	for range 3 {
		if got, err := s.GetPlayer(ctx, p.Name); err != nil || got.Email != email {
			t.Fatalf("a read with the cache down: %+v, %v", got, err)
		}
	}
	if _, err := s.GetPlayer(ctx, "nobody"); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("an unknown player with the cache down: %v", err)
	}
	labels := func(result string) map[string]string { return map[string]string{"cache": "player", "result": result} }
	if n := cachetest.Count(t, reg, "gamedata_cache_requests_total", labels(cache.Error)); n != 4 {
		t.Fatalf("%d cache errors counted; want 4", n)
	}
	if n := cachetest.Count(t, reg, "gamedata_cache_invalidations_total", labels("error")); n != 1 {
		t.Fatalf("%d failed invalidations counted; want 1", n)
	}
	if down.calls != 5 {
		t.Fatalf("the backend was called %d times; want 5 (no fill after a failed read)", down.calls)
	}
}

// A kind a node does not cache (sessions in process over Cassandra) costs
// no cache lookup, but its writes still invalidate, for the nodes that do.
func TestUncachedKindSkipsTheBackend(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(time.Now())
	st := cachetest.SQLite(t, clock)
	b := &downBackend{}
	s, err := cache.New(st, cache.Config{Backend: b, TTL: time.Minute, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	ses := gamedata.Session{TokenHash: gamedata.HashSecret("t"), PlayerName: "p", CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}
	if err := s.CreateSession(ctx, ses); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, ses.TokenHash); err != nil || b.calls != 0 {
		t.Fatalf("a session check: %v, %d cache calls; want none", err, b.calls)
	}
	if err := s.DeleteSession(ctx, ses.TokenHash); err != nil || b.calls != 1 {
		t.Fatalf("a logout: %v, %d cache calls; want one invalidation", err, b.calls)
	}
}
