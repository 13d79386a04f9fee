package cluster

import (
	"context"
	"encoding/json"
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
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/archive"
	"github.com/gamedata-dev/gamedata/backup"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/client"
	"github.com/gamedata-dev/gamedata/recs"
	"github.com/gamedata-dev/gamedata/sqlite"
)

// drillPlayers is the drill's data: each player with a session, two orders
// (one paid), a message, three events, a friend and interests.
const drillPlayers = 60

// The restore drill of docs/operations.md: data loaded through the API into
// the cluster, backed up, the keyspace dropped, the backup restored into a
// new keyspace and into a new SQLite file; on each, every API read of the
// players answers what it answered before, and their sessions still work.
// The time and size of each step are logged (the figures in the runbook).
func TestRestoreDrill(t *testing.T) {
	c, _ := keyspace(t)
	ctx := context.Background()
	src := c.Keyspace(t, "dc1", replication)
	store, err := cassandra.Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	srcBackend := store.Backend()
	admin, anon := serveBackend(t, srcBackend)

	start := time.Now()
	players, tokens := load(t, admin, anon)
	t.Logf("drill: loaded %d players in %.1fs", len(players), time.Since(start).Seconds())
	before := reads(t, admin, players)

	dir := t.TempDir()
	bucket, err := archive.NewFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	sum, err := (&backup.Job{Source: srcBackend.Backup, Store: "cassandra", Bucket: bucket, Clock: gamedata.SystemClock{}}).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows, size int64
	for _, e := range sum.Index.Tables {
		rows += e.Rows
		size += e.Bytes
	}
	t.Logf("drill: backup of %d rows, %d bytes, in %.1fs", rows, size, time.Since(start).Seconds())

	// The disaster: the keyspace is gone.
	_ = store.Close()
	if err := cassandratest.Drop(src); err != nil {
		t.Fatal(err)
	}

	targets := map[string]func(t *testing.T) gamedata.Backend{
		"cassandra": func(t *testing.T) gamedata.Backend {
			s, err := cassandra.Open(ctx, c.Keyspace(t, "dc1", replication))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s.Backend()
		},
		"sqlite": func(t *testing.T) gamedata.Backend {
			s, err := sqlite.Open(ctx, sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db")})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = s.Close() })
			return s.Backend()
		},
	}
	for _, kind := range []string{"cassandra", "sqlite"} {
		t.Run(kind, func(t *testing.T) {
			b := targets[kind](t)
			tmp := t.TempDir()
			start := time.Now()
			got, err := (&backup.Restore{Bucket: bucket, Target: backup.Target{Store: b.Store, Social: b.Social, Clock: gamedata.SystemClock{}},
				Check: b.Backup, StateFile: filepath.Join(tmp, "restore.json"), Spool: filepath.Join(tmp, "spool")}).Run(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var restored int64
			for name, rt := range got.Restored {
				restored += rt.Restored
				if !rt.OK() {
					t.Errorf("%s: %+v", name, rt)
				}
			}
			t.Logf("drill: restore into %s of %d rows in %.1fs", kind, restored, time.Since(start).Seconds())
			admin, anon := serveBackend(t, b)
			after := reads(t, admin, players)
			for path, want := range before {
				if got := after[path]; got != want {
					t.Errorf("GET %s after the restore:\n got %s\nwant %s", path, got, want)
				}
			}
			for i, p := range players {
				if _, err := anon.WithToken(tokens[i]).GetPlayer(ctx, p); err != nil {
					t.Errorf("the session of %s after the restore: %v", p, err)
				}
			}
		})
	}
}

// serveBackend serves the API over b and returns an admin and an anonymous
// client of it.
func serveBackend(t *testing.T, b gamedata.Backend) (admin, anon *client.Client) {
	t.Helper()
	srv, err := api.New(api.Config{
		Store: b.Store, Social: b.Social, Recommender: &recs.Service{Recs: b.Recs, Social: b.Social, Orders: b.Store},
		Registry: prometheus.NewRegistry(), AdminKey: adminKey, Ready: map[string]func(context.Context) error{"store": b.Store.Ping},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	t.Cleanup(hs.Close)
	if anon, err = client.New(hs.URL); err != nil {
		t.Fatal(err)
	}
	return anon.WithToken(adminKey), anon
}

// load writes the drill's data through the API and returns the players and
// a session token of each.
func load(t *testing.T, admin, anon *client.Client) ([]string, []string) {
	t.Helper()
	ctx := context.Background()
	players := make([]string, drillPlayers)
	tokens := make([]string, drillPlayers)
	price, _ := gamedata.ParseMoney("2.50")
	var wg sync.WaitGroup
	errs := make(chan error, drillPlayers)
	sem := make(chan struct{}, 4)
	for i := range drillPlayers {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			n := name(fmt.Sprintf("drill%d", i))
			err := func() error {
				if _, err := anon.CreatePlayer(ctx, client.NewPlayer{Name: n, Password: password}); err != nil {
					return err
				}
				s, err := anon.Login(ctx, n, password)
				if err != nil {
					return err
				}
				players[i], tokens[i] = n, s.Token
				for k := range 2 {
					o, _, err := admin.CreateOrder(ctx, n, client.NewOrder{Item: fmt.Sprintf("item%d", k), Amount: k + 1, Price: price})
					if err != nil {
						return err
					}
					if k == 0 {
						if _, err := admin.PayOrder(ctx, n, o.ID); err != nil {
							return err
						}
					}
				}
				if _, err := admin.SendMessage(ctx, client.NewMessage{From: n, To: n, Text: "kept across a disaster"}); err != nil {
					return err
				}
				// A millisecond apart: events of one millisecond list in
				// another order on the other kind of store (operations.md).
				at := time.Now().UTC().Truncate(time.Millisecond)
				evs := []client.NewEvent{{Player: n, Type: "login", At: &at}, {Player: n, Type: "level_up", At: ptr(at.Add(time.Millisecond)),
					Data: json.RawMessage(`{"level":2}`)}, {Player: n, Type: "quest", At: ptr(at.Add(2 * time.Millisecond))}}
				if _, err := admin.AppendEvents(ctx, evs); err != nil {
					return err
				}
				_, err = admin.SetInterests(ctx, n, []string{"pvp", fmt.Sprintf("tag%d", i%5)})
				return err
			}()
			if err != nil {
				errs <- fmt.Errorf("load %s: %w", n, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := 1; i < len(players); i++ {
		if err := admin.AddFriend(ctx, players[i-1], players[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.PutMeta(ctx, "shop", map[string]any{"items": []string{"item0", "item1"}}); err != nil {
		t.Fatal(err)
	}
	return players, tokens
}

// reads answers every API read of players, by path.
func reads(t *testing.T, admin *client.Client, players []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	get := func(path string) {
		var v json.RawMessage
		if err := admin.Do(context.Background(), http.MethodGet, path, nil, &v); err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		out[path] = string(v)
	}
	get("/v1/meta/shop")
	for _, p := range players {
		base := "/v1/players/" + url.PathEscape(p)
		for _, rest := range []string{"", "/orders", "/inbox", "/sent", "/events", "/friends", "/interests"} {
			get(base + rest)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
