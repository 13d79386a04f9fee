package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/searchtest"
)

func TestSearch(t *testing.T) {
	searchtest.Run(t, func(t *testing.T, clock gamedata.Clock) searchtest.Backend {
		s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock)
		return searchtest.Backend{Store: s, Searcher: s} // a write is searchable at its commit
	})
}

// criterion is one criterion of a search query, and the index that should
// drive the query when it is the most selective one set.
type criterion[Q any] struct {
	name, index string
	set         func(*Q)
}

// checkDrivers explains the statement chosen for every combination of the
// criteria (ordered most selective first): the first one set must drive it
// through its index, and no query scans table.
func checkDrivers[Q any](t *testing.T, s *Store, table, fallback string, criteria []criterion[Q], choose func(Q) *sql.Stmt) {
	t.Helper()
	for set := range 1 << len(criteria) {
		var q Q
		var names []string
		want := fallback
		for i := len(criteria) - 1; i >= 0; i-- {
			if set&(1<<i) != 0 {
				criteria[i].set(&q)
				names = append(names, criteria[i].name)
				want = criteria[i].index
			}
		}
		plan := explain(t, s, choose(q))
		if !strings.Contains(plan, "INDEX "+want+" ") || strings.Contains(plan, "SCAN "+table) {
			t.Errorf("search of %s by %v: %s; want it driven by %s", table, names, plan, want)
		}
	}
}

// TestSearchUsesTheMostSelectiveIndex: no search scans its table, whatever
// its criteria; each is driven by the index of its most selective one.
func TestSearchUsesTheMostSelectiveIndex(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), nil)
	n, price := 30, gamedata.Money(100)
	type P = gamedata.PlayerQuery
	checkDrivers(t, s, "players", "players_by_created", []criterion[P]{
		{"email", "players_by_email_key", func(q *P) { q.Email = "a@example.com" }},
		{"phone", "players_by_phone", func(q *P) { q.Phone = "+1 555" }},
		{"name prefix", "sqlite_autoindex_players_2", func(q *P) { q.NamePrefix = "al" }},
		{"age min", "players_by_age", func(q *P) { q.AgeMin = &n }},
		{"age max", "players_by_age", func(q *P) { q.AgeMax = &n }},
	}, func(q P) *sql.Stmt { stmt, _ := s.playerSearch(q); return stmt })

	type O = gamedata.OrderQuery
	checkDrivers(t, s, "orders", "orders_by_created", []criterion[O]{
		{"user", "orders_by_user", func(q *O) { q.User = "alice" }},
		{"item", "orders_by_item", func(q *O) { q.Item = "sword" }},
		{"min price", "orders_by_price", func(q *O) { q.MinPrice = &price }},
		{"max price", "orders_by_price", func(q *O) { q.MaxPrice = &price }},
		{"status", "orders_by_status", func(q *O) { q.Status = gamedata.OrderPaid }},
		{"from", "orders_by_created", func(q *O) { q.From = at }},
		{"to", "orders_by_created", func(q *O) { q.To = at }},
	}, func(q O) *sql.Stmt { stmt, _, _ := s.orderSearch(q); return stmt })
}

func TestPrefixEnd(t *testing.T) {
	for _, p := range []string{"a", "al", "zz", "é", "玩家", "\x7f"} {
		end := prefixEnd(p)
		for _, in := range []string{p, p + "a", p + "\U0010ffff", p + "\x7f"} {
			if !(in >= p && in < end) {
				t.Errorf("prefix %q: %q is not in [%q, %q)", p, in, p, end)
			}
		}
		for _, out := range []string{end, end + "a", p[:len(p)-1]} {
			if out >= p && out < end {
				t.Errorf("prefix %q: %q is in [%q, %q)", p, out, p, end)
			}
		}
	}
}

// The buckets are the query's periods; the first starts its range at From
// and the last ends it at To, so that orders outside [From, To) count in
// none.
func TestRevenueBuckets(t *testing.T) {
	from := time.Date(2026, 1, 31, 12, 0, 0, 0, time.UTC) // a Saturday
	to := time.Date(2026, 2, 2, 6, 0, 0, 0, time.UTC)
	q := gamedata.RevenueQuery{From: from, To: to, Interval: gamedata.IntervalDay}
	buckets, bounds, err := revenueBuckets(q)
	if err != nil {
		t.Fatal(err)
	}
	periods, _ := q.Periods()
	var starts []time.Time
	for _, b := range buckets {
		starts = append(starts, b.Start)
	}
	day := func(d int) int64 { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC).UnixNano() }
	want := fmt.Sprintf("[[%d,%d],[%d,%d],[%d,%d]]", from.UnixNano(), day(32), day(32), day(33), day(33), to.UnixNano())
	if !slices.Equal(starts, periods) || bounds != want {
		t.Errorf("buckets from %v, bounds %s; want %v and %s", starts, bounds, periods, want)
	}
	if _, _, err := revenueBuckets(gamedata.RevenueQuery{From: to, To: from, Interval: gamedata.IntervalDay}); !errors.Is(err, gamedata.ErrInvalid) {
		t.Errorf("a range that ends before it starts: %v, want %v", err, gamedata.ErrInvalid)
	}
}

// BenchmarkSearch measures one page (the API's default size) of each search
// shape, and revenue reports, over 5000 players and 10000 orders of 100
// players and 20 items spread over a year, half of them paid.
func BenchmarkSearch(b *testing.B) {
	ctx := b.Context()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	s := openTest(b, filepath.Join(b.TempDir(), "gamedata.db"), nil)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		at := start.Add(time.Duration(i) * time.Minute)
		age := 10 + rng.IntN(70)
		p := gamedata.Player{ID: gamedata.NewID(at), Name: fmt.Sprintf("Bench_%05d", i), Email: fmt.Sprintf("p%d@example.com", i),
			Phone: fmt.Sprintf("+1 555 %07d", i), Age: &age, CreatedAt: at, UpdatedAt: at, PasswordHash: "$argon2id$x"}
		if err := s.CreatePlayer(ctx, p); err != nil {
			b.Fatal(err)
		}
	}
	const orders = 10_000
	step := 365 * 24 * time.Hour / orders
	for i := range orders {
		at := start.Add(time.Duration(i) * step)
		o := gamedata.Order{ID: gamedata.NewID(at), UserName: fmt.Sprintf("Bench_%05d", rng.IntN(100)),
			Item: fmt.Sprintf("item %d", rng.IntN(20)), Amount: 1 + rng.IntN(3), Price: gamedata.Money(rng.IntN(10_000)),
			Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
		if _, _, err := s.CreateOrder(ctx, o, ""); err != nil {
			b.Fatal(err)
		}
		if i%2 == 0 {
			if _, err := s.PayOrder(ctx, o.UserName, o.ID, at); err != nil {
				b.Fatal(err)
			}
		}
	}
	age30, age35 := 30, 35
	low, high := gamedata.Money(5000), gamedata.Money(5100)
	page := gamedata.PageRequest{Limit: gamedata.DefaultPageLimit}
	for name, q := range map[string]gamedata.PlayerQuery{
		"Players/Email": {Email: "P4242@example.com"}, "Players/Phone": {Phone: "+1 555 0004242"},
		"Players/NamePrefix": {NamePrefix: "bench_04"}, "Players/AgeRange": {AgeMin: &age30, AgeMax: &age35},
		"Players/All": {},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.SearchPlayers(ctx, q, page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for name, q := range map[string]gamedata.OrderQuery{
		"Orders/User": {User: "bench_00042"}, "Orders/Item": {Item: "item 7"},
		"Orders/ItemPaid":    {Item: "item 7", Status: gamedata.OrderPaid},
		"Orders/PriceRange":  {MinPrice: &low, MaxPrice: &high},
		"Orders/Status":      {Status: gamedata.OrderUnpaid},
		"Orders/Week":        {From: start.AddDate(0, 6, 0), To: start.AddDate(0, 6, 7)},
		"Orders/UserAndTime": {User: "bench_00042", From: start.AddDate(0, 3, 0), To: start.AddDate(0, 9, 0)},
	} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := s.SearchOrders(ctx, q, page); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, iv := range []gamedata.Interval{gamedata.IntervalDay, gamedata.IntervalMonth} {
		b.Run("RevenueOfAYearPer"+string(iv), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Revenue(ctx, gamedata.RevenueQuery{From: start, To: start.AddDate(1, 0, 0), Interval: iv}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
