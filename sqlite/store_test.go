package sqlite

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/storetest"
)

// openTest opens a store on path and closes it when the test ends.
func openTest(t testing.TB, path string, clock gamedata.Clock) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{Path: path, Clock: clock})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, clock gamedata.Clock) gamedata.Store {
		return openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock)
	})
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, openTest(b, filepath.Join(b.TempDir(), "gamedata.db"), gamedata.SystemClock{}))
}

// at is a fixed start for the sqlite-specific tests.
var at = time.Date(2026, 5, 6, 7, 8, 9, 123456789, time.UTC)

func TestReopenFindsEverything(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "gamedata.db")
	clock := storetest.NewClock(at)
	s, err := Open(ctx, Config{Path: path, Clock: clock, Synchronous: "full"})
	if err != nil {
		t.Fatal(err)
	}
	age := 40
	p := gamedata.Player{ID: gamedata.NewID(at), Name: "Persistent_1", Email: "p@example.com", Age: &age,
		CreatedAt: at, UpdatedAt: at, PasswordHash: "$argon2id$x"}
	ses := gamedata.Session{TokenHash: "token-hash", PlayerID: p.ID, PlayerName: p.Name, CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	k := gamedata.APIKey{ID: gamedata.NewID(at), Name: "server", Prefix: "gdk_abcd", Hash: "key-hash", CreatedAt: at}
	o := gamedata.Order{ID: gamedata.NewID(at), UserName: p.Name, Item: "sword", Amount: 1, Price: 250,
		Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
	m := gamedata.Message{ID: gamedata.NewID(at), From: p.Name, To: "Friend_1", Text: "still here? 🙂", CreatedAt: at,
		ExpiresAt: at.Add(gamedata.DefaultRetention)}
	ev := gamedata.Event{ID: gamedata.NewID(at), Player: p.Name, Type: "login", At: at, Data: json.RawMessage(`{"ok":true}`),
		ExpiresAt: at.Add(gamedata.DefaultRetention)}
	doc := gamedata.MetaDoc{Key: "catalogue", Value: json.RawMessage(`{"v":1}`), UpdatedAt: at}
	for what, err := range map[string]error{
		"player": s.CreatePlayer(ctx, p), "session": s.CreateSession(ctx, ses), "api key": s.CreateAPIKey(ctx, k),
		"message": s.SendMessage(ctx, m), "event": s.AppendEvents(ctx, []gamedata.Event{ev}), "meta": s.PutMeta(ctx, doc),
	} {
		if err != nil {
			t.Fatalf("write %s: %v", what, err)
		}
	}
	if _, _, err := s.CreateOrder(ctx, o, "key-1"); err != nil {
		t.Fatal(err)
	}
	paidAt := at.Add(time.Minute)
	if _, err := s.PayOrder(ctx, p.Name, o.ID, paidAt); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openTest(t, path, clock) // the schema is there: no step runs twice
	gotP, err := s.GetPlayer(ctx, "persistent_1")
	if err != nil || gotP.ID != p.ID || *gotP.Age != age || !gotP.CreatedAt.Equal(at) {
		t.Errorf("player after reopen: %+v, %v", gotP, err)
	}
	if got, err := s.GetSession(ctx, ses.TokenHash); err != nil || got.PlayerID != p.ID || !got.ExpiresAt.Equal(ses.ExpiresAt) {
		t.Errorf("session after reopen: %+v, %v", got, err)
	}
	if got, err := s.GetAPIKey(ctx, k.Hash); err != nil || got.ID != k.ID {
		t.Errorf("api key after reopen: %+v, %v", got, err)
	}
	if got, err := s.GetOrder(ctx, p.Name, o.ID); err != nil || got.Status != gamedata.OrderPaid || !got.UpdatedAt.Equal(paidAt) {
		t.Errorf("order after reopen: %+v, %v", got, err)
	}
	if got, created, err := s.CreateOrder(ctx, gamedata.Order{ID: gamedata.NewID(at), UserName: p.Name}, "key-1"); err != nil || created || got.ID != o.ID {
		t.Errorf("idempotency key after reopen: created=%v %+v, %v", created, got, err)
	}
	if page, err := s.Inbox(ctx, "friend_1", gamedata.PageRequest{}); err != nil || len(page.Items) != 1 || page.Items[0].Text != m.Text {
		t.Errorf("inbox after reopen: %+v, %v", page, err)
	}
	if page, err := s.ListEvents(ctx, p.Name, gamedata.EventRange{}, gamedata.PageRequest{}); err != nil || len(page.Items) != 1 || string(page.Items[0].Data) != `{"ok":true}` {
		t.Errorf("events after reopen: %+v, %v", page, err)
	}
	if got, err := s.GetMeta(ctx, doc.Key); err != nil || string(got.Value) != `{"v":1}` {
		t.Errorf("meta after reopen: %+v, %v", got, err)
	}
}

// count returns the rows of table, expired or not (a test-only query: table
// is a constant of the test).
func count(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.r.QueryRowContext(t.Context(), `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestPurgeExpired(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(at)
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock)
	hour, year := at.Add(time.Hour), at.Add(gamedata.DefaultRetention)

	for _, exp := range []time.Time{hour, year} {
		if err := s.CreateSession(ctx, gamedata.Session{TokenHash: "session-" + exp.String(), CreatedAt: at, ExpiresAt: exp}); err != nil {
			t.Fatal(err)
		}
	}
	var kept []gamedata.Message
	for i, exp := range []time.Time{hour, year, {}} {
		m := gamedata.Message{ID: gamedata.NewID(at), From: "alice", To: "bob", Text: "hi", CreatedAt: at.Add(time.Duration(i)), ExpiresAt: exp}
		if err := s.SendMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
		if !exp.Equal(hour) {
			kept = append(kept, m)
		}
	}
	// More expired events than one purge batch, so the purge must loop.
	const expiredEvents = 2*purgeBatch + 500
	var events []gamedata.Event
	for i := range expiredEvents + 2 {
		e := gamedata.Event{ID: gamedata.NewID(at), Player: "alice", Type: "tick", At: at.Add(time.Duration(i)), ExpiresAt: hour}
		events = append(events, e)
	}
	events[expiredEvents].ExpiresAt, events[expiredEvents+1].ExpiresAt = year, time.Time{}
	if err := s.AppendEvents(ctx, events); err != nil {
		t.Fatal(err)
	}

	if n, err := s.PurgeExpired(ctx); err != nil || n != 0 {
		t.Fatalf("purge before anything expired deleted %d rows, %v", n, err)
	}
	clock.Set(hour.Add(time.Second))
	n, err := s.PurgeExpired(ctx)
	if want := int64(1 + 1 + expiredEvents); err != nil || n != want {
		t.Fatalf("purge deleted %d rows, %v; want %d", n, err, want)
	}
	for table, want := range map[string]int{"sessions": 1, "messages": 2, "events": 2} {
		if got := count(t, s, table); got != want {
			t.Errorf("%s holds %d rows after the purge, want %d", table, got, want)
		}
	}
	// Back before the expiry: what was purged is gone, the rest is there.
	clock.Set(at)
	if _, err := s.GetSession(ctx, "session-"+hour.String()); !errors.Is(err, gamedata.ErrNotFound) {
		t.Errorf("purged session: %v, want not found", err)
	}
	if _, err := s.GetSession(ctx, "session-"+year.String()); err != nil {
		t.Errorf("kept session: %v", err)
	}
	page, err := s.Conversation(ctx, "bob", "alice", gamedata.PageRequest{})
	if err != nil || len(page.Items) != 2 || page.Items[0].ID != kept[1].ID || page.Items[1].ID != kept[0].ID {
		t.Errorf("messages after purge: %+v, %v; want the yearly and the eternal one", page.Items, err)
	}
	evs, err := s.ListEvents(ctx, "alice", gamedata.EventRange{}, gamedata.PageRequest{})
	if err != nil || len(evs.Items) != 2 || evs.Items[0].ID != events[expiredEvents+1].ID || evs.Items[1].ID != events[expiredEvents].ID {
		t.Errorf("events after purge: %d items, %v; want the last two", len(evs.Items), err)
	}
	if n, err := s.PurgeExpired(ctx); err != nil || n != 0 {
		t.Errorf("second purge deleted %d rows, %v", n, err)
	}
}

func TestBadPageToken(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), storetest.NewClock(at))
	// Well-formed base64url, but not a cursor of ours.
	for _, token := range []string{base64.RawURLEncoding.EncodeToString([]byte("0123456789")), "AAAA", "=="} {
		_, err := s.Inbox(t.Context(), "alice", gamedata.PageRequest{Token: token})
		var v *gamedata.ValidationError
		if !errors.Is(err, gamedata.ErrInvalid) || !errors.As(err, &v) || len(v.Fields) != 1 || v.Fields[0].Field != "page_token" {
			t.Errorf("token %q: %v; want an invalid page_token", token, err)
		}
	}
}

func TestClosedStoreIsUnavailable(t *testing.T) {
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "gamedata.db")})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Errorf("ping after close: %v", err)
	}
	if _, err := s.GetPlayer(t.Context(), "alice"); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Errorf("read after close: %v", err)
	}
	if err := s.PutMeta(t.Context(), gamedata.MetaDoc{Key: "k", Value: json.RawMessage(`1`)}); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Errorf("write after close: %v", err)
	}
}

// TestLockedFileIsUnavailable holds the write lock from another connection,
// as another process would: a write that cannot get it in time is
// ErrUnavailable, and nothing of it is stored.
func TestLockedFileIsUnavailable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gamedata.db")
	s := openTest(t, path, nil)
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(t.Context(), `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	p := gamedata.Player{ID: gamedata.NewID(at), Name: "Blocked", CreatedAt: at, UpdatedAt: at}
	if err := s.CreatePlayer(ctx, p); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Fatalf("write while another holds the lock: %v, want unavailable", err)
	}
	// Reads go on meanwhile, and find nothing of the failed write.
	if _, err := s.GetPlayer(t.Context(), p.Name); !errors.Is(err, gamedata.ErrNotFound) {
		t.Errorf("read while the file is locked: %v, want not found", err)
	}
	if _, err := conn.ExecContext(t.Context(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePlayer(t.Context(), p); err != nil {
		t.Errorf("write once the lock is free: %v", err)
	}
}

func TestOpenSettings(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(t.Context(), Config{Path: filepath.Join(dir, "x.db"), Synchronous: "OFF"}); err == nil {
		t.Error("synchronous OFF was accepted")
	}
	pragma := func(db *sql.DB, name string) string {
		var v string
		if err := db.QueryRowContext(t.Context(), `PRAGMA `+name).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for sync, want := range map[string]string{"": "1", "NORMAL": "1", "FULL": "2"} {
		s, err := Open(t.Context(), Config{Path: filepath.Join(dir, "db-"+sync), Synchronous: sync})
		if err != nil {
			t.Fatal(err)
		}
		if got := pragma(s.w, "synchronous"); got != want {
			t.Errorf("synchronous %q: PRAGMA synchronous = %s, want %s", sync, got, want)
		}
		for db, name := range map[*sql.DB]string{s.w: "writer", s.r: "reader"} {
			if got := pragma(db, "journal_mode"); got != "wal" {
				t.Errorf("%s journal_mode = %s", name, got)
			}
			if got := pragma(db, "busy_timeout"); got != strconv.Itoa(busyTimeoutMS) {
				t.Errorf("%s busy_timeout = %s", name, got)
			}
		}
		if _, err := s.r.ExecContext(t.Context(), `DELETE FROM meta`); err == nil {
			t.Error("the reader pool can write")
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gamedata.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(t.Context(), fmt.Sprintf(`PRAGMA user_version = %d`, len(migrations)+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := Open(t.Context(), Config{Path: path}); err == nil {
		s.Close()
		t.Fatal("a file of a newer schema was opened")
	}
}

// explain returns the query plan of stmt, its steps joined by "; ". The
// plan does not depend on the values bound: NULL will do.
func explain(t *testing.T, s *Store, stmt *sql.Stmt) string {
	t.Helper()
	query := s.prepared[stmt]
	var args []any
	for _, name := range param.FindAllString(query, -1) {
		args = append(args, sql.Named(name[1:], nil))
	}
	rows, err := s.r.QueryContext(t.Context(), `EXPLAIN QUERY PLAN `+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return strings.Join(plan, "; ")
}

var (
	param   = regexp.MustCompile(`:[a-z_]+`)
	scanned = regexp.MustCompile(`SCAN (\w+)`)
)

// TestQueriesUseTheirIndex checks that every statement is served by an
// index: none scans a table or sorts, but for the few named below; lists and
// searches use the index made for them and seek to their page cursor.
func TestQueriesUseTheirIndex(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), nil)
	want := map[*sql.Stmt]string{
		s.listOrders: "orders_by_user", s.orderByKey: "orders_by_idempotency_key",
		s.inbox: "messages_inbox", s.sent: "messages_sent", s.conversation: "messages_conversation",
		s.listEvents: "events_by_player", s.revenue: "orders_by_created",
		s.listAllPlayers: "sqlite_autoindex_players_2",
	}
	// A search driven by a range reads the whole range and sorts it: no
	// index gives both the range and the order.
	sorts := map[*sql.Stmt]bool{s.listAPIKeys: true, s.revenue: true}
	rangeIndex := map[string]bool{"sqlite_autoindex_players_2": true, "players_by_age": true, "orders_by_price": true}
	for i, d := range playerDrivers {
		want[s.searchPlayers[i]], sorts[s.searchPlayers[i]] = d.index, rangeIndex[d.index]
	}
	for i, d := range orderDrivers {
		want[s.searchOrders[i]], sorts[s.searchOrders[i]] = d.index, rangeIndex[d.index]
	}
	// What a statement may scan, and why it is cheap.
	scans := map[*sql.Stmt]string{
		s.listAPIKeys:      "api_keys",        // a handful of keys, listed whole by design
		s.removePassed:     "feed_consumers",  // one row per consumer: a handful
		s.anyConsumer:      "feed_consumers",  // stops at the first row
		s.listConsumers:    "feed_consumers",  // one row per consumer, listed whole by design
		s.purgeOldChanges:  "feed_consumers",  // the same check, in each batch
		s.lastSeq:          "sqlite_sequence", // one row per AUTOINCREMENT table
		s.firstYoungChange: "changes",         // from the oldest end to the first young record: what the purge drops
		s.revenue:          "b",               // the list of buckets (json_each), not a table
		s.scanFriends:      "friends",         // the recommendation build reads every friendship: an offline job
		s.scanInterests:    "interests",       // and every player's interests
		// gamedata backup reads whole tables: an offline job.
		s.backup.players: "players", s.backup.sessions: "sessions", s.backup.orders: "orders",
		s.backup.messages: "messages", s.backup.events: "events", s.backup.meta: "meta",
		s.backup.friends: "friends", s.backup.interests: "interests",
	}
	for stmt, query := range s.prepared {
		plan := explain(t, s, stmt)
		for _, m := range scanned.FindAllStringSubmatch(plan, -1) {
			if m[1] != "CONSTANT" && m[1] != scans[stmt] {
				t.Errorf("%s\nscans %s: %s", query, m[1], plan)
			}
		}
		if !sorts[stmt] && strings.Contains(plan, "TEMP B-TREE") {
			t.Errorf("%s\nsorts: %s", query, plan)
		}
		index, ok := want[stmt]
		if ok && !strings.Contains(plan, "INDEX "+index+" ") {
			t.Errorf("%s\ndoes not use %s: %s", query, index, plan)
		}
		// The range of a list must use the cursor, or deep pages read every row above it.
		cursor := "<(?,?)"
		if stmt == s.listAllPlayers {
			cursor = "(name_key>?)" // its pages follow the name key
		}
		if ok && stmt != s.orderByKey && stmt != s.revenue && !sorts[stmt] && !strings.Contains(plan, cursor) {
			t.Errorf("%s\ndoes not seek to the cursor: %s", query, plan)
		}
	}
}

func TestFeedConformance(t *testing.T) {
	storetest.RunFeed(t, func(t *testing.T, clock gamedata.Clock) gamedata.Store {
		return openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock)
	})
}

func TestHistoryConformance(t *testing.T) {
	storetest.RunHistory(t, func(t *testing.T, clock gamedata.Clock) gamedata.Backend {
		return openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock).Backend()
	})
}

func TestSocialConformance(t *testing.T) {
	storetest.RunSocial(t, func(t *testing.T, clock gamedata.Clock, friendCap int) gamedata.Backend {
		path := filepath.Join(t.TempDir(), "gamedata.db")
		s, err := Open(t.Context(), Config{Path: path, Clock: clock, MaxFriends: friendCap})
		if err != nil {
			t.Fatalf("open %s: %v", path, err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s.Backend()
	})
}

// TestFilesAreNotReadableByOthers: the database holds password hashes; its
// files are the owner's only, new or made 0644 by an older version.
func TestFilesAreNotReadableByOthers(t *testing.T) {
	dir := t.TempDir()
	fresh := filepath.Join(dir, "fresh.db")
	old := filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{fresh: 0o600, old: 0o640} {
		s := openTest(t, path, nil)
		if err := s.PutMeta(t.Context(), gamedata.MetaDoc{Key: "k", Value: []byte(`{}`), UpdatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if m := fi.Mode().Perm(); m != want {
				t.Errorf("%s: mode %o, want %o", filepath.Base(p), m, want)
			}
		}
	}
}

func TestRecsConformance(t *testing.T) {
	storetest.RunRecs(t, func(t *testing.T, clock gamedata.Clock) gamedata.Backend {
		return openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock).Backend()
	})
}

func TestBackupConformance(t *testing.T) {
	storetest.RunBackup(t, func(t *testing.T, clock gamedata.Clock) gamedata.Backend {
		return openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock).Backend()
	})
}
