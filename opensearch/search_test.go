package opensearch_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"testing"

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
		return searchtest.Backend{Store: st, Searcher: searcher, Sync: func(t *testing.T) { opensearchtest.Sync(t, ix, c) }}
	})
}

func TestSearcherReportsAnOutageAsUnavailable(t *testing.T) {
	cl := newCluster(t)
	p := newProxy(t, cl.cfg.URLs[0])
	c := cl.via(p.url())
	if err := c.Setup(t.Context()); err != nil {
		t.Fatal(err)
	}
	p.stop()
	s := opensearch.NewSearcher(c)
	_, errPlayers := s.SearchPlayers(t.Context(), gamedata.PlayerQuery{Email: "a@b.example"}, gamedata.PageRequest{})
	_, errOrders := s.SearchOrders(t.Context(), gamedata.OrderQuery{}, gamedata.PageRequest{})
	_, errRevenue := s.Revenue(t.Context(), gamedata.RevenueQuery{From: start, To: start.AddDate(0, 0, 1), Interval: gamedata.IntervalDay})
	for what, err := range map[string]error{"players": errPlayers, "orders": errOrders, "revenue": errRevenue, "ping": c.Ping(t.Context())} {
		if !errors.Is(err, gamedata.ErrUnavailable) {
			t.Errorf("%s with the cluster away: %v, want %v", what, err, gamedata.ErrUnavailable)
		}
	}
	// A page token from elsewhere is bad input, whatever the cluster's state.
	if _, err := s.SearchOrders(t.Context(), gamedata.OrderQuery{}, gamedata.PageRequest{Token: "not-a-token"}); !errors.Is(err, gamedata.ErrInvalid) {
		t.Errorf("a bad page token: %v, want %v", err, gamedata.ErrInvalid)
	}
}
