package opensearch_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/opensearch"
	"github.com/gamedata-dev/gamedata/opensearch/opensearchtest"
	"github.com/gamedata-dev/gamedata/searchtest"
	"github.com/gamedata-dev/gamedata/sqlite"
)

// openSQLite opens a fresh SQLite store with its change feed, closed when t
// ends.
func openSQLite(t testing.TB, clock gamedata.Clock) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db"), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close sqlite: %v", err)
		}
	})
	return st
}

// TestSearch runs the search conformance suite against OpenSearch fed by
// the SQLite store's change feed through the Indexer: the same answers as
// SQL over SQLite.
func TestSearch(t *testing.T) {
	c := opensearchtest.Open(t, opensearchtest.Require(t)) // one prefix for the run
	searcher := opensearch.NewSearcher(c)
	searchtest.Run(t, func(t *testing.T, clock gamedata.Clock) searchtest.Backend {
		st := openSQLite(t, clock)
		ix, err := opensearch.NewIndexer(c, st, st, opensearch.IndexerConfig{
			Consumer: "search-test", Clock: clock, Registerer: prometheus.NewRegistry(),
			Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		return searchtest.Backend{Store: st, Searcher: searcher, Sync: func(t *testing.T) {
			t.Helper()
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			if err := ix.Drain(ctx); err != nil {
				t.Fatalf("drain the change feed: %v", err)
			}
			if err := c.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
		}}
	})
}
