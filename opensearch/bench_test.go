package opensearch_test

import (
	"flag"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// benchRate is the steady write load of BenchmarkWriteToSearchable.
var benchRate = flag.Int("rate", 300, "writes per second of BenchmarkWriteToSearchable")

// BenchmarkWriteToSearchable measures how long a write takes to become
// searchable: b.N writes at -rate writes per second through the SQLite
// store (three in four create an order, one in four pays one), the indexer
// running as in serve (100ms polls, batches of up to 500) and the indices
// refreshing every second. A poller searches every 20ms for the orders
// created and not yet seen; the time from a create's return to the poll
// that first finds it is its latency. Run it long enough to reach a steady
// state:
//
//	go test ./opensearch -run '^$' -bench WriteToSearchable -benchtime 6000x -rate 300
func BenchmarkWriteToSearchable(b *testing.B) {
	cl := newCluster(b)
	st := openSQLite(b, gamedata.SystemClock{})
	w := newWorkload(st, time.Now().UTC())
	buyers := make([]string, 20)
	for i := range buyers {
		buyers[i] = w.player(b).Name
	}
	stop := runIndexer(b, newIndexer(b, cl.c, st, nil))
	defer stop()

	var (
		mu      sync.Mutex
		written = map[string]time.Time{} // id -> when the create returned
		lat     []time.Duration
		done    = make(chan struct{})
	)
	pollerDone := make(chan struct{})
	stopPoller := sync.OnceFunc(func() { close(done); <-pollerDone })
	defer stopPoller()
	go func() {
		defer close(pollerDone)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
			case <-done:
				return
			}
			mu.Lock()
			ids := make([]string, 0, len(written))
			for id := range written {
				ids = append(ids, id)
			}
			mu.Unlock()
			if len(ids) == 0 {
				continue
			}
			found, err := cl.searchIDs("orders", map[string]any{"size": len(ids), "_source": false,
				"query": map[string]any{"ids": map[string]any{"values": ids}}})
			if err != nil {
				// A new index is in the alias a moment before its shard
				// starts: the next poll finds it.
				b.Log(err)
				continue
			}
			now := time.Now()
			mu.Lock()
			for _, id := range found {
				if at, ok := written[id]; ok {
					lat = append(lat, now.Sub(at))
					delete(written, id)
				}
			}
			mu.Unlock()
		}
	}()

	interval := time.Second / time.Duration(*benchRate)
	var unpaid []gamedata.Order
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		if i%4 == 3 && len(unpaid) > 0 {
			o := unpaid[0]
			unpaid = unpaid[1:]
			if _, err := st.PayOrder(b.Context(), o.UserName, o.ID, time.Now().UTC()); err != nil {
				b.Fatal(err)
			}
			continue
		}
		o := w.orderAt(b, buyers[i%len(buyers)], time.Now().UTC())
		mu.Lock()
		written[o.ID.String()] = time.Now()
		mu.Unlock()
		unpaid = append(unpaid, o)
	}
	elapsed := time.Since(start)
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		left := len(written)
		mu.Unlock()
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			fs, err := st.FeedStatus(b.Context(), "test-region")
			b.Fatalf("%d orders not searchable a minute after the last write; the indexer's feed: %+v (%v)", left, fs, err)
		}
	}
	b.StopTimer()
	stopPoller()

	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "writes/s")
	b.ReportMetric(float64(pct(0.50).Milliseconds()), "p50-ms")
	b.ReportMetric(float64(pct(0.99).Milliseconds()), "p99-ms")
	b.ReportMetric(float64(lat[len(lat)-1].Milliseconds()), "max-ms")
	b.Log(fmt.Sprintf("%d writes at %.0f/s, %d creates measured: p50 %s, p99 %s, max %s",
		b.N, float64(b.N)/elapsed.Seconds(), len(lat), pct(0.50), pct(0.99), lat[len(lat)-1]))
}

// searchIDs runs a search on this test's index (alias or pattern) and
// returns the ids found.
func (cl *cluster) searchIDs(index string, body map[string]any) ([]string, error) {
	out, err := cl.try(http.MethodPost, "/"+cl.cfg.Prefix+index+"/_search?ignore_unavailable=true&allow_no_indices=true", body)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, h := range out["hits"].(map[string]any)["hits"].([]any) {
		ids = append(ids, h.(map[string]any)["_id"].(string))
	}
	return ids, nil
}
