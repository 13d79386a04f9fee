package opensearch_test

import (
	"context"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/opensearch"
	"github.com/gamedata-dev/gamedata/opensearch/opensearchtest"
	"github.com/gamedata-dev/gamedata/searchtest"
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
// Cassandra store end up in the indices exactly as stored, and `reindex
// users` over its scan rebuilds the users index (see testIndexAndReindex).
func TestIndexAndReindexFromCassandra(t *testing.T) {
	testIndexAndReindex(t, openCassandra(t, cassandratest.Keyspace(t), gamedata.SystemClock{}))
}
