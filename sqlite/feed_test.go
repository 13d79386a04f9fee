package sqlite

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/storetest"
)

// writePlayers creates n players, one clock tick apart, and returns the
// time of the first.
func writePlayers(t *testing.T, s *Store, clock *storetest.Clock, n int) time.Time {
	t.Helper()
	var first time.Time
	for i := range n {
		at := clock.Advance(time.Millisecond)
		if i == 0 {
			first = at
		}
		id := gamedata.NewID(at)
		p := gamedata.Player{ID: id, Name: "Feeder_" + id.String()[24:], // the random node
			CreatedAt: at, UpdatedAt: at, PasswordHash: "$argon2id$x"}
		if err := s.CreatePlayer(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	return first
}

func wantStatus(t *testing.T, s *Store, consumer string, pending int64, oldest time.Time) {
	t.Helper()
	st, err := s.FeedStatus(t.Context(), consumer)
	if err != nil || st.Pending != pending || !st.Oldest.Equal(oldest) {
		t.Errorf("status of %s: %+v, %v; want %d pending, the oldest from %v", consumer, st, err, pending, oldest)
	}
}

func read(t *testing.T, s *Store, consumer string, max int) gamedata.ChangeBatch {
	t.Helper()
	b, err := s.ReadChanges(t.Context(), consumer, max)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func commit(t *testing.T, s *Store, consumer, cursor string) {
	t.Helper()
	if err := s.CommitChanges(t.Context(), consumer, cursor); err != nil {
		t.Fatal(err)
	}
}

// TestFeedCountsAndRemoves checks what the suite cannot on a shared feed:
// exact pending counts, and that a record is removed exactly when the last
// known consumer passes it, in batches, and that seq numbers are never
// given twice, even once the table has been emptied.
func TestFeedCountsAndRemoves(t *testing.T) {
	clock := storetest.NewClock(at)
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock)
	wantStatus(t, s, "a", 0, time.Time{})
	read(t, s, "a", 1) // a and b become known
	read(t, s, "b", 1)
	const n = purgeBatch + 200 // removal must take more than one batch
	first := writePlayers(t, s, clock, n)
	wantStatus(t, s, "a", n, first)
	wantStatus(t, s, "never-read", n, first) // asking did not make it known...

	all := read(t, s, "a", n+10)
	if len(all.Changes) != n {
		t.Fatalf("a read %d changes, want %d", len(all.Changes), n)
	}
	commit(t, s, "a", all.Cursor)
	wantStatus(t, s, "a", 0, time.Time{})
	wantStatus(t, s, "b", n, first)
	if got := count(t, s, "changes"); got != n {
		t.Errorf("after a's commit, %d records are kept; want all %d, b has read none", got, n)
	}

	half := read(t, s, "b", n/2)
	commit(t, s, "b", half.Cursor)
	wantStatus(t, s, "b", n-n/2, first.Add(n/2*time.Millisecond))
	if got := count(t, s, "changes"); got != n-n/2 {
		t.Errorf("after b passed %d records, %d are kept; want %d", n/2, got, n-n/2)
	}
	commit(t, s, "b", half.Cursor) // again: a no-op
	rest := read(t, s, "b", n)
	commit(t, s, "b", rest.Cursor)
	commit(t, s, "b", half.Cursor) // an older cursor does not move b back
	if got := count(t, s, "changes"); got != 0 {
		t.Errorf("after every consumer passed every record, %d are kept", got)
	}
	wantStatus(t, s, "b", 0, time.Time{})
	// ...so the records it would have read are gone now.
	wantStatus(t, s, "never-read", 0, time.Time{})

	// The table is empty: the next record still comes after every position.
	next := writePlayers(t, s, clock, 1)
	for _, c := range []string{"a", "b"} {
		wantStatus(t, s, c, 1, next)
		if b := read(t, s, c, 10); len(b.Changes) != 1 {
			t.Errorf("%s reads %d changes after a write on an emptied feed, want 1", c, len(b.Changes))
		}
	}
}

// TestFeedFailedWritesRecordNothing: a write that stores nothing writes no
// record either; each successful one writes exactly one.
func TestFeedFailedWritesRecordNothing(t *testing.T) {
	ctx := t.Context()
	clock := storetest.NewClock(at)
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock)
	read(t, s, "indexer", 1)

	p := gamedata.Player{ID: gamedata.NewID(at), Name: "Once", CreatedAt: at, UpdatedAt: at}
	m := gamedata.Message{ID: gamedata.NewID(at), From: "Once", To: "Twice", Text: "hi", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	o := gamedata.Order{ID: gamedata.NewID(at), UserName: "Once", Item: "gem", Amount: 1, Price: 1,
		Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
	retry := o
	retry.ID = gamedata.NewID(at)
	email := "x@example.com"
	steps := []struct {
		what string
		do   func() error
		want error // nil: success
	}{
		{"create player", func() error { return s.CreatePlayer(ctx, p) }, nil},
		{"send message", func() error { return s.SendMessage(ctx, m) }, nil},
		{"create order", func() error { _, _, err := s.CreateOrder(ctx, o, "key"); return err }, nil},
		{"pay order", func() error { _, err := s.PayOrder(ctx, "once", o.ID, at); return err }, nil},
		{"create a taken name", func() error { return s.CreatePlayer(ctx, gamedata.Player{ID: gamedata.NewID(at), Name: "ONCE"}) }, gamedata.ErrConflict},
		{"update an unknown player", func() error {
			_, err := s.UpdatePlayer(ctx, "nobody", gamedata.PlayerUpdate{Email: &email, UpdatedAt: at})
			return err
		}, gamedata.ErrNotFound},
		{"pay a paid order", func() error { _, err := s.PayOrder(ctx, "once", o.ID, at); return err }, gamedata.ErrConflict},
		{"send the message again", func() error { return s.SendMessage(ctx, m) }, nil},
		{"replay the order", func() error {
			if _, created, err := s.CreateOrder(ctx, retry, "key"); err != nil || created {
				return fmt.Errorf("created=%v, %w", created, err)
			}
			return nil
		}, nil},
	}
	for _, st := range steps {
		if err := st.do(); !errors.Is(err, st.want) { // errors.Is(nil, nil) holds
			t.Fatalf("%s: %v, want %v", st.what, err, st.want)
		}
	}
	wantStatus(t, s, "indexer", 4, at)
	b := read(t, s, "indexer", 10)
	var kinds []gamedata.ChangeKind
	for _, c := range b.Changes {
		kinds = append(kinds, c.Kind)
	}
	if want := []gamedata.ChangeKind{"player", "message", "order", "order"}; !slices.Equal(kinds, want) {
		t.Fatalf("records of %v, want %v", kinds, want)
	}
	// The message travels whole, its expiry too.
	got := b.Changes[1].Message
	if got == nil || got.ID != m.ID || got.From != m.From || got.To != m.To || got.Text != m.Text ||
		!got.CreatedAt.Equal(m.CreatedAt) || !got.ExpiresAt.Equal(m.ExpiresAt) {
		t.Errorf("the message record holds %+v, want %+v", got, m)
	}
}

// TestFeedPurge: while no consumer is known, PurgeExpired drops the records
// older than the retention; once one is, it drops none.
func TestFeedPurge(t *testing.T) {
	clock := storetest.NewClock(at)
	s, err := Open(t.Context(), Config{Path: filepath.Join(t.TempDir(), "gamedata.db"), Clock: clock, FeedRetention: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const old = purgeBatch + 100 // more than one batch
	writePlayers(t, s, clock, old)
	clock.Advance(20 * time.Hour)
	young := writePlayers(t, s, clock, 3)
	clock.Advance(5 * time.Hour) // the first records are 25 hours old, the last 5

	if n, err := s.PurgeExpired(t.Context()); err != nil || n != old {
		t.Fatalf("purge dropped %d records, %v; want the %d old ones", n, err, old)
	}
	wantStatus(t, s, "late", 3, young)

	read(t, s, "late", 1)
	clock.Advance(gamedata.DefaultRetention)
	// The players' history rows (history.go) expire now; no change record does.
	if n, err := s.PurgeExpired(t.Context()); err != nil || n != old+3 {
		t.Fatalf("with a consumer known, purge dropped %d rows, %v; want only the %d history rows", n, err, old+3)
	}
	wantStatus(t, s, "late", 3, young)
}

func TestFeedBadInput(t *testing.T) {
	clock := storetest.NewClock(at)
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), clock)
	writePlayers(t, s, clock, 2)
	b := read(t, s, "a", 1)
	beyond := feedCursor(3)
	for what, err := range map[string]error{
		"cursor beyond the end": s.CommitChanges(t.Context(), "a", beyond),
		"negative cursor":       s.CommitChanges(t.Context(), "a", feedCursor(-1)),
		"page token as cursor":  s.CommitChanges(t.Context(), "a", top.token()),
		"no consumer":           s.CommitChanges(t.Context(), "", b.Cursor),
	} {
		if !errors.Is(err, gamedata.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", what, err)
		}
	}
	if _, err := s.ReadChanges(t.Context(), "a", 0); !errors.Is(err, gamedata.ErrInvalid) {
		t.Errorf("read of 0 changes: %v, want invalid", err)
	}
	if _, err := s.FeedStatus(t.Context(), ""); !errors.Is(err, gamedata.ErrInvalid) {
		t.Errorf("status of no consumer: %v, want invalid", err)
	}
	wantStatus(t, s, "a", 2, at.Add(time.Millisecond)) // nothing moved a
}

func TestFeedPositionSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gamedata.db")
	clock := storetest.NewClock(at)
	s, err := Open(t.Context(), Config{Path: path, Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	writePlayers(t, s, clock, 3)
	b, err := s.ReadChanges(t.Context(), "indexer", 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CommitChanges(t.Context(), "indexer", b.Cursor); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, path, clock)
	wantStatus(t, s, "indexer", 1, at.Add(3*time.Millisecond))
}
