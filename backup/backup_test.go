package backup_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/archive"
	"github.com/gamedata-dev/gamedata/archive/s3test"
	"github.com/gamedata-dev/gamedata/backup"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/sqlite"
	"github.com/gamedata-dev/gamedata/storetest"
)

// openSQLite opens a new SQLite store, closed when t ends.
func openSQLite(t *testing.T, clock gamedata.Clock) gamedata.Backend {
	t.Helper()
	s, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db"), Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Backend()
}

// openCassandra opens the Cassandra store on a new keyspace, dropped when t
// ends.
func openCassandra(t *testing.T, clock gamedata.Clock) gamedata.Backend {
	t.Helper()
	cfg := cassandratest.Keyspace(t)
	cfg.Clock = clock
	s, err := cassandra.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Backend()
}

func folder(t *testing.T) archive.Bucket {
	t.Helper()
	b, err := archive.NewFolder(filepath.Join(t.TempDir(), "backup"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// data is what fill wrote, to read back after a restore.
type data struct {
	players  []gamedata.Player
	sessions []gamedata.Session
	orders   []gamedata.Order
	keys     []gamedata.APIKey
	meta     gamedata.MetaDoc
}

// fill writes n players with a session, two orders each (one paid, one
// made with an idempotency key), messages, events (some expired by the time
// of the backup), a metadata document, friendships and interests, and two
// server keys, one revoked.
func fill(t *testing.T, b gamedata.Backend, clock *storetest.Clock, n int) data {
	t.Helper()
	ctx := context.Background()
	var d data
	tick := func() time.Time { return clock.Advance(time.Millisecond) }
	age := 20
	for i := range n {
		now := tick()
		p := gamedata.Player{ID: gamedata.NewID(now), Name: fmt.Sprintf("Player%03d", i), Email: fmt.Sprintf("p%d@example.com", i),
			CreatedAt: now, UpdatedAt: now, PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdA$aGFzaA"}
		if i%2 == 0 {
			p.Age, p.Phone = &age, "+1 555 0100"
		}
		if err := b.Store.CreatePlayer(ctx, p); err != nil {
			t.Fatal(err)
		}
		d.players = append(d.players, p)
		s := gamedata.Session{TokenHash: gamedata.HashSecret(gamedata.NewSecret(gamedata.SessionPrefix)), PlayerID: p.ID,
			PlayerName: p.Name, CreatedAt: now, ExpiresAt: now.Add(24 * time.Hour)}
		if err := b.Store.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		d.sessions = append(d.sessions, s)
		for j, item := range []string{"sword", "shield"} {
			at := tick()
			o := gamedata.Order{ID: gamedata.NewID(at), UserName: p.Name, Item: item, Amount: j + 1, Price: 4_99,
				Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
			key := ""
			if j == 1 {
				key = "k-" + p.Name
			}
			if _, _, err := b.Store.CreateOrder(ctx, o, key); err != nil {
				t.Fatal(err)
			}
			if j == 0 {
				paid, err := b.Store.PayOrder(ctx, p.Name, o.ID, tick())
				if err != nil {
					t.Fatal(err)
				}
				o = paid
			}
			d.orders = append(d.orders, o)
		}
		if i > 0 {
			prev := d.players[i-1].Name
			at := tick()
			m := gamedata.Message{ID: gamedata.NewID(at), From: p.Name, To: prev, Text: "gg " + p.Name, CreatedAt: at,
				ExpiresAt: at.Add(time.Hour)}
			gone := gamedata.Message{ID: gamedata.NewID(tick()), From: prev, To: p.Name, Text: "gone", CreatedAt: at,
				ExpiresAt: at.Add(time.Second)}
			for _, m := range []gamedata.Message{m, gone} {
				if err := b.Store.SendMessage(ctx, m); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.Social.AddFriend(ctx, p.Name, prev, tick()); err != nil {
				t.Fatal(err)
			}
		}
		at := tick()
		events := []gamedata.Event{
			{ID: gamedata.NewID(at), Player: p.Name, Type: "level_up", At: at, Data: json.RawMessage(`{"level": 3}`), ExpiresAt: at.Add(time.Hour)},
			{ID: gamedata.NewID(tick()), Player: p.Name, Type: "login", At: at},
		}
		if err := b.Store.AppendEvents(ctx, events); err != nil {
			t.Fatal(err)
		}
		if err := b.Social.SetInterests(ctx, p.Name, []string{"rpg", fmt.Sprintf("tag%d", i%3)}, tick()); err != nil {
			t.Fatal(err)
		}
	}
	d.meta = gamedata.MetaDoc{Key: "shop", Value: json.RawMessage(`{"items":[{"id":"sword","price":"4.99"}]}`), UpdatedAt: tick()}
	if err := b.Store.PutMeta(ctx, d.meta); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"match-server", "old-server"} {
		at := tick()
		k := gamedata.APIKey{ID: gamedata.NewID(at), Name: name, Prefix: "gdk_" + name[:4], Hash: gamedata.HashSecret(name), CreatedAt: at}
		if err := b.Store.CreateAPIKey(ctx, k); err != nil {
			t.Fatal(err)
		}
		d.keys = append(d.keys, k)
	}
	revoked := tick()
	if err := b.Store.RevokeAPIKey(ctx, d.keys[1].ID, revoked); err != nil {
		t.Fatal(err)
	}
	d.keys[1].RevokedAt = &revoked
	clock.Advance(2 * time.Second) // the short-lived messages are gone
	return d
}

// readBack checks the rows of d in store b through the Store's reads.
func readBack(t *testing.T, b gamedata.Backend, d data, precision time.Duration) {
	t.Helper()
	ctx := context.Background()
	same := func(a, b time.Time) bool { return a.Truncate(precision).Equal(b.Truncate(precision)) }
	for _, want := range d.players {
		p, err := b.Store.GetPlayer(ctx, want.Name)
		if err != nil || p.ID != want.ID || p.Email != want.Email || p.PasswordHash != want.PasswordHash ||
			!same(p.CreatedAt, want.CreatedAt) || (p.Age == nil) != (want.Age == nil) {
			t.Errorf("player %s after the restore: %+v, %v; want %+v", want.Name, p, err, want)
		}
	}
	for _, want := range d.sessions {
		if s, err := b.Store.GetSession(ctx, want.TokenHash); err != nil || s.PlayerID != want.PlayerID {
			t.Errorf("session of %s after the restore: %+v, %v", want.PlayerName, s, err)
		}
	}
	for _, want := range d.orders {
		o, err := b.Store.GetOrder(ctx, want.UserName, want.ID)
		if err != nil || o.Status != want.Status || o.Price != want.Price || !same(o.UpdatedAt, want.UpdatedAt) {
			t.Errorf("order %s after the restore: %+v, %v; want %+v", want.ID, o, err, want)
		}
	}
	// The keyed order is found again by its key: a retry makes no second one.
	keyed := d.orders[1]
	again := keyed
	again.ID = gamedata.NewID(time.Now())
	if o, created, err := b.Store.CreateOrder(ctx, again, "k-"+keyed.UserName); err != nil || created || o.ID != keyed.ID {
		t.Errorf("order with a restored key: %+v created=%v, %v; want the first order", o, created, err)
	}
	inbox, err := b.Store.Inbox(ctx, d.players[0].Name, gamedata.PageRequest{})
	if err != nil || len(inbox.Items) != 1 || inbox.Items[0].Text != "gg "+d.players[1].Name {
		t.Errorf("inbox of %s after the restore: %+v, %v", d.players[0].Name, inbox.Items, err)
	}
	if m, err := b.Store.GetMeta(ctx, "shop"); err != nil || !bytes.Contains(m.Value, []byte(`"sword"`)) {
		t.Errorf("metadata after the restore: %s, %v", m.Value, err)
	}
	friends, err := b.Social.ListFriends(ctx, d.players[1].Name, gamedata.PageRequest{})
	if err != nil || len(friends.Items) != 2 {
		t.Errorf("friends of %s after the restore: %+v, %v; want 2", d.players[1].Name, friends.Items, err)
	}
	keys, err := b.Store.ListAPIKeys(ctx)
	if err != nil || len(keys) != len(d.keys) {
		t.Fatalf("api keys after the restore: %+v, %v", keys, err)
	}
	for _, k := range keys {
		if k.Name == "old-server" && k.RevokedAt == nil {
			t.Errorf("the revoked key is live after the restore: %+v", k)
		}
	}
}

// A SQLite store backed up to a folder and restored into a new SQLite
// store: every table, row for row; the restore refuses a store that is not
// empty and an unfinished backup, and both jobs resume.
func TestBackupAndRestoreSQLite(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(time.Now().UTC())
	src := openSQLite(t, clock)
	d := fill(t, src, clock, 12)
	bucket := folder(t)

	if _, err := (&backup.Restore{Bucket: bucket}).Run(ctx); err == nil || !strings.Contains(err.Error(), "no backup") {
		t.Fatalf("restore from an empty folder: %v", err)
	}

	// A backup interrupted after its first table resumes with the others.
	job := &backup.Job{Source: src.Backup, Store: "sqlite", Bucket: bucket, Clock: clock}
	cut, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := job.Run(cut); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled backup: %v", err)
	}
	if _, err := backup.ReadIndex(ctx, bucket); err == nil || !strings.Contains(err.Error(), "unfinished") {
		t.Fatalf("the index of an unfinished backup: %v", err)
	}
	sum, err := job.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, e := range sum.Index.Tables {
		rows[e.Name] = e.Rows
	}
	want := map[string]int64{"players": 12, "api_keys": 2, "sessions": 12, "orders": 24, "messages": 11, "events": 24,
		"meta": 1, "friends": 22, "interests": 12}
	for name, n := range want {
		if rows[name] != n {
			t.Errorf("backup of %s: %d rows, want %d", name, rows[name], n)
		}
	}
	if _, err := job.Run(ctx); err == nil || !strings.Contains(err.Error(), "finished backup") {
		t.Errorf("a second backup into the same folder: %v", err)
	}

	// Not into a store that holds something.
	if _, err := restore(t, bucket, src).Run(ctx); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("restore into the source itself: %v", err)
	}

	dst := openSQLite(t, clock)
	r := restore(t, bucket, dst)
	// Interrupted during the first table (a worker's write fails on a
	// cancelled context), then resumed.
	cut, cancel = context.WithCancel(ctx)
	cancel()
	if _, err := r.Run(cut); err == nil {
		t.Fatal("a cancelled restore reports no error")
	}
	got, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, n := range want {
		if rt := got.Restored[name]; rt.Restored != n || !rt.OK() {
			t.Errorf("restore of %s: %+v, want %d rows that check out", name, rt, n)
		}
	}
	readBack(t, dst, d, time.Nanosecond)
	if _, err := os.Stat(r.StateFile); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the state file is left after a finished restore: %v", err)
	}
}

func restore(t *testing.T, bucket archive.Bucket, b gamedata.Backend) *backup.Restore {
	dir := t.TempDir()
	return &backup.Restore{Bucket: bucket, Target: backup.Target{Store: b.Store, Social: b.Social, Clock: gamedata.SystemClock{}},
		Check: b.Backup, StateFile: filepath.Join(dir, "restore.json"), Spool: filepath.Join(dir, "spool"), Workers: 4}
}

// How a studio outgrows one machine: a SQLite store backed up to S3 and
// restored into Cassandra, row for row (times to the millisecond, which is
// what Cassandra keeps).
func TestRestoreSQLiteIntoCassandraThroughS3(t *testing.T) {
	ctx := context.Background()
	s3cfg := s3test.Require(t)
	bucket, err := archive.NewS3(s3cfg, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clock := storetest.NewClock(time.Now().UTC())
	src := openSQLite(t, clock)
	d := fill(t, src, clock, 6)
	if _, err := (&backup.Job{Source: src.Backup, Store: "sqlite", Bucket: bucket, Clock: clock}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	dst := openCassandra(t, clock)
	got, err := restore(t, bucket, dst).Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got.Restored["players"].Restored != 6 || got.Restored["orders"].Restored != 12 {
		t.Errorf("restored %+v", got.Restored)
	}
	readBack(t, dst, d, time.Millisecond)
}

// A damaged table file is caught by its checksum.
func TestRestoreFindsADamagedFile(t *testing.T) {
	ctx := context.Background()
	clock := storetest.NewClock(time.Now().UTC())
	src := openSQLite(t, clock)
	fill(t, src, clock, 3)
	bucket := folder(t)
	if _, err := (&backup.Job{Source: src.Backup, Store: "sqlite", Bucket: bucket, Clock: clock}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	// Another backup's meta file, of another document, in place of this one's.
	other := openSQLite(t, clock)
	if err := other.Store.PutMeta(ctx, gamedata.MetaDoc{Key: "shop", Value: json.RawMessage(`{"items":[]}`), UpdatedAt: clock.Now()}); err != nil {
		t.Fatal(err)
	}
	otherBucket := folder(t)
	if _, err := (&backup.Job{Source: other.Backup, Store: "sqlite", Bucket: otherBucket, Clock: clock}).Run(ctx); err != nil {
		t.Fatal(err)
	}
	swapped, err := os.ReadFile(filepath.Join(otherBucket.Dir(), "meta", "part-00000.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bucket.Dir(), "meta", "part-00000.parquet"), swapped, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = restore(t, bucket, openSQLite(t, clock)).Run(ctx)
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Fatalf("restore of a damaged backup: %v, want the damage named", err)
	}
}
