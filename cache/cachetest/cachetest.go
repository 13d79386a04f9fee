// Package cachetest is the conformance suite of a cache.Backend: the
// promises of cache.Store (a read never put back older than a write it
// follows, one store read for concurrent misses, a logout refused at once on
// every node sharing the backend) checked over a real SQLite store, plus
// gamedata's whole store suite (storetest) run through the cache. The
// in-process backend runs it from package cache, Redis from package redis,
// on a single server and on a cluster.
package cachetest

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cache"
	"github.com/gamedata-dev/gamedata/sqlite"
	"github.com/gamedata-dev/gamedata/storetest"
)

// Deployment makes, for one test, a fresh deployment of the backend under
// test (say, a key prefix of its own on one Redis), and returns a function
// that connects one more node to it: the backends it returns share their
// data. Each is closed when t ends.
type Deployment func(t *testing.T) (node func() cache.Backend)

// Run runs the suite.
func Run(t *testing.T, deploy Deployment) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Deployment)
	}{
		{"Backend", testBackend},
		{"ConcurrentMissesReadTheStoreOnce", testCoalescing},
		{"ReadAfterWriteSeesIt", testReadAfterWrite},
		{"LogoutRefusedAtOnceOnEveryNode", testRevocation},
		{"CachedSessionExpires", testSessionExpiry},
		{"MetadataUpdates", testMeta},
		{"PasswordHashKept", testPasswordHash},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, deploy) })
	}
	t.Run("Store", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, clock gamedata.Clock) gamedata.Store {
			return newNode(t, SQLite(t, clock), deploy(t)(), clock).Store
		})
	})
}

// TTL is the cache TTL of the suite's nodes: long enough that no entry
// expires during a test unless the test waits for it.
const TTL = time.Minute

// node is one gamedata node: a cache.Store with its own metrics.
type node struct {
	*cache.Store
	reg *prometheus.Registry
}

func newNode(t *testing.T, store gamedata.Store, b cache.Backend, clock gamedata.Clock) node {
	t.Helper()
	reg := prometheus.NewRegistry()
	s, err := cache.New(store, cache.Config{Backend: b, TTL: TTL, SessionTTL: TTL, Clock: clock, Registerer: reg})
	if err != nil {
		t.Fatal(err)
	}
	return node{s, reg}
}

// count reads gamedata_cache_requests_total{cache=kind,result=result}.
func (n node) count(t *testing.T, kind, result string) int {
	t.Helper()
	return Count(t, n.reg, "gamedata_cache_requests_total", map[string]string{"cache": kind, "result": result})
}

// Count returns the value of the counter or gauge name with exactly the
// given labels in reg (0 when absent).
func Count(t testing.TB, reg prometheus.Gatherer, name string, labels map[string]string) int {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			if hasLabels(m, labels) {
				return int(m.GetCounter().GetValue() + m.GetGauge().GetValue())
			}
		}
	}
	return 0
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	if len(m.GetLabel()) != len(want) {
		return false
	}
	for _, l := range m.GetLabel() {
		if want[l.GetName()] != l.GetValue() {
			return false
		}
	}
	return true
}

// SQLite opens a store in a fresh SQLite file, closed when t ends.
func SQLite(t *testing.T, clock gamedata.Clock) gamedata.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db"), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close sqlite: %v", err)
		}
	})
	return s
}

// countingStore counts the player reads that reach the store, and can hold
// them: a held read has read the store and waits before it returns.
type countingStore struct {
	gamedata.Store
	reads atomic.Int32
	mu    sync.Mutex
	hold  chan struct{} // the next read waits for it to close
}

func (s *countingStore) GetPlayer(ctx context.Context, name string) (gamedata.Player, error) {
	p, err := s.Store.GetPlayer(ctx, name)
	s.reads.Add(1)
	s.mu.Lock()
	hold := s.hold
	s.hold = nil
	s.mu.Unlock()
	if hold != nil {
		<-hold
	}
	return p, err
}

// holdNext makes the next player read wait until the returned function is
// called.
func (s *countingStore) holdNext() (release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	s.hold = ch
	s.mu.Unlock()
	return sync.OnceFunc(func() { close(ch) })
}

// fixture is a store with one player, behind a counting wrapper.
type fixture struct {
	ctx    context.Context
	clock  *storetest.Clock
	store  *countingStore
	player gamedata.Player
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clock := storetest.NewClock(time.Now().Truncate(time.Millisecond))
	f := &fixture{ctx: t.Context(), clock: clock, store: &countingStore{Store: SQLite(t, clock)}}
	now := clock.Now()
	age := 31
	f.player = gamedata.Player{
		ID: gamedata.NewID(now), Name: "Cached_" + strings.ReplaceAll(now.Format("150405.000"), ".", ""),
		Email: "old@example.com", Age: &age, CreatedAt: now, UpdatedAt: now,
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNo",
	}
	if err := f.store.CreatePlayer(f.ctx, f.player); err != nil {
		t.Fatal(err)
	}
	return f
}

// waitFor polls cond for up to 10s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func testBackend(t *testing.T, deploy Deployment) {
	ctx := t.Context()
	b := deploy(t)()
	for _, key := range []string{"player:plain", "player:{brace", "player:}brace{", "meta:a:b", "player:玩家"} {
		v, ver, err := b.Get(ctx, key)
		if err != nil || v != nil {
			t.Fatalf("%s: a fresh key reads %q, %v", key, v, err)
		}
		if err := b.Fill(ctx, key, ver, []byte("one"), TTL); err != nil {
			t.Fatalf("%s: fill: %v", key, err)
		}
		if v, _, err := b.Get(ctx, key); err != nil || string(v) != "one" {
			t.Fatalf("%s: after a fill: %q, %v", key, v, err)
		}
		// A miss seen before an invalidation cannot fill after it.
		if err := b.Invalidate(ctx, key); err != nil {
			t.Fatalf("%s: invalidate: %v", key, err)
		}
		if err := b.Fill(ctx, key, ver, []byte("stale"), TTL); err != nil {
			t.Fatalf("%s: fill: %v", key, err)
		}
		v, ver2, err := b.Get(ctx, key)
		if err != nil || v != nil {
			t.Fatalf("%s: a fill older than the invalidation landed: %q, %v", key, v, err)
		}
		if err := b.Fill(ctx, key, ver2, []byte("two"), TTL); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := b.Get(ctx, key); string(v) != "two" {
			t.Fatalf("%s: a fill after the invalidation did not land: %q", key, v)
		}
	}
	if err := b.Invalidate(ctx, "player:never-cached"); err != nil {
		t.Fatalf("invalidate a key never cached: %v", err)
	}

	const ttl = 300 * time.Millisecond
	_, ver, _ := b.Get(ctx, "meta:short")
	filled := time.Now()
	if err := b.Fill(ctx, "meta:short", ver, []byte("x"), ttl); err != nil {
		t.Fatal(err)
	}
	// (A slow machine may take the TTL to get here: then only expiry is checked.)
	if v, _, _ := b.Get(ctx, "meta:short"); string(v) != "x" && time.Since(filled) < ttl {
		t.Fatalf("gone before its TTL: %q", v)
	}
	waitFor(t, "an entry to expire after its TTL", func() bool {
		v, _, err := b.Get(ctx, "meta:short")
		return err == nil && v == nil
	})
}

func testCoalescing(t *testing.T, deploy Deployment) {
	const readers = 32
	f := newFixture(t)
	n := newNode(t, f.store, deploy(t)(), f.clock)
	release := f.store.holdNext()
	defer release()
	got := make([]gamedata.Player, readers)
	errs := make([]error, readers)
	var wg sync.WaitGroup
	for i := range readers {
		name := f.player.Name
		if i%2 == 1 {
			name = strings.ToUpper(name) // one key whatever the case
		}
		wg.Go(func() { got[i], errs[i] = n.GetPlayer(f.ctx, name) })
	}
	// Every reader has missed before the one store read may answer.
	waitFor(t, fmt.Sprintf("all %d readers to miss (without coalescing, the first loads fill the cache early)", readers),
		func() bool { return n.count(t, "player", cache.Miss) == readers })
	release()
	wg.Wait()
	for i := range readers {
		if errs[i] != nil || got[i].ID != f.player.ID || got[i].Email != f.player.Email {
			t.Fatalf("reader %d: %+v, %v", i, got[i], errs[i])
		}
	}
	if r := f.store.reads.Load(); r != 1 {
		t.Fatalf("%d concurrent misses made %d store reads; want 1", readers, r)
	}
	if _, err := n.GetPlayer(f.ctx, f.player.Name); err != nil || f.store.reads.Load() != 1 || n.count(t, "player", cache.Hit) != 1 {
		t.Fatalf("the next read is not a hit: %v, %d store reads, %d hits", err, f.store.reads.Load(), n.count(t, "player", cache.Hit))
	}
}

func testReadAfterWrite(t *testing.T, deploy Deployment) {
	f := newFixture(t)
	n := newNode(t, f.store, deploy(t)(), f.clock)
	name := f.player.Name

	// A read that started before the write holds the old profile...
	release := f.store.holdNext()
	defer release()
	early := make(chan gamedata.Player, 1)
	go func() {
		p, _ := n.GetPlayer(f.ctx, name)
		early <- p
	}()
	waitFor(t, "the early read to reach the store", func() bool { return f.store.reads.Load() == 1 })

	email := "new@example.com"
	if _, err := n.UpdatePlayer(f.ctx, name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: f.clock.Advance(time.Second)}); err != nil {
		t.Fatal(err)
	}
	// ...a read after the write does not share its load (it would wait for
	// it, and get the old profile)...
	ctx, cancel := context.WithTimeout(f.ctx, 5*time.Second)
	defer cancel()
	if p, err := n.GetPlayer(ctx, name); err != nil || p.Email != email {
		t.Fatalf("the read after the update: %+v, %v", p, err)
	}
	// ...and when the early read ends, its old value does not land in the cache.
	release()
	<-early
	for range 3 {
		if p, err := n.GetPlayer(f.ctx, name); err != nil || p.Email != email {
			t.Fatalf("a later read: %q, %v; want %q", p.Email, err, email)
		}
	}
	if n.count(t, "player", cache.Hit) < 2 {
		t.Fatal("the later reads were not served from the cache")
	}
}

func testRevocation(t *testing.T, deploy Deployment) {
	f := newFixture(t)
	connect := deploy(t)
	a, b := newNode(t, f.store, connect(), f.clock), newNode(t, f.store, connect(), f.clock)
	now := f.clock.Now()
	ses := gamedata.Session{
		TokenHash: gamedata.HashSecret(gamedata.NewSecret(gamedata.SessionPrefix)), PlayerID: f.player.ID,
		PlayerName: f.player.Name, CreatedAt: now, ExpiresAt: now.Add(time.Hour),
	}
	if err := a.CreateSession(f.ctx, ses); err != nil {
		t.Fatal(err)
	}
	for _, n := range []node{a, b, b} {
		if got, err := n.GetSession(f.ctx, ses.TokenHash); err != nil || got.PlayerID != ses.PlayerID || !got.ExpiresAt.Equal(ses.ExpiresAt) {
			t.Fatalf("session check: %+v, %v", got, err)
		}
	}
	if b.count(t, "session", cache.Hit) == 0 {
		t.Fatal("node b never served the session from the cache")
	}
	if err := a.DeleteSession(f.ctx, ses.TokenHash); err != nil {
		t.Fatal(err)
	}
	for _, n := range []node{b, a} {
		if _, err := n.GetSession(f.ctx, ses.TokenHash); !errors.Is(err, gamedata.ErrNotFound) {
			t.Fatalf("a session logged out is still accepted: %v", err)
		}
	}
}

func testSessionExpiry(t *testing.T, deploy Deployment) {
	f := newFixture(t)
	n := newNode(t, f.store, deploy(t)(), f.clock)
	now := f.clock.Now()
	ses := gamedata.Session{
		TokenHash: gamedata.HashSecret(gamedata.NewSecret(gamedata.SessionPrefix)), PlayerID: f.player.ID,
		PlayerName: f.player.Name, CreatedAt: now, ExpiresAt: now.Add(10 * time.Minute),
	}
	if err := n.CreateSession(f.ctx, ses); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := n.GetSession(f.ctx, ses.TokenHash); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Set(ses.ExpiresAt)
	if _, err := n.GetSession(f.ctx, ses.TokenHash); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("an expired session from the cache: %v", err)
	}
}

func testMeta(t *testing.T, deploy Deployment) {
	f := newFixture(t)
	n := newNode(t, f.store, deploy(t)(), f.clock)
	for i, v := range []string{`{"v":1}`, `{"v":2}`, `{"v":3}`} {
		if err := n.PutMeta(f.ctx, gamedata.MetaDoc{Key: "game:config", Value: []byte(v), UpdatedAt: f.clock.Advance(time.Second)}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			d, err := n.GetMeta(f.ctx, "game:config")
			if err != nil || string(d.Value) != v {
				t.Fatalf("write %d: read %s, %v; want %s", i, d.Value, err, v)
			}
		}
	}
	if h := n.count(t, "meta", cache.Hit); h != 3 {
		t.Fatalf("%d metadata hits; want one per write", h)
	}
	if _, err := n.GetMeta(f.ctx, "game:absent"); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("a missing document: %v", err)
	}
}

func testPasswordHash(t *testing.T, deploy Deployment) {
	f := newFixture(t)
	n := newNode(t, f.store, deploy(t)(), f.clock)
	for range 2 {
		p, err := n.GetPlayer(f.ctx, f.player.Name)
		if err != nil || p.PasswordHash != f.player.PasswordHash {
			t.Fatalf("login would see hash %q, %v", p.PasswordHash, err)
		}
	}
	if n.count(t, "player", cache.Hit) != 1 {
		t.Fatal("the second read was not a hit")
	}
}
