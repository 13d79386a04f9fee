package recs_test

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/recs"
	"github.com/gamedata-dev/gamedata/sqlite"
	"github.com/gamedata-dev/gamedata/storetest"
)

// world is a small game on a real SQLite store.
type world struct {
	t     *testing.T
	ctx   context.Context
	clock *storetest.Clock
	b     gamedata.Backend
	svc   *recs.Service
}

func newWorld(t *testing.T) *world {
	clock := storetest.NewClock(time.Now().Truncate(time.Millisecond))
	s, err := sqlite.Open(t.Context(), sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db"), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	b := s.Backend()
	w := &world{t: t, ctx: t.Context(), clock: clock, b: b}
	w.svc = &recs.Service{Recs: b.Recs, Social: b.Social, Orders: b.Store}
	return w
}

func (w *world) tick() time.Time { return w.clock.Advance(time.Millisecond) }

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) players(names ...string) {
	for _, n := range names {
		at := w.tick()
		w.must(w.b.Store.CreatePlayer(w.ctx, gamedata.Player{ID: gamedata.NewID(at), Name: n,
			Email: strings.ToLower(n) + "@secret.example", Phone: "+1 555 0199", CreatedAt: at, UpdatedAt: at,
			PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c29tZXNhbHQ$aGFzaA"}))
	}
}

func (w *world) buy(player string, items ...string) {
	for _, item := range items {
		at := w.tick()
		o := gamedata.Order{ID: gamedata.NewID(at), UserName: player, Item: item, Amount: 1, Price: 499,
			Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
		_, _, err := w.b.Store.CreateOrder(w.ctx, o, "")
		w.must(err)
		_, err = w.b.Store.PayOrder(w.ctx, player, o.ID, w.tick())
		w.must(err)
	}
}

func (w *world) befriend(a, b string) { w.must(w.b.Social.AddFriend(w.ctx, a, b, w.tick())) }

func (w *world) build(cfg recs.BuildConfig) (recs.BuildSummary, error) {
	snap, err := recs.ReadSnapshot(w.ctx, w.b.Lister, w.b.RecsSource)
	w.must(err)
	cfg.Clock = w.clock
	return recs.Build(w.ctx, snap, w.b.Recs, cfg)
}

func (w *world) recommend(player string, kind gamedata.RecKind) gamedata.Recommendations {
	w.t.Helper()
	r, err := w.svc.Recommend(w.ctx, player, kind, 10)
	w.must(err)
	return r
}

func ids(r gamedata.Recommendations) []string {
	out := make([]string, len(r.Items))
	for i, it := range r.Items {
		out[i] = it.ID
	}
	return out
}

func reasonsOf(r gamedata.Recommendations, id string) []string {
	for _, it := range r.Items {
		if it.ID == id {
			return it.Reasons
		}
	}
	return nil
}

// A small game: what friends bought, what is bought together and shared
// interests all show, with their reasons, and blending counts what changed
// since the build at once.
func TestBuildAndServe(t *testing.T) {
	w := newWorld(t)
	w.players("Alice", "Bob", "Carol", "Dave", "Erin", "Frank")
	w.buy("Bob", "sword", "shield")
	w.buy("Carol", "sword", "shield", "bow")
	w.buy("Frank", "sword", "shield")
	w.buy("Alice", "shield")
	w.must(w.b.Store.AppendEvents(w.ctx, []gamedata.Event{{ID: gamedata.NewID(w.tick()), Player: "Dave", Type: gamedata.PlayEvent,
		At: w.clock.Now(), Data: []byte(`{"item":"bow","hours":30}`), ExpiresAt: w.clock.Now().Add(time.Hour)}}))
	w.befriend("Alice", "Bob")
	w.befriend("Bob", "Carol")
	w.befriend("Carol", "Dave")
	w.must(w.b.Social.SetInterests(w.ctx, "Alice", []string{"rpg", "archery"}, w.tick()))
	w.must(w.b.Social.SetInterests(w.ctx, "Erin", []string{"rpg"}, w.tick()))

	sum, err := w.build(recs.BuildConfig{Workers: 2})
	w.must(err)
	if sum.Players != 6 || sum.Stored != 6 || sum.Resumed || sum.Friendships != 3 {
		t.Errorf("summary %+v", sum)
	}
	items := w.recommend("alice", gamedata.RecItems)
	if got := ids(items); len(got) == 0 || got[0] != "sword" || slices.Contains(got, "shield") {
		t.Fatalf("alice's items %v: want sword first, never shield (she has it)", got)
	}
	if r := reasonsOf(items, "sword"); !slices.Contains(r, "1 of your friends bought this") || !slices.Contains(r, "players of shield also play this") {
		t.Errorf("sword's reasons %v", r)
	}
	friends := w.recommend("Alice", gamedata.RecFriends)
	got := ids(friends)
	if len(got) < 2 || got[0] != "Carol" || !slices.Contains(got, "Erin") || slices.Contains(got, "Bob") || slices.Contains(got, "Alice") {
		t.Fatalf("alice's friend suggestions %v: want Carol first and Erin, never Bob nor Alice", got)
	}
	if r := reasonsOf(friends, "Carol"); !slices.Equal(r, []string{"1 friend in common"}) {
		t.Errorf("Carol's reasons %v", r)
	}
	if r := reasonsOf(friends, "Erin"); !slices.Equal(r, []string{"you both like rpg"}) {
		t.Errorf("Erin's reasons %v", r)
	}
	built := friends.GeneratedAt

	// Since the build: Alice befriends Dave, who has bought an axe; she
	// buys the sword.
	w.buy("Dave", "axe")
	w.befriend("Alice", "Dave")
	w.buy("Alice", "sword")
	items = w.recommend("Alice", gamedata.RecItems)
	if !items.GeneratedAt.Equal(built) {
		t.Errorf("generated_at %s, want the build's %s", items.GeneratedAt, built)
	}
	if got := ids(items); !slices.Contains(got, "axe") || slices.Contains(got, "sword") {
		t.Errorf("after the build: items %v, want the new friend's axe and no sword", got)
	}
	if r := reasonsOf(items, "axe"); !slices.Contains(r, "1 of your friends bought this") {
		t.Errorf("axe's reasons %v", r)
	}
	if got := ids(w.recommend("Alice", gamedata.RecFriends)); slices.Contains(got, "Dave") {
		t.Errorf("friend suggestions %v still hold the new friend Dave", got)
	}

	// Nothing private: no email or phone of anyone in any answer.
	for _, p := range []string{"Alice", "Bob", "Carol", "Dave", "Erin", "Frank"} {
		for _, kind := range []gamedata.RecKind{gamedata.RecItems, gamedata.RecFriends} {
			for _, it := range w.recommend(p, kind).Items {
				all := it.ID + " " + strings.Join(it.Reasons, " ")
				if strings.Contains(all, "@") || strings.Contains(all, "555") {
					t.Errorf("%s's %s: %q leaks private data", p, kind, all)
				}
			}
		}
	}

	// A player the build has not seen gets the popular items.
	w.players("Newbie")
	if got := ids(w.recommend("Newbie", gamedata.RecItems)); len(got) < 3 || got[0] != "shield" && got[0] != "sword" {
		t.Errorf("a new player's items %v: want the most bought first", got)
	}
}

// failingRecs fails its nth PutRecs, as a store outage would.
type failingRecs struct {
	gamedata.RecsStore
	n, calls int
}

func (f *failingRecs) PutRecs(ctx context.Context, sets []gamedata.RecSet) error {
	f.calls++
	if f.calls == f.n {
		return gamedata.Unavailable("test", errors.New("down"))
	}
	return f.RecsStore.PutRecs(ctx, sets)
}

// An interrupted build resumes after the last chunk it stored.
func TestBuildResumes(t *testing.T) {
	w := newWorld(t)
	w.players("P1", "P2", "P3", "P4", "P5")
	w.buy("P1", "a", "b")
	w.buy("P2", "a")
	snap, err := recs.ReadSnapshot(w.ctx, w.b.Lister, w.b.RecsSource)
	w.must(err)
	failing := &failingRecs{RecsStore: w.b.Recs, n: 2}
	_, err = recs.Build(w.ctx, snap, failing, recs.BuildConfig{Workers: 1, ChunkSize: 2, Clock: w.clock})
	if !errors.Is(err, recs.ErrInterrupted) || !errors.Is(err, gamedata.ErrUnavailable) {
		t.Fatalf("the failing build: %v, want ErrInterrupted and the cause", err)
	}
	state, _ := w.b.Recs.RecsBuild(w.ctx)
	if state.Done != 2 || state.After != "p2" || !state.Finished.IsZero() {
		t.Fatalf("state after the failure %+v, want 2 done up to p2", state)
	}
	sum, err := recs.Build(w.ctx, snap, w.b.Recs, recs.BuildConfig{Workers: 1, ChunkSize: 2, Clock: w.clock})
	w.must(err)
	if !sum.Resumed || sum.Skipped != 2 || sum.Stored != 3 {
		t.Errorf("resumed build %+v, want 2 skipped and 3 stored", sum)
	}
	for _, p := range []string{"p1", "p3", "p5"} {
		if _, err := w.b.Recs.GetRecs(w.ctx, p, gamedata.RecItems); err != nil {
			t.Errorf("%s has no set: %v", p, err)
		}
	}
	sum, err = recs.Build(w.ctx, snap, w.b.Recs, recs.BuildConfig{Workers: 1, ChunkSize: 2, Clock: w.clock})
	w.must(err)
	if sum.Resumed || sum.Stored != 5 {
		t.Errorf("a build after a finished one starts over: %+v", sum)
	}
}
