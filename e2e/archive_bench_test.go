package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/archive"
	"github.com/gamedata-dev/gamedata/sqlite"
	"github.com/gamedata-dev/gamedata/storetest"
)

// benchDayRows is how many rows the benchmark's day holds: about what 1,000
// writes a second store in 40 seconds, split as the seed mix writes them.
const benchDayRows = 40_000

// fillDay writes about benchDayRows rows on the day of clock's time:
// a tenth orders (half of them paid), a fifth messages, the rest events in
// batches of 20, and returns how many rows the archive gets.
func fillDay(tb testing.TB, store gamedata.Store, clock *storetest.Clock) int {
	ctx := context.Background()
	rows := 0
	players := make([]string, 200)
	for i := range players {
		now := clock.Advance(time.Millisecond)
		players[i] = fmt.Sprintf("bench%d_%s", i, randomSuffix())
		if err := store.CreatePlayer(ctx, gamedata.Player{ID: gamedata.NewID(now), Name: players[i], PasswordHash: "h",
			CreatedAt: now, UpdatedAt: now}); err != nil {
			tb.Fatal(err)
		}
		rows++
	}
	for i := 0; rows < benchDayRows; i++ {
		p := players[i%len(players)]
		now := clock.Advance(time.Millisecond)
		if i%10 == 0 {
			o := gamedata.Order{ID: gamedata.NewID(now), UserName: p, Item: "sword", Amount: 1, Price: 999,
				Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now}
			if _, _, err := store.CreateOrder(ctx, o, ""); err != nil {
				tb.Fatal(err)
			}
			rows++
			if i%20 == 0 {
				if _, err := store.PayOrder(ctx, p, o.ID, clock.Advance(time.Millisecond)); err != nil {
					tb.Fatal(err)
				}
				rows++
			}
		}
		if i%5 == 0 {
			m := gamedata.Message{ID: gamedata.NewID(now), From: p, To: players[(i+1)%len(players)], Text: "gg, rematch?",
				CreatedAt: now, ExpiresAt: now.Add(gamedata.DefaultRetention)}
			if err := store.SendMessage(ctx, m); err != nil {
				tb.Fatal(err)
			}
			rows++
		}
		evs := make([]gamedata.Event, 20)
		for j := range evs {
			at := clock.Advance(time.Microsecond)
			evs[j] = gamedata.Event{ID: gamedata.NewID(at), Player: p, Type: "match_end", At: at,
				Data: []byte(`{"score":1234,"map":"harbor","kills":7}`), ExpiresAt: at.Add(gamedata.DefaultRetention)}
		}
		if err := store.AppendEvents(ctx, evs); err != nil {
			tb.Fatal(err)
		}
		rows += len(evs)
	}
	return rows
}

// benchmarkArchiveDay archives one full day again and again (each run
// replaces it) and reports rows archived a second.
func benchmarkArchiveDay(b *testing.B, backend gamedata.Backend, clock *storetest.Clock, day gamedata.Day, rows int) {
	f, err := archive.NewFolder(filepath.Join(b.TempDir(), "archive"))
	if err != nil {
		b.Fatal(err)
	}
	job := &archive.Job{Archive: archive.New(f, clock), Source: backend.History, Leaser: backend.Leaser, Clock: clock,
		Owner: "bench", Retention: gamedata.DefaultRetention, Since: day}
	clock.Set(day.End().Add(time.Hour))
	b.ResetTimer()
	start := time.Now()
	var archived int64
	for range b.N {
		sum, err := job.Run(context.Background(), day, archive.AllDays)
		if err != nil {
			b.Fatal(err)
		}
		archived += sum.Rows
	}
	b.StopTimer()
	if archived != int64(b.N*rows) {
		b.Fatalf("archived %d rows, want %d", archived, b.N*rows)
	}
	b.ReportMetric(float64(archived)/time.Since(start).Seconds(), "rows/s")
}

func BenchmarkArchiveDay(b *testing.B) {
	day := gamedata.DayOf(time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC))
	b.Run("sqlite", func(b *testing.B) {
		clock := storetest.NewClock(day.Start().Add(time.Hour))
		st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(b.TempDir(), "gamedata.db"), Clock: clock})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		rows := fillDay(b, st, clock)
		benchmarkArchiveDay(b, st.Backend(), clock, day, rows)
	})
	calls := 0
	b.Run("cassandra", func(b *testing.B) {
		// The keyspace is shared: each call of this function (the testing
		// package makes several) fills a day of its own.
		calls++
		day := day.Add(-calls)
		clock := storetest.NewClock(day.Start().Add(time.Hour))
		st := archiveBackends["cassandra"](b, clock)
		rows := fillDay(b, st.backend.Store, clock)
		benchmarkArchiveDay(b, st.backend, clock, day, rows)
	})
}

// TestFillArchiveBenchStore writes a day of rows, dated yesterday, into the
// SQLite file GAMEDATA_ARCHIVE_BENCH_DB names, for scripts/archive-bench,
// which measures the seed mix with and without the archive job reading it.
func TestFillArchiveBenchStore(t *testing.T) {
	path := os.Getenv("GAMEDATA_ARCHIVE_BENCH_DB")
	if path == "" {
		t.Skip("GAMEDATA_ARCHIVE_BENCH_DB is not set: scripts/archive-bench sets it")
	}
	yesterday := gamedata.DayOf(time.Now()).Add(-1)
	clock := storetest.NewClock(yesterday.Start().Add(time.Hour))
	st, err := sqlite.Open(context.Background(), sqlite.Config{Path: path, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	t.Logf("wrote %d rows on %s", fillDay(t, st, clock), yesterday)
}
