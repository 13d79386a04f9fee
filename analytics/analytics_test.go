package analytics_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/analytics"
	"github.com/gamedata-dev/gamedata/archive"
	"github.com/gamedata-dev/gamedata/archive/s3test"
	"github.com/gamedata-dev/gamedata/sqlite"
	"github.com/gamedata-dev/gamedata/storetest"
)

// fill writes five days of orders, messages and events to a SQLite store
// and archives them into b; it returns the revenue of the paid orders in
// cents and the day of the first write.
func fill(t *testing.T, b archive.Bucket) (cents int64, first gamedata.Day) {
	ctx := context.Background()
	start := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
	clock := storetest.NewClock(start)
	s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db"), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	for d := range 5 {
		clock.Set(start.AddDate(0, 0, d))
		for i := range 4 {
			now := clock.Advance(time.Minute)
			name := "p" + string(rune('a'+i))
			if d == 0 {
				if err := s.CreatePlayer(ctx, gamedata.Player{ID: gamedata.NewID(now), Name: name, PasswordHash: "h", CreatedAt: now, UpdatedAt: now}); err != nil {
					t.Fatal(err)
				}
			}
			o := gamedata.Order{ID: gamedata.NewID(now), UserName: name, Item: []string{"sword", "gem"}[i%2], Amount: 2,
				Price: gamedata.Money(150 + i), Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now}
			if _, _, err := s.CreateOrder(ctx, o, ""); err != nil {
				t.Fatal(err)
			}
			if i%2 == 0 {
				if _, err := s.PayOrder(ctx, name, o.ID, clock.Advance(time.Second)); err != nil {
					t.Fatal(err)
				}
				cents += int64(o.Price) * 2
			}
			m := gamedata.Message{ID: gamedata.NewID(now), From: name, To: "pa", Text: "hi", CreatedAt: now, ExpiresAt: now.AddDate(1, 0, 0)}
			if err := s.SendMessage(ctx, m); err != nil {
				t.Fatal(err)
			}
			ev := gamedata.Event{ID: gamedata.NewID(now), Player: name, Type: "login", At: now, Data: []byte(`{"lvl": 2}`), ExpiresAt: now.AddDate(1, 0, 0)}
			if err := s.AppendEvents(ctx, []gamedata.Event{ev}); err != nil {
				t.Fatal(err)
			}
		}
	}
	clock.Set(start.AddDate(0, 0, 6))
	b2 := s.Backend()
	job := &archive.Job{Archive: archive.New(b, clock), Source: b2.History, Leaser: b2.Leaser, Clock: clock,
		Owner: "test", Retention: gamedata.DefaultRetention, Since: gamedata.DayOf(start)}
	if _, err := job.Run(ctx, gamedata.Day{}, archive.MissingDays); err != nil {
		t.Fatal(err)
	}
	return cents, gamedata.DayOf(start)
}

func TestQueryAndReportOverLocalAndS3(t *testing.T) {
	for name, bucket := range map[string]func(t *testing.T) archive.Bucket{
		"folder": func(t *testing.T) archive.Bucket {
			f, err := archive.NewFolder(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return f
		},
		"s3": func(t *testing.T) archive.Bucket { return s3test.Bucket(t) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			b := bucket(t)
			cents, first := fill(t, b)
			db, err := analytics.Open(ctx, archive.New(b, gamedata.SystemClock{}), filepath.Join(t.TempDir(), "cache"))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			res, err := db.Query(ctx, `SELECT count(*) AS n, sum(price * amount) AS revenue FROM orders
				WHERE dt >= DATE '2026-05-03' AND status = 'paid'`)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := res.Write(&out, analytics.FormatCSV); err != nil {
				t.Fatal(err)
			}
			// Days 3, 4 and 5: 2 paid orders each, of 150 and 152 cents x 2.
			if want := "n,revenue\n6,18.12\n"; out.String() != want {
				t.Errorf("csv:\n%s\nwant:\n%s", out.String(), want)
			}
			res, err = db.Query(ctx, `SELECT typeof(e.dt), typeof(o.created_at), typeof(o.price), e.data::JSON->>'lvl' FROM events e, orders o LIMIT 1`)
			if err != nil {
				t.Fatal(err)
			}
			var types bytes.Buffer
			_ = res.Write(&types, analytics.FormatCSV)
			if got := strings.TrimSpace(strings.SplitN(types.String(), "\n", 2)[1]); got != `DATE,TIMESTAMP WITH TIME ZONE,"DECIMAL(18,2)",2` {
				t.Errorf("types: %s", got)
			}
			rep, err := db.Report(ctx, first, first.Add(10))
			if err != nil {
				t.Fatal(err)
			}
			var total float64
			for _, p := range rep.Points() {
				total += p.Revenue
				if p.Active != 4 {
					t.Errorf("%s: %d active players, want 4", p.Day.Format(time.DateOnly), p.Active)
				}
			}
			if int64(total*100+0.5) != cents || len(rep.Points()) != 5 {
				t.Errorf("report: %d days, revenue %.2f; want 5 days, %d cents", len(rep.Points()), total, cents)
			}
			var svg bytes.Buffer
			if err := analytics.WriteSVG(&svg, rep.Points()); err != nil || !strings.Contains(svg.String(), "<polyline") {
				t.Errorf("chart: %v", err)
			}
			// Analysts' SQL reads the archive and nothing else.
			if _, err := db.Query(ctx, `SELECT * FROM read_csv('/etc/passwd')`); err == nil {
				t.Error("read a file outside the archive")
			}
		})
	}
}

func TestAnEmptyArchiveHasEveryView(t *testing.T) {
	f, err := archive.NewFolder(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	db, err := analytics.Open(context.Background(), archive.New(f, gamedata.SystemClock{}), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tb := range archive.Tables {
		res, err := db.Query(context.Background(), "SELECT count(*), count(dt) FROM "+tb.Name())
		if err != nil || analytics.Text(res.Rows[0][0]) != "0" {
			t.Errorf("%s: %v, %v; want no row", tb.Name(), res.Rows, err)
		}
	}
	if _, err := db.Report(context.Background(), gamedata.DayOf(time.Now()).Add(-7), gamedata.DayOf(time.Now())); err != nil {
		t.Errorf("report over nothing: %v", err)
	}
}
