package archive_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/archive"
	"github.com/gamedata-dev/gamedata/archive/s3test"
)

// history is a fake HistoryReader: rows by day (unit tests only; the
// stores' readers are tested in storetest).
type history struct {
	mu     sync.Mutex
	events map[gamedata.Day][]gamedata.Event
	orders map[gamedata.Day][]gamedata.OrderChange
}

func (h *history) PlayerChanges(context.Context, gamedata.Day, func(gamedata.Player) error) error {
	return nil
}
func (h *history) MessagesSent(context.Context, gamedata.Day, func(gamedata.Message) error) error {
	return nil
}
func (h *history) Began(context.Context) (time.Time, error) { return day0.Start(), nil }
func (h *history) OrderChanges(_ context.Context, d gamedata.Day, fn func(gamedata.OrderChange) error) error {
	h.mu.Lock()
	rows := h.orders[d]
	h.mu.Unlock()
	for _, r := range rows {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}
func (h *history) EventsStored(_ context.Context, d gamedata.Day, fn func(gamedata.Event) error) error {
	h.mu.Lock()
	rows := h.events[d]
	h.mu.Unlock()
	for _, r := range rows {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

// memLeaser is a Leaser in memory (unit tests only).
type memLeaser struct {
	mu    sync.Mutex
	owner string
	until time.Time
}

func (l *memLeaser) AcquireLease(_ context.Context, _, owner string, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owner != "" && l.owner != owner && time.Now().Before(l.until) {
		return false, nil
	}
	l.owner, l.until = owner, time.Now().Add(ttl)
	return true, nil
}

func (l *memLeaser) ReleaseLease(_ context.Context, _, owner string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owner == owner {
		l.owner = ""
	}
	return nil
}

var day0 = gamedata.DayOf(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))

func fill(days, perDay int) *history {
	h := &history{events: map[gamedata.Day][]gamedata.Event{}, orders: map[gamedata.Day][]gamedata.OrderChange{}}
	for i := range days {
		d := day0.Add(i)
		for j := range perDay {
			at := d.Start().Add(time.Duration(j) * time.Minute)
			h.events[d] = append(h.events[d], gamedata.Event{ID: gamedata.NewID(at), Player: fmt.Sprintf("p%d", j%7),
				Type: "login", At: at, Data: json.RawMessage(`{ "level": 3 }`)})
			o := gamedata.Order{ID: gamedata.NewID(at), UserName: "alice", Item: "sword", Amount: 1,
				Price: gamedata.Money(1999 + j), Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
			h.orders[d] = append(h.orders[d], gamedata.OrderChange{Order: o, At: at})
		}
	}
	return h
}

func buckets(t *testing.T) map[string]func(t *testing.T) archive.Bucket {
	return map[string]func(t *testing.T) archive.Bucket{
		"folder": func(t *testing.T) archive.Bucket {
			f, err := archive.NewFolder(filepath.Join(t.TempDir(), "archive"))
			if err != nil {
				t.Fatal(err)
			}
			return f
		},
		"s3": func(t *testing.T) archive.Bucket { return s3test.Bucket(t) },
	}
}

func TestWriteDayReadsBackWithItsChecksum(t *testing.T) {
	for name, newBucket := range buckets(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a := archive.New(newBucket(t), fixedClock{day0.Add(3).Start()})
			h := fill(1, 300)
			m, err := a.WriteDay(ctx, h, archive.Events, day0, "test")
			if err != nil {
				t.Fatal(err)
			}
			rows, err := archive.ReadDay[archive.EventRow](ctx, a, "events", day0)
			if err != nil {
				t.Fatal(err)
			}
			var want, got uint64
			for _, e := range h.events[day0] {
				want += archive.Checksum(archive.Events.Row(e))
			}
			for _, r := range rows {
				got += archive.Checksum(r)
			}
			if m.Rows != 300 || len(rows) != 300 || got != want || m.Checksum != fmt.Sprintf("%016x", want) {
				t.Fatalf("manifest %d rows %s, read %d rows sum %016x; want 300 rows %016x", m.Rows, m.Checksum, len(rows), got, want)
			}
			if *rows[0].Data != `{"level":3}` {
				t.Errorf("data %q, want compact JSON", *rows[0].Data)
			}
			// A day run again replaces the day exactly.
			h.events[day0] = h.events[day0][:10]
			if _, err := a.WriteDay(ctx, h, archive.Events, day0, "again"); err != nil {
				t.Fatal(err)
			}
			rows, err = archive.ReadDay[archive.EventRow](ctx, a, "events", day0)
			if err != nil || len(rows) != 10 {
				t.Fatalf("after a re-run: %d rows, %v; want 10", len(rows), err)
			}
			keys, err := a.Bucket().List(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"events/dt=2026-03-01/_manifest.json", "events/dt=2026-03-01/part-00000.parquet"}; strings.Join(keys, ",") != strings.Join(want, ",") {
				t.Errorf("objects %v, want %v", keys, want)
			}
		})
	}
}

func TestColumnsAreTyped(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "archive")
	f, _ := archive.NewFolder(dir)
	a := archive.New(f, fixedClock{day0.Add(3).Start()})
	if _, err := a.WriteDay(ctx, fill(1, 5), archive.Orders, day0, "test"); err != nil {
		t.Fatal(err)
	}
	pf, err := os.Open(filepath.Join(dir, "orders/dt=2026-03-01/part-00000.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	st, _ := pf.Stat()
	file, err := parquet.OpenFile(pf, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	types := map[string]string{}
	for _, col := range file.Schema().Fields() {
		types[col.Name()] = col.Type().String()
	}
	for col, want := range map[string]string{"price": "DECIMAL(18,2)", "changed_at": "TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)",
		"amount": "INT(32,true)", "status": "STRING"} {
		if types[col] != want {
			t.Errorf("column %s: %s, want %s", col, types[col], want)
		}
	}
	codec := file.Metadata().RowGroups[0].Columns[0].MetaData.Codec
	if codec.String() != "ZSTD" {
		t.Errorf("codec %s, want ZSTD", codec)
	}
}

func TestJobResumesAndRunsOnceAtATime(t *testing.T) {
	ctx := context.Background()
	f, _ := archive.NewFolder(filepath.Join(t.TempDir(), "archive"))
	now := day0.Add(10).Start().Add(time.Hour)
	h := fill(10, 20)
	leaser := &memLeaser{}
	job := func(owner string) *archive.Job {
		return &archive.Job{Archive: archive.New(f, fixedClock{now}), Source: h, Leaser: leaser,
			Clock: fixedClock{now}, Owner: owner, Retention: 365 * 24 * time.Hour, Since: day0,
			Tables: []archive.Table{archive.Orders, archive.Events}}
	}
	// Stopped after 5 table-days...
	stop, cancel := context.WithCancel(ctx)
	j := job("a")
	j.Progress = func(s archive.Step) {
		if s.Done == 5 {
			cancel()
		}
	}
	sum, err := j.Run(stop, gamedata.Day{}, archive.MissingDays)
	if !errors.Is(err, context.Canceled) || sum.TableDays != 5 {
		t.Fatalf("stopped run: %+v, %v; want 5 table-days and context.Canceled", sum, err)
	}
	// ... the next run does the other 15, and one at a time.
	if ok, _ := leaser.AcquireLease(ctx, archive.LeaseName, "b", time.Minute); !ok {
		t.Fatal("the stopped run kept its lease")
	}
	if _, err := job("a").Run(ctx, gamedata.Day{}, archive.MissingDays); !errors.Is(err, archive.ErrLeaseHeld) {
		t.Fatalf("while b holds the lease: %v, want ErrLeaseHeld", err)
	}
	_ = leaser.ReleaseLease(ctx, archive.LeaseName, "b")
	sum, err = job("a").Run(ctx, gamedata.Day{}, archive.MissingDays)
	if err != nil || sum.TableDays != 15 || sum.Skipped != 5 || sum.Rows != 15*20 {
		t.Fatalf("resumed run: %+v, %v; want 15 table-days, 5 skipped, 300 rows", sum, err)
	}
	st, err := job("a").Status(ctx, archive.DefaultExpiryWarning)
	if err != nil || len(st.Archived) != 10 || len(st.Missing) != 0 {
		t.Fatalf("status %+v, %v; want 10 days archived, none missing", st, err)
	}
}
