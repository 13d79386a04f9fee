package opensearch_test

import (
	"flag"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/opensearch"
	"github.com/gamedata-dev/gamedata/storetest"
)

// outage is how long TestIndexerSurvivesOutage keeps the node away; run
// with -outage=3m to see the indexer wait out minutes.
var outage = flag.Duration("outage", 3*time.Second, "how long TestIndexerSurvivesOutage keeps OpenSearch unreachable")

// start is a time inside a week and a month, far from their ends.
var start = time.Date(2026, 11, 11, 10, 0, 0, 0, time.UTC)

func TestIndexerIndexesTheStoreState(t *testing.T) {
	cl := newCluster(t)
	src := newMemSource()
	w := newWorkload(src, start)
	reg := prometheus.NewRegistry()
	ix := newIndexer(t, cl.c, src, reg)

	w.run(t, 40)
	// An expired message is gone from the store: it is not indexed.
	expired := gamedata.Message{ID: gamedata.NewID(start), From: w.names[0], To: w.names[1], Text: "old",
		CreatedAt: start.AddDate(-2, 0, 0), ExpiresAt: start.AddDate(-1, 0, 0)}
	if err := src.SendMessage(t.Context(), expired); err != nil {
		t.Fatal(err)
	}
	drain(t, ix, cl.c)
	w.verify(t, cl)
	if n := pending(t, src); n != 0 {
		t.Errorf("%d changes left in the feed after a drain", n)
	}
	if got, want := metric(t, reg, "gamedata_indexer_indexed_total"), float64(len(w.players)+len(w.orders)+len(w.messages)); got < want {
		t.Errorf("gamedata_indexer_indexed_total = %v, want at least %v", got, want)
	}

	// Replaying the whole feed (a crash before a commit) changes nothing.
	replay := newMemSource()
	replay.log, replay.logTimes, replay.players, replay.orders = src.log, src.logTimes, src.players, src.orders
	drain(t, newIndexer(t, cl.c, replay, nil), cl.c)
	w.verify(t, cl)
}

func TestIndexerSurvivesOutage(t *testing.T) {
	cl := newCluster(t)
	// Templates and the users index exist, as after an earlier run.
	if err := cl.c.Setup(t.Context()); err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, cl.cfg.URLs[0])
	p.stop()
	src := newMemSource()
	w := newWorkload(src, start)
	reg := prometheus.NewRegistry()
	stop := runIndexer(t, newIndexer(t, cl.via(p.url()), src, reg))

	// Writes keep succeeding while the node is away; the feed grows.
	deadline := time.Now().Add(*outage)
	for time.Now().Before(deadline) {
		w.run(t, 5)
		time.Sleep(100 * time.Millisecond)
	}
	want := int64(len(src.log))
	if n := pending(t, src); n != want {
		t.Fatalf("%d changes pending while the node is away, want all %d", n, want)
	}
	eventually(t, 5*time.Second, "the indexer reports errors and lag", func() bool {
		return metric(t, reg, "gamedata_indexer_errors_total") > 0 && metric(t, reg, "gamedata_change_feed_backlog") == float64(want)
	})
	if docs := cl.docs("orders"); len(docs) != 0 {
		t.Fatalf("%d orders indexed through a stopped proxy", len(docs))
	}

	p.start()
	back := time.Now()
	eventually(t, time.Minute, "the indexer catches up", func() bool { return pending(t, src) == 0 })
	t.Logf("%d changes made while the node was away for %s, all indexed %s after it came back",
		want, *outage, time.Since(back).Round(time.Millisecond))
	stop()
	w.verify(t, cl)
}

func TestIndexerKilledMidBulkLosesAndDuplicatesNothing(t *testing.T) {
	cl := newCluster(t)
	if err := cl.c.Setup(t.Context()); err != nil {
		t.Fatal(err)
	}
	p := newProxy(t, cl.cfg.URLs[0])
	src := newMemSource()
	w := newWorkload(src, start)
	w.run(t, 30)

	// 1. Every answer is cut off after the node got the request: the bulk
	// is applied, the indexer never hears so, and it is killed retrying.
	p.cut.Store(true)
	stop := runIndexer(t, newIndexer(t, cl.via(p.url()), src, nil))
	eventually(t, 30*time.Second, "bulk requests reach the node", func() bool { return len(cl.docs("orders")) > 0 })
	stop()
	if n := pending(t, src); n != int64(len(src.log)) {
		t.Fatalf("%d of %d changes pending after bulks that got no answer", n, len(src.log))
	}

	// 2. More writes, and a kill while the bulk request is in flight.
	w.run(t, 30)
	p.cut.Store(false)
	p.hold.Store(true)
	before := p.answered.Load()
	stop = runIndexer(t, newIndexer(t, cl.via(p.url()), src, nil))
	eventually(t, 30*time.Second, "a request in flight", func() bool { return p.answered.Load() > before })
	stop()
	if n := pending(t, src); n != int64(len(src.log)) {
		t.Fatalf("%d of %d changes pending after a kill mid-request", n, len(src.log))
	}

	// 3. A restarted indexer replays the batches: nothing lost, nothing twice.
	p.hold.Store(false)
	drain(t, newIndexer(t, cl.via(p.url()), src, nil), cl.c)
	w.verify(t, cl)
}

func TestIndexerRetriesRefusedDocumentsWithoutCommitting(t *testing.T) {
	cl := newCluster(t)
	src := newMemSource()
	w := newWorkload(src, start)
	ix := newIndexer(t, cl.c, src, nil)
	buyer := w.player(t)
	november := w.order(t, buyer.Name)
	drain(t, ix, cl.c)

	// November's orders index refuses writes: paying a November order in
	// December fails, while a December order in the same batch goes through.
	w.clock.Set(start.AddDate(0, 1, 0))
	cl.call(http.MethodPost, "/"+cl.cfg.Prefix+"orders-*/_close", nil)
	w.pay(t, november)
	december := w.order(t, buyer.Name)
	stop := runIndexer(t, ix)
	eventually(t, 30*time.Second, "the December order is indexed", func() bool {
		for _, h := range cl.docs("orders-2026.12-*") { // not the alias: it holds a closed index
			if h.ID == december.ID.String() {
				return true
			}
		}
		return false
	})
	if n := pending(t, src); n != 2 {
		t.Fatalf("%d changes pending while a document is refused, want the 2 of the batch", n)
	}

	cl.call(http.MethodPost, "/"+cl.cfg.Prefix+"orders-*/_open", nil)
	eventually(t, 30*time.Second, "the refused document is indexed", func() bool { return pending(t, src) == 0 })
	stop()
	w.verify(t, cl)
}

func TestIndexerWaitsForARowThatLagsItsChange(t *testing.T) {
	cl := newCluster(t)
	src := newMemSource()
	w := newWorkload(src, start)
	buyer := w.player(t)
	clock := storetest.NewClock(start)
	ix, err := opensearch.NewIndexer(cl.c, src, src, opensearch.IndexerConfig{
		Consumer: "test-region", Clock: clock, MissingRowGrace: time.Minute, MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 100 * time.Millisecond, Registerer: prometheus.NewRegistry(),
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}

	// The record of an order is there; its row comes 30 (clock) seconds later.
	late := gamedata.Order{ID: gamedata.NewID(start), UserName: buyer.Name, Item: "late", Amount: 1, Price: 100,
		Status: gamedata.OrderUnpaid, CreatedAt: start, UpdatedAt: start}
	src.announce(late, start)
	stop := runIndexer(t, ix)
	clock.Advance(30 * time.Second)
	time.Sleep(500 * time.Millisecond) // some retries
	if n := pending(t, src); n != 2 {
		t.Fatalf("%d changes pending while a row is missing within the grace, want 2 (the player's, the order's)", n)
	}
	src.putOrder(late)
	w.orders[late.ID] = late
	eventually(t, 30*time.Second, "the late row is indexed", func() bool { return pending(t, src) == 0 })

	// A record whose row never comes is skipped once the grace is over.
	src.announce(gamedata.Order{ID: gamedata.NewID(clock.Now()), UserName: buyer.Name}, clock.Now())
	time.Sleep(300 * time.Millisecond)
	if n := pending(t, src); n != 1 {
		t.Fatalf("%d changes pending, want the one whose row is missing", n)
	}
	clock.Advance(time.Minute)
	eventually(t, 30*time.Second, "the change without a row is skipped", func() bool { return pending(t, src) == 0 })
	stop()
	w.verify(t, cl)
}
