package cassandra_test

import (
	"fmt"
	"testing"
	"time"

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
