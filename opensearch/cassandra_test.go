package opensearch_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/opensearch"
	"github.com/gamedata-dev/gamedata/opensearch/opensearchtest"
	"github.com/gamedata-dev/gamedata/searchtest"
	"github.com/gamedata-dev/gamedata/storetest"
)

// openCassandra opens a Cassandra store on cfg's keyspace with clock,
// closed when t ends.
func openCassandra(t testing.TB, cfg cassandra.Config, clock gamedata.Clock) *cassandra.Store {
	t.Helper()
	cfg.Clock = clock
	st, err := cassandra.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close cassandra: %v", err)
		}
	})
	return st
}

// TestSearchOnCassandra runs the search conformance suite against
// OpenSearch fed by the Cassandra store's change feed through the Indexer:
// the same answers as SQL over SQLite. One keyspace serves the whole run
// and the indexer of each test takes the feed over from the last one's
// position, as a restarted indexer does.
func TestSearchOnCassandra(t *testing.T) {
	c := opensearchtest.Open(t, opensearchtest.Require(t)) // one prefix for the run
	ks := cassandratest.Keyspace(t)
	// Each test's store is new, so it resumes from the stored watermark and
	// reads up to a margin of the last test's records again: keep it short
	// (writes here are sequential, none arrives late).
	ks.FeedMargin = 2 * time.Second
	searcher := opensearch.NewSearcher(c)
	searchtest.Run(t, func(t *testing.T, clock gamedata.Clock) searchtest.Backend {
		st := openCassandra(t, ks, clock)
		ix := newIndexer(t, c, st, nil)
		return searchtest.Backend{Store: st, Searcher: searcher, Sync: func(t *testing.T) { opensearchtest.Sync(t, ix, c) }}
	})
}

// Players, orders, payments, updates and messages written through the
// Cassandra store end up in the indices exactly as stored; `reindex users`
// over the store's scan (its PlayerLister) rebuilds the users index with
// every player and swaps the alias onto it.
func TestIndexAndReindexFromCassandra(t *testing.T) {
	cl := newCluster(t)
	st := openCassandra(t, cassandratest.Keyspace(t), gamedata.SystemClock{})
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
