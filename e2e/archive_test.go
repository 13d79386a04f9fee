package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/analytics"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/archive"
	"github.com/gamedata-dev/gamedata/archive/s3test"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/client"
	"github.com/gamedata-dev/gamedata/opensearch"
	"github.com/gamedata-dev/gamedata/opensearch/opensearchtest"
	"github.com/gamedata-dev/gamedata/sqlite"
	"github.com/gamedata-dev/gamedata/storetest"
)

// The archive's must-holds (docs/archive.md), on each store, with the
// clock moving over a year and a half: SQLite archives into the S3 server,
// Cassandra into a local folder (package archive tests both buckets with
// each other).

const (
	historyDays = 548 // a year and a half
	// archiveEvery: the job runs once a week of the clock.
	archiveEvery = 7
)

// archiveBackend is one store under the history test, with what serves
// GET /v1/stats/revenue over it.
type archiveBackend struct {
	backend gamedata.Backend
	bucket  func(t testing.TB) archive.Bucket
	// searcher answers revenue; sync makes every write so far searchable.
	searcher func(t *testing.T, b gamedata.Backend) (gamedata.Searcher, func())
}

var archiveBackends = map[string]func(t testing.TB, clock gamedata.Clock) archiveBackend{
	"sqlite": func(t testing.TB, clock gamedata.Clock) archiveBackend {
		st, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db"), Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return archiveBackend{backend: st.Backend(),
			bucket: func(t testing.TB) archive.Bucket { return s3test.Bucket(t) },
			searcher: func(_ *testing.T, b gamedata.Backend) (gamedata.Searcher, func()) {
				return b.Searcher, func() {}
			}}
	},
	"cassandra": func(t testing.TB, clock gamedata.Clock) archiveBackend {
		// The e2e keyspace: the test's days (2025 to mid 2026, by the
		// injected clock) hold only its own rows.
		node := cassandratest.Require(t)
		k := &cassandraKeyspace
		k.once.Do(func() { k.cfg, k.err = cassandratest.NewKeyspace(context.Background(), node) })
		if k.err != nil {
			t.Fatal(k.err)
		}
		cfg := k.cfg
		cfg.Clock = clock
		st, err := cassandra.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return archiveBackend{backend: st.Backend(),
			bucket: func(t testing.TB) archive.Bucket {
				f, err := archive.NewFolder(filepath.Join(t.TempDir(), "archive"))
				if err != nil {
					t.Fatal(err)
				}
				return f
			},
			searcher: func(t *testing.T, b gamedata.Backend) (gamedata.Searcher, func()) {
				c := opensearchtest.Open(t, opensearchtest.Require(t))
				ix, err := opensearch.NewIndexer(c, b.Store, b.Feed, opensearch.IndexerConfig{Consumer: "archive",
					Registerer: prometheus.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					t.Fatal(err)
				}
				return opensearch.NewSearcher(c), func() { opensearchtest.Sync(t, ix, c) }
			}}
	},
}

// truth is what the test wrote, as the archive must hold it: per table and
// day, the rows' count and checksum.
type truth struct {
	rows map[string]map[gamedata.Day]int64
	sums map[string]map[gamedata.Day]uint64
	// players: each day's last state of each changed player.
	players map[gamedata.Day]map[string]archive.PlayerRow
}

func (w *truth) add(table string, d gamedata.Day, row any) {
	if w.rows[table] == nil {
		w.rows[table], w.sums[table] = map[gamedata.Day]int64{}, map[gamedata.Day]uint64{}
	}
	w.rows[table][d]++
	w.sums[table][d] += archive.Checksum(row)
}

func (w *truth) player(p gamedata.Player) {
	d := gamedata.DayOf(p.UpdatedAt)
	if w.players[d] == nil {
		w.players[d] = map[string]archive.PlayerRow{}
	}
	w.players[d][p.Name] = archive.Players.Row(p)
}

func TestArchiveKeepsEveryDay(t *testing.T) {
	for _, name := range []string{"sqlite", "cassandra"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testArchiveKeepsEveryDay(t, name)
		})
	}
}

func testArchiveKeepsEveryDay(t *testing.T, name string) {
	ctx := context.Background()
	began := time.Now()
	start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	clock := storetest.NewClock(start)
	ab := archiveBackends[name](t, clock)
	b := ab.backend
	store := b.Store
	arch := archive.New(ab.bucket(t), clock)
	job := func(owner string) *archive.Job {
		return &archive.Job{Archive: arch, Source: b.History, Leaser: b.Leaser, Clock: clock, Owner: owner,
			Retention: gamedata.DefaultRetention}
	}
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	w := &truth{rows: map[string]map[gamedata.Day]int64{}, sums: map[string]map[gamedata.Day]uint64{},
		players: map[gamedata.Day]map[string]archive.PlayerRow{}}
	var names []string
	for _, n := range []string{"Ann", "Bob", "Cat", "Dan"} {
		names = append(names, n+"_"+randomSuffix())
	}
	for _, n := range names {
		now := clock.Advance(time.Millisecond)
		p := gamedata.Player{ID: gamedata.NewID(now), Name: n, Email: n + "@example.com", PasswordHash: "secret-hash",
			CreatedAt: now, UpdatedAt: now}
		must(store.CreatePlayer(ctx, p), "create player")
		w.player(p)
	}
	var archived int // table-days archived, by every run
	var killed, raced bool
	run := func(j *archive.Job, c context.Context) archive.Summary {
		t.Helper()
		sum, err := j.Run(c, gamedata.Day{}, archive.MissingDays)
		if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, archive.ErrLeaseHeld) {
			t.Fatalf("archive: %v", err)
		}
		archived += sum.TableDays
		return sum
	}
	for i := range historyDays {
		d := gamedata.DayOf(start).Add(i)
		clock.Set(d.Start().Add(10 * time.Hour))
		if i > 0 && i%archiveEvery == 0 {
			switch {
			case !killed && i >= 100:
				// Killed in the middle of a day: after two of its four tables.
				killed = true
				stop, cancel := context.WithCancel(ctx)
				j := job("killed")
				j.Progress = func(s archive.Step) {
					if s.Done == 2 {
						cancel()
					}
				}
				if sum := run(j, stop); sum.TableDays != 2 {
					t.Fatalf("the killed run archived %d table-days, want 2", sum.TableDays)
				}
				run(job("after"), ctx)
			case !raced && i >= 200:
				// Two instances at once.
				raced = true
				var wg sync.WaitGroup
				for _, owner := range []string{"one", "two"} {
					wg.Go(func() { run(job(owner), ctx) })
				}
				wg.Wait()
			default:
				run(job("weekly"), ctx)
			}
			if b.Purger != nil {
				_, err := b.Purger.PurgeExpired(ctx)
				must(err, "purge")
			}
		}
		for j, n := range names[:2] {
			at := clock.Advance(time.Second)
			o := gamedata.Order{ID: gamedata.NewID(at), UserName: n, Item: fmt.Sprintf("item%d", (i+j)%5),
				Amount: 1 + j, Price: gamedata.Money(99 + i%300), Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
			_, _, err := store.CreateOrder(ctx, o, "")
			must(err, "create order")
			w.add("orders", d, archive.Orders.Row(gamedata.OrderChange{Order: o, At: at}))
			if j == 0 {
				paidAt := clock.Advance(time.Second)
				paid, err := store.PayOrder(ctx, n, o.ID, paidAt)
				must(err, "pay order")
				w.add("orders", d, archive.Orders.Row(gamedata.OrderChange{Order: paid, At: paidAt}))
			}
			m := gamedata.Message{ID: gamedata.NewID(at), From: n, To: names[(j+1)%len(names)], Text: fmt.Sprintf("day %d", i),
				CreatedAt: at, ExpiresAt: at.Add(gamedata.DefaultRetention)}
			must(store.SendMessage(ctx, m), "send message")
			w.add("messages", d, archive.Messages.Row(m))
			ev := gamedata.Event{ID: gamedata.NewID(at), Player: n, Type: []string{"login", "level_up"}[j], At: at,
				Data: []byte(fmt.Sprintf(`{"day": %d}`, i)), ExpiresAt: at.Add(gamedata.DefaultRetention)}
			evs := []gamedata.Event{ev}
			if i%10 == 0 { // an event sent two days late: in the day it was stored
				lateAt := at.AddDate(0, 0, -2)
				evs = append(evs, gamedata.Event{ID: gamedata.NewID(lateAt), Player: n, Type: "late", At: lateAt,
					ExpiresAt: lateAt.Add(gamedata.DefaultRetention)})
			}
			must(store.AppendEvents(ctx, evs), "append events")
			for _, e := range evs {
				w.add("events", d, archive.Events.Row(e))
			}
		}
		if i%30 == 0 {
			email := fmt.Sprintf("day%d@example.com", i)
			p, err := store.UpdatePlayer(ctx, names[2], gamedata.PlayerUpdate{Email: &email, UpdatedAt: clock.Advance(time.Second)})
			must(err, "update player")
			w.player(p)
		}
	}
	t.Logf("wrote and archived %d days in %s", historyDays, time.Since(began).Round(time.Millisecond))
	clock.Set(gamedata.DayOf(start).Add(historyDays).Start().Add(time.Hour))
	run(job("last"), ctx)
	for d, ps := range w.players {
		for _, p := range ps {
			w.add("players", d, p)
		}
	}

	first, last := job("check").Window(clock.Now())
	// Every table-day once, over the weekly runs, the killed one and its
	// re-run, and the two at once.
	wantTableDays := 0
	for _, tb := range archive.Tables {
		days, err := arch.ArchivedDays(ctx, tb.Name())
		must(err, "archived days")
		for d := gamedata.DayOf(start); !last.Before(d); d = d.Add(1) {
			wantTableDays++
			if !days[d] {
				t.Errorf("%s %s is not archived", tb.Name(), d)
				continue
			}
			m, _, err := arch.Manifest(ctx, tb.Name(), d)
			must(err, "manifest")
			want := w.rows[tb.Name()][d]
			sum := fmt.Sprintf("%016x", w.sums[tb.Name()][d])
			if m.Rows != want || m.Checksum != sum {
				t.Errorf("%s %s: %d rows, checksum %s; the store held %d, %s", tb.Name(), d, m.Rows, m.Checksum, want, sum)
			}
		}
	}
	if archived != wantTableDays {
		t.Errorf("the runs archived %d table-days, want each of the %d once", archived, wantTableDays)
	}
	// The files hold what the manifests say (every 30th day read back).
	for d := gamedata.DayOf(start); !last.Before(d); d = d.Add(30) {
		rows, err := archive.ReadDay[archive.EventRow](ctx, arch, "events", d)
		must(err, "read events")
		var sum uint64
		for _, r := range rows {
			sum += archive.Checksum(r)
		}
		if int64(len(rows)) != w.rows["events"][d] || sum != w.sums["events"][d] {
			t.Errorf("events %s read back: %d rows, sum %016x; want %d, %016x", d, len(rows), sum, w.rows["events"][d], w.sums["events"][d])
		}
	}

	t.Logf("checked the manifests at %s", time.Since(began).Round(time.Millisecond))
	db, err := analytics.Open(ctx, arch, filepath.Join(t.TempDir(), "cache"))
	must(err, "open duckdb")
	t.Logf("opened duckdb at %s", time.Since(began).Round(time.Millisecond))
	defer db.Close()
	// Exactly once: no id twice, and the counts of the truth.
	for table, key := range map[string]string{"messages": "message_id", "events": "event_id", "orders": "order_id || status"} {
		res, err := db.Query(ctx, "SELECT count(*), count(DISTINCT "+key+") FROM "+table)
		must(err, "count "+table)
		var want int64
		for _, n := range w.rows[table] {
			want += n
		}
		if fmt.Sprint(res.Rows[0]) != fmt.Sprint([]any{want, want}) {
			t.Errorf("%s in the archive: %v rows, distinct; want %d once each", table, res.Rows[0], want)
		}
	}

	// The first days are past the retention: gone from the hot store, kept
	// in the archive.
	srv := newArchiveAPI(t, ab, clock)
	old := gamedata.DayOf(start).Add(3)
	if old.Before(first) == false {
		t.Fatalf("day %s is not past the retention (window from %s)", old, first)
	}
	// Rows of the day before the window begin to expire only during it.
	gone := first.Add(-1).Start()
	for page := (client.PageOptions{Limit: 200}); ; {
		inbox, err := srv.admin.Inbox(ctx, names[1], page)
		must(err, "inbox")
		for _, m := range inbox.Items {
			if m.CreatedAt.Before(gone) {
				t.Fatalf("the hot store still serves a message of %s", gamedata.DayOf(m.CreatedAt))
			}
		}
		if page.Token = inbox.NextPageToken; page.Token == "" {
			break
		}
	}
	evs, err := srv.admin.ListEvents(ctx, names[0], gamedata.EventRange{To: gone}, client.PageOptions{Limit: 10})
	must(err, "list events")
	if len(evs.Items) != 0 {
		t.Errorf("the hot store still serves %d events from before %s", len(evs.Items), gone)
	}
	res, err := db.Query(ctx, "SELECT count(*) FROM messages WHERE dt = $1", old.Start())
	must(err, "old messages")
	if fmt.Sprint(res.Rows[0][0]) != fmt.Sprint(w.rows["messages"][old]) || w.rows["messages"][old] == 0 {
		t.Errorf("the archive holds %v messages of %s, want %d", res.Rows[0][0], old, w.rows["messages"][old])
	}

	// The report's revenue per day is the API's, to the cent, on the hot days.
	t.Logf("checked the hot store at %s", time.Since(began).Round(time.Millisecond))
	srv.sync()
	t.Logf("synced search at %s", time.Since(began).Round(time.Millisecond))
	from := last.Add(-40)
	rep, err := db.Report(ctx, from, last)
	must(err, "report")
	q := url.Values{"from": {from.Start().Format(time.RFC3339)}, "to": {last.End().Format(time.RFC3339)}, "interval": {"day"}}
	var out struct {
		Buckets []gamedata.RevenueBucket `json:"buckets"`
	}
	must(srv.admin.Do(ctx, http.MethodGet, "/v1/stats/revenue?"+q.Encode(), nil, &out), "GET /v1/stats/revenue")
	reported := map[string]string{}
	for _, row := range rep.Daily.Rows {
		reported[analytics.Text(row[0])] = analytics.Text(row[4])
	}
	if len(out.Buckets) != 41 {
		t.Fatalf("%d revenue buckets, want 41", len(out.Buckets))
	}
	for _, bk := range out.Buckets {
		day := bk.Start.UTC().Format(time.DateOnly)
		if got := reported[day]; got != bk.Revenue.String() {
			t.Errorf("%s: the report says %s, the API %s", day, got, bk.Revenue.String())
		}
	}
}

// archiveAPI is the API over the store of the history test.
type archiveAPI struct {
	admin *client.Client
	sync  func()
}

func newArchiveAPI(t *testing.T, ab archiveBackend, clock gamedata.Clock) archiveAPI {
	searcher, sync := ab.searcher(t, ab.backend)
	srv, err := api.New(api.Config{Store: ab.backend.Store, Searcher: searcher, Clock: clock,
		Registry: prometheus.NewRegistry(), AdminKey: adminKey})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	c, err := client.New(hs.URL, client.WithToken(adminKey))
	if err != nil {
		t.Fatal(err)
	}
	return archiveAPI{admin: c, sync: sync}
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
