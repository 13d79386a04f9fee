package cassandra_test

import (
	"flag"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
)

// feedBenchRuns counts the runs of BenchmarkFeedCost, to alternate the
// order of its two modes.
var feedBenchRuns int

// BenchmarkFeedCost measures what the change feed adds to each write that
// records a change: the same operation on the same store with the feed on
// (feed=on) and switched off (feed=off), in one run, the order of the two
// alternating from one run to the next:
//
//	go test -run '^$' -bench FeedCost -count 6 ./cassandra/ > feed.txt
//	go run golang.org/x/perf/cmd/benchstat@latest -col /feed feed.txt
func BenchmarkFeedCost(b *testing.B) {
	s := open(b, keyspace(b))
	modes := []bool{false, true}
	if feedBenchRuns%2 == 1 {
		modes = []bool{true, false}
	}
	feedBenchRuns++
	ops := []struct {
		name string
		run  func(b *testing.B, s *cassandra.Store)
	}{
		{"CreatePlayer", benchCreatePlayer},
		{"UpdatePlayer", benchUpdatePlayer},
		{"CreateOrder", func(b *testing.B, s *cassandra.Store) { benchCreateOrder(b, s, false) }},
		{"CreateOrderWithKey", func(b *testing.B, s *cassandra.Store) { benchCreateOrder(b, s, true) }},
		{"PayOrder", benchPayOrder},
		{"SendMessage", benchSendMessage},
	}
	for _, op := range ops {
		for _, on := range modes {
			mode := "off"
			if on {
				mode = "on"
			}
			b.Run(fmt.Sprintf("op=%s/feed=%s", op.name, mode), func(b *testing.B) {
				s.SetFeedOff(!on)
				defer s.SetFeedOff(false)
				op.run(b, s)
			})
		}
	}
}

func benchPlayer(name string) gamedata.Player {
	at := time.Now().UTC()
	return gamedata.Player{ID: gamedata.NewID(at), Name: name, Email: "bench@example.com", CreatedAt: at, UpdatedAt: at,
		PasswordHash: "$argon2id$v=19$m=65536,t=1,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"}
}

func benchCreatePlayer(b *testing.B, s *cassandra.Store) {
	prefix := benchName("new")
	i := 0
	for b.Loop() {
		i++
		if err := s.CreatePlayer(b.Context(), benchPlayer(fmt.Sprint(prefix, "_", i))); err != nil {
			b.Fatal(err)
		}
	}
}

func benchUpdatePlayer(b *testing.B, s *cassandra.Store) {
	p := benchPlayer(benchName("changing"))
	if err := s.CreatePlayer(b.Context(), p); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		age := int(time.Now().UnixNano() % 90)
		if _, err := s.UpdatePlayer(b.Context(), p.Name, gamedata.PlayerUpdate{Age: &age, UpdatedAt: time.Now().UTC()}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchOrder(user string) gamedata.Order {
	at := time.Now().UTC()
	return gamedata.Order{ID: gamedata.NewID(at), UserName: user, Item: "gem pack", Amount: 1, Price: 4_99,
		Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
}

func benchCreateOrder(b *testing.B, s *cassandra.Store, keyed bool) {
	user := benchName("buyer")
	i := 0
	for b.Loop() {
		i++
		key := ""
		if keyed {
			key = fmt.Sprint("checkout-", i)
		}
		if _, _, err := s.CreateOrder(b.Context(), benchOrder(user), key); err != nil {
			b.Fatal(err)
		}
	}
}

func benchPayOrder(b *testing.B, s *cassandra.Store) {
	user := benchName("payer")
	for b.Loop() {
		b.StopTimer()
		o, _, err := s.CreateOrder(b.Context(), benchOrder(user), "")
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := s.PayOrder(b.Context(), user, o.ID, time.Now().UTC()); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSendMessage(b *testing.B, s *cassandra.Store) {
	from, to := benchName("sender"), benchName("receiver")
	for b.Loop() {
		at := time.Now().UTC()
		m := gamedata.Message{ID: gamedata.NewID(at), From: from, To: to, Text: "gg, rematch? 🎮", CreatedAt: at,
			ExpiresAt: at.Add(gamedata.DefaultRetention)}
		if err := s.SendMessage(b.Context(), m); err != nil {
			b.Fatal(err)
		}
	}
}

// feedRate is the steady write load of BenchmarkFeedDelivery.
var feedRate = flag.Int("feed-rate", 400, "writes per second of BenchmarkFeedDelivery")

// BenchmarkFeedDelivery measures how long a change takes from the return of
// its write to its delivery by ReadChanges: b.N orders created at
// -feed-rate a second by 8 concurrent writers, while one consumer reads
// (batches of up to 500, committed at once, a poll every 100ms when a batch
// is not full), as the indexer does. It reports the percentiles of that
// delay, which is what the change feed adds to the time a write takes to
// become searchable:
//
//	go test ./cassandra/ -run '^$' -bench FeedDelivery -benchtime 6000x -feed-rate 400
func BenchmarkFeedDelivery(b *testing.B) {
	s := open(b, keyspace(b))
	consumer := benchName("delivery")
	ctx := b.Context()
	read := func() int {
		batch, err := s.ReadChanges(ctx, consumer, 500)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.CommitChanges(ctx, consumer, batch.Cursor); err != nil {
			b.Fatal(err)
		}
		return len(batch.Changes)
	}
	for read() > 0 { // catch up with the feed of the other tests
	}

	const writers = 8
	var (
		mu      sync.Mutex
		written = map[uuid.UUID]time.Time{} // order id -> when its create returned
		early   = map[uuid.UUID]time.Time{} // order id -> when it was read, before its create returned
		lat     []time.Duration
	)
	user := benchName("steady")
	done := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		for {
			batch, err := s.ReadChanges(ctx, consumer, 500)
			if err != nil {
				b.Error(err)
				return
			}
			now := time.Now()
			mu.Lock()
			for _, c := range batch.Changes {
				if at, ok := written[c.OrderID]; ok {
					lat = append(lat, now.Sub(at))
					delete(written, c.OrderID)
				} else {
					early[c.OrderID] = now
				}
			}
			left := len(written)
			mu.Unlock()
			if err := s.CommitChanges(ctx, consumer, batch.Cursor); err != nil {
				b.Error(err)
				return
			}
			select {
			case <-done:
				if left == 0 {
					return
				}
			default:
			}
			if len(batch.Changes) < 500 {
				time.Sleep(100 * time.Millisecond)
			}
		}
	}()

	b.ResetTimer()
	g, gctx := errgroup.WithContext(ctx)
	per := b.N / writers
	for w := range writers {
		n := per
		if w == 0 {
			n += b.N % writers
		}
		g.Go(func() error {
			t := time.NewTicker(time.Second * writers / time.Duration(*feedRate))
			defer t.Stop()
			for range n {
				<-t.C
				o := benchOrder(user)
				if _, _, err := s.CreateOrder(gctx, o, ""); err != nil {
					return err
				}
				mu.Lock()
				if _, ok := early[o.ID]; ok {
					lat = append(lat, 0) // read before the write returned
					delete(early, o.ID)
				} else {
					written[o.ID] = time.Now()
				}
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		b.Fatal(err)
	}
	close(done)
	select {
	case <-readerDone:
	case <-time.After(time.Minute):
		b.Fatalf("%d changes not delivered a minute after the last write", len(written))
	}
	b.StopTimer()
	slices.Sort(lat)
	if len(lat) != b.N {
		b.Fatalf("%d of %d changes delivered", len(lat), b.N)
	}
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))]) / 1e6 }
	b.ReportMetric(pct(0.5), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(pct(1), "max-ms")
}
