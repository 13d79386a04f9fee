package sqlite

import (
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/storetest"
)

// The consumers of the feed are listed with their position, when they last
// stored it and their status; dropping one that lags removes the records
// the others passed, which it held.
func TestFeedConsumersAndDrop(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(at)
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock)
	if got, err := s.FeedConsumers(ctx); err != nil || len(got) != 0 {
		t.Fatalf("consumers of a new feed: %v, %v", got, err)
	}
	read(t, s, "us", 1)
	read(t, s, "eu", 1)
	first := writePlayers(t, s, clock, 5)
	b := read(t, s, "us", 10)
	saved := clock.Advance(time.Second)
	commit(t, s, "us", b.Cursor)

	got, err := s.FeedConsumers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []gamedata.FeedConsumer{
		{Name: "eu", Position: "0", Saved: at, FeedStatus: gamedata.FeedStatus{Pending: 5, Oldest: first}},
		{Name: "us", Position: "5", Saved: saved},
	}
	if !slices.EqualFunc(got, want, func(a, b gamedata.FeedConsumer) bool {
		return a.Name == b.Name && a.Position == b.Position && a.Saved.Equal(b.Saved) &&
			a.Pending == b.Pending && a.Oldest.Equal(b.Oldest)
	}) {
		t.Errorf("consumers: %+v\nwant %+v", got, want)
	}
	if n := count(t, s, "changes"); n != 5 {
		t.Fatalf("%d records kept while eu lags, want 5", n)
	}

	if err := s.DropFeedConsumer(ctx, "eu"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, "changes"); n != 0 {
		t.Errorf("%d records kept after the lagging consumer was dropped, want none (us passed them all)", n)
	}
	if got, err := s.FeedConsumers(ctx); err != nil || len(got) != 1 || got[0].Name != "us" {
		t.Errorf("consumers after the drop: %+v, %v; want us alone", got, err)
	}
	for name, want := range map[string]error{"eu": gamedata.ErrNotFound, "": gamedata.ErrInvalid} {
		if err := s.DropFeedConsumer(ctx, name); !errors.Is(err, want) {
			t.Errorf("drop %q: %v, want %v", name, err, want)
		}
	}
}

// ListAllPlayers, for `gamedata reindex users`, gives every player once,
// as stored, over several pages, and stops at its callback's first error.
func TestListAllPlayers(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(at)
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock)
	want := map[string]gamedata.Player{}
	for i := range 2*listPage + 7 {
		now := clock.Advance(time.Millisecond)
		age := i % 90
		p := gamedata.Player{ID: gamedata.NewID(now), Name: fmt.Sprintf("Lister_%04d", (i*7919)%10000),
			Email: strconv.Itoa(i) + "@example.com", Phone: "+1 555", Age: &age, PasswordHash: "$argon2id$x", CreatedAt: now, UpdatedAt: now}
		if err := s.CreatePlayer(ctx, p); err != nil {
			t.Fatal(err)
		}
		want[p.Name] = p
	}
	var names []string
	err := s.ListAllPlayers(ctx, func(p gamedata.Player) error {
		names = append(names, p.Name)
		if w := want[p.Name]; p.ID != w.ID || p.Email != w.Email || *p.Age != *w.Age || p.PasswordHash != w.PasswordHash ||
			!p.CreatedAt.Equal(w.CreatedAt) || !p.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("listed %+v, stored %+v", p, w)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != len(want) || !slices.IsSorted(names) || len(slices.Compact(names)) != len(want) {
		t.Errorf("listed %d players (sorted: %v), want each of the %d once", len(names), slices.IsSorted(names), len(want))
	}

	stop := errors.New("stop")
	calls := 0
	err = s.ListAllPlayers(ctx, func(gamedata.Player) error {
		if calls++; calls == listPage+1 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || calls != listPage+1 {
		t.Errorf("a callback failing on the second page: %d calls, %v; want %d and its error", calls, err, listPage+1)
	}
}

// A file made before email keys existed gets them on open: its players are
// found by email ignoring case in all of Unicode.
func TestEmailKeysOfAnOlderFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gamedata.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for i, step := range migrations[:3] {
		if _, err := db.ExecContext(t.Context(), step); err != nil {
			t.Fatal(err)
		}
		if _, err := db.ExecContext(t.Context(), fmt.Sprintf(`PRAGMA user_version = %d`, i+1)); err != nil {
			t.Fatal(err)
		}
	}
	id := gamedata.NewID(at)
	if _, err := db.ExecContext(t.Context(), `INSERT INTO players (id, name_key, name, email, phone, password_hash, created, updated)
		VALUES (?, 'élodie', 'Élodie', 'ÉLODIE@Exemple.FR', '', '$argon2id$x', ?, ?)`, id[:], at.UnixNano(), at.UnixNano()); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s := openTest(t, path, nil)
	page, err := s.SearchPlayers(t.Context(), gamedata.PlayerQuery{Email: "élodie@exemple.fr"}, gamedata.PageRequest{})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != id {
		t.Fatalf("search by the email in lower case: %+v, %v; want the player of the older file", page.Items, err)
	}
}
