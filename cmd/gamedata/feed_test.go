package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/sqlite"
)

// gamedata feed status lists the consumers of the store's change feed, and
// drop-consumer retires one, on both stores.
func TestFeedCommands(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		store, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(dir, "gamedata.db")})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close() })
		testFeedCommands(t, store, []string{"GAMEDATA_DATA_DIR=" + dir})
	})
	t.Run("cassandra", func(t *testing.T) {
		cfg := cassandratest.Keyspace(t)
		store, err := cassandra.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close() })
		env := []string{
			"GAMEDATA_STORE=cassandra",
			"GAMEDATA_DATA_DIR=" + t.TempDir(),
			"GAMEDATA_CASSANDRA_HOSTS=" + strings.Join(cfg.Hosts, ","),
			"GAMEDATA_CASSANDRA_KEYSPACE=" + cfg.Keyspace,
			"GAMEDATA_CASSANDRA_LOCAL_DC=" + cfg.LocalDC,
			"GAMEDATA_CASSANDRA_USERNAME=" + cfg.Username,
			"GAMEDATA_CASSANDRA_PASSWORD=" + cfg.Password,
			"GAMEDATA_CASSANDRA_TIMEOUT=15s",
		}
		testFeedCommands(t, store, env)

		// A region expected by the configuration is listed before it reads,
		// and cannot be dropped while the configuration expects it.
		env = append(env, "GAMEDATA_FEED_CONSUMERS=mars,us")
		if row := feedStatus(t, env)["mars"]; row == nil || row[0] != "-" {
			t.Errorf("a configured region that has not read: %v, want it listed without a position", row)
		}
		if _, errOut, err := runCLI(t, env, "feed", "drop-consumer", "mars"); err == nil || !strings.Contains(errOut, "--feed-consumers") {
			t.Errorf("drop a configured region: %v, %s; want a refusal naming --feed-consumers", err, errOut)
		}
	})
}

// testFeedCommands runs the feed commands with env on the store that
// store has open.
func testFeedCommands(t *testing.T, store gamedata.Store, env []string) {
	ctx := t.Context()
	feed := store.(gamedata.ChangeFeed)
	if out := mustCLI(t, env, "feed", "status"); !strings.Contains(out, "no consumer") {
		t.Errorf("status of a feed nobody reads: %s", out)
	}
	// eu reads once and stops; us reads everything.
	if _, err := feed.ReadChanges(ctx, "eu", 1); err != nil {
		t.Fatal(err)
	}
	const n = 3
	for i := range n {
		now := time.Now()
		o := gamedata.Order{ID: gamedata.NewID(now), UserName: fmt.Sprint("Feeder", i), Item: "gem", Amount: 1, Price: 1,
			Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now}
		if _, _, err := store.CreateOrder(ctx, o, ""); err != nil {
			t.Fatal(err)
		}
	}
	for read := 0; read < n; {
		b, err := feed.ReadChanges(ctx, "us", 100)
		if err != nil {
			t.Fatal(err)
		}
		if err := feed.CommitChanges(ctx, "us", b.Cursor); err != nil {
			t.Fatal(err)
		}
		read += len(b.Changes)
	}

	rows := feedStatus(t, env)
	eu, us := rows["eu"], rows["us"]
	if len(rows) != 2 || eu == nil || us == nil {
		t.Fatalf("status lists %v, want eu and us", rows)
	}
	if pending, _ := strconv.Atoi(eu[2]); eu[0] == "-" || eu[1] == "-" || pending != n || eu[3] == "-" {
		t.Errorf("eu, which read none of the %d records: %v; want its position, when it saved it, %d pending since the first", n, eu, n)
	}
	if us[0] == "-" || us[1] == "-" {
		t.Errorf("us, which read every record: %v; want its position and when it saved it", us)
	}
	// SQLite counts exactly; Cassandra, asked from another process than
	// the reader, also counts what it committed above its watermark.
	if _, exact := store.(*sqlite.Store); exact && (us[0] != strconv.Itoa(n) || us[2] != "0") {
		t.Errorf("us, which read every record: %v; want it at %d with none pending", us, n)
	}

	if out := mustCLI(t, env, "feed", "drop-consumer", "eu"); !strings.Contains(out, "dropped feed consumer eu") {
		t.Errorf("drop eu: %s", out)
	}
	if rows := feedStatus(t, env); len(rows) != 1 || rows["us"] == nil {
		t.Errorf("status after eu was dropped: %v, want us alone", rows)
	}
	if _, errOut, err := runCLI(t, env, "feed", "drop-consumer", "eu"); err == nil || !strings.Contains(errOut, `no consumer "eu"`) {
		t.Errorf("drop eu again: %v, %s; want no such consumer", err, errOut)
	}
}

// feedStatus runs gamedata feed status and returns its rows by consumer:
// position, saved, pending, oldest.
func feedStatus(t *testing.T, env []string) map[string][]string {
	t.Helper()
	out := mustCLI(t, env, "feed", "status")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 1 || strings.Join(strings.Fields(lines[0]), " ") != "CONSUMER POSITION SAVED PENDING OLDEST" {
		t.Fatalf("feed status:\n%s", out)
	}
	rows := map[string][]string{}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		if len(f) != 5 {
			t.Fatalf("feed status row %q: want 5 columns", line)
		}
		rows[f[0]] = f[1:]
	}
	return rows
}
