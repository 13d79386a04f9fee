package opensearch_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/opensearch"
	"github.com/gamedata-dev/gamedata/storetest"
)

// scanHook is a PlayerLister that calls hook after the first n players of
// its scan, which is a snapshot taken when the scan starts.
type scanHook struct {
	src  *memSource
	n    int
	hook func()
}

func (s scanHook) ListAllPlayers(ctx context.Context, fn func(gamedata.Player) error) error {
	i := 0
	return s.src.ListAllPlayers(ctx, func(p gamedata.Player) error {
		if i == s.n {
			s.hook()
		}
		i++
		return fn(p)
	})
}

func TestReindexUsersLosesNoConcurrentWrite(t *testing.T) {
	cl := newCluster(t)
	src := newMemSource()
	w := newWorkload(src, start)
	ix := newIndexer(t, cl.c, src, nil)
	w.run(t, 30)
	drain(t, ix, cl.c)
	old := cl.holders("users")

	// While the scan runs: players it has passed change, a player it cannot
	// see is made; the indexer indexes some of that during the scan, the
	// rest after the swap.
	lister := scanHook{src: src, n: 10, hook: func() {
		for _, name := range w.names[:20] {
			w.updatePlayer(t, name)
		}
		w.player(t)
		drain(t, ix, cl.c)
		w.updatePlayer(t, w.names[0])
		w.player(t)
	}}
	rep, err := cl.c.ReindexUsers(t.Context(), lister, opensearch.ReindexOptions{
		BatchSize: 7, Clock: storetest.NewClock(start.AddDate(0, 0, 1)), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	drain(t, ix, cl.c)

	if rep.Players != 30 || !slices.Equal(rep.Deleted, prefixed(cl, old)) {
		t.Errorf("report: %d players, deleted %v; want the 30 scanned and %v", rep.Players, rep.Deleted, old)
	}
	if got := cl.holders("users"); len(got) != 1 || cl.cfg.Prefix+got[0] != rep.Index {
		t.Errorf("alias users on %v, want the new index %s alone", got, rep.Index)
	}
	if got := cl.family("users"); len(got) != 1 {
		t.Errorf("users indices %v, want only the new one", got)
	}
	w.verify(t, cl)

	// Nothing is left half done: a second reindex runs without Restart.
	if _, err := cl.c.ReindexUsers(t.Context(), src, opensearch.ReindexOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}); err != nil {
		t.Fatal(err)
	}
	w.verify(t, cl)
}

func TestReindexUsersRestartsAnUnfinishedOne(t *testing.T) {
	cl := newCluster(t)
	src := newMemSource()
	w := newWorkload(src, start)
	w.run(t, 5)
	drain(t, newIndexer(t, cl.c, src, nil), cl.c)
	// What a reindex that stopped half way leaves.
	cl.call(http.MethodPut, "/"+cl.cfg.Prefix+"users-19990101-000000", map[string]any{
		"aliases": map[string]any{cl.cfg.Prefix + "users-reindex": map[string]any{}}})

	quiet := opensearch.ReindexOptions{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := cl.c.ReindexUsers(t.Context(), src, quiet); err == nil {
		t.Fatal("a reindex ran over an unfinished one without Restart")
	}
	w.verify(t, cl) // untouched

	quiet.Restart = true
	if _, err := cl.c.ReindexUsers(t.Context(), src, quiet); err != nil {
		t.Fatal(err)
	}
	if got := cl.family("users"); len(got) != 1 || got[0] == "users-19990101-000000" {
		t.Errorf("users indices %v, want one new one", got)
	}
	w.verify(t, cl)
}

// prefixed returns names with the test's prefix.
func prefixed(cl *cluster, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = cl.cfg.Prefix + n
	}
	return out
}

// Players, orders, payments, updates and messages written through the
// SQLite store end up in the indices exactly as stored, and `reindex users`
// over its scan rebuilds the users index (see testIndexAndReindex).
func TestIndexAndReindexFromSQLite(t *testing.T) {
	testIndexAndReindex(t, openSQLite(t, gamedata.SystemClock{}))
}

// testIndexAndReindex writes through a store, drains its feed into the
// indices, which then hold every row as stored, and has `reindex users`
// rebuild the users index over the store's scan (its PlayerLister): the new
// index holds every player, and the alias moves onto it.
func testIndexAndReindex(t *testing.T, st interface {
	source
	gamedata.PlayerLister
}) {
	cl := newCluster(t)
	w := newWorkload(st, time.Now().UTC().Truncate(time.Millisecond))
	ix := newIndexer(t, cl.c, st, nil)
	w.run(t, 40)
	drain(t, ix, cl.c)
	w.verify(t, cl)
	if n := pending(t, st); n != 0 {
		t.Errorf("after the drain the feed reports %d changes pending", n)
	}

	old := cl.holders("users")
	rep, err := cl.c.ReindexUsers(t.Context(), st, opensearch.ReindexOptions{
		BatchSize: 7, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Clock: storetest.NewClock(time.Now().AddDate(0, 0, 1)), // names the new index apart from the first
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Players != int64(len(w.players)) || !slices.Equal(rep.Deleted, prefixed(cl, old)) {
		t.Errorf("report: %d players, deleted %v; want the %d stored and %v", rep.Players, rep.Deleted, len(w.players), old)
	}
	if got := cl.holders("users"); len(got) != 1 || cl.cfg.Prefix+got[0] != rep.Index {
		t.Errorf("alias users on %v, want the new index %s alone", got, rep.Index)
	}
	w.run(t, 4) // the indexer writes through the new alias
	drain(t, ix, cl.c)
	w.verify(t, cl)
}
