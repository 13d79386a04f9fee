package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// holdWriter runs a write that holds the committer until the returned
// release is called, and returns once it does, so that the writes
// submitted meanwhile queue up as one group.
func holdWriter(t *testing.T, s *Store) (release func()) {
	t.Helper()
	started, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.write(context.Background(), "hold the writer", func(context.Context, *sql.Tx) error {
			close(started)
			<-gate
			return nil
		})
	}()
	<-started
	return func() {
		close(gate)
		if err := <-done; err != nil {
			t.Errorf("the holding write: %v", err)
		}
	}
}

// queued waits until n writes wait in s's queue.
func queued(s *Store, n int) {
	for {
		s.commits.mu.Lock()
		got := len(s.commits.queue)
		s.commits.mu.Unlock()
		if got >= n {
			return
		}
		runtime.Gosched()
	}
}

func player(name string) gamedata.Player {
	return gamedata.Player{ID: gamedata.NewID(at), Name: name, CreatedAt: at, UpdatedAt: at, PasswordHash: "$argon2id$test"}
}

// changes reads every change record of the feed as "kind:player".
func changes(t *testing.T, s *Store) []string {
	t.Helper()
	b, err := s.ReadChanges(t.Context(), "commit-test-"+t.Name(), maxChangeBatch)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range b.Changes {
		out = append(out, string(c.Kind)+":"+c.Player)
	}
	return out
}

// Writes that queue while the writer is busy are committed together, and
// each caller gets its own answer: a conflict or a missing order fails
// alone, with nothing of it written, while the others are stored.
func TestQueuedWritesCommitAsOneGroupAndFailAlone(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), nil)
	ctx := t.Context()
	if err := s.CreatePlayer(ctx, player("taken")); err != nil {
		t.Fatal(err)
	}
	before := changes(t, s)
	commits := s.commits.groups.Load()

	release := holdWriter(t, s)
	errs := map[string]error{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	submit := func(name string, fn func() error) {
		wg.Go(func() {
			err := fn()
			mu.Lock()
			errs[name] = err
			mu.Unlock()
		})
	}
	for i, name := range []string{"ann", "Taken", "bo", "ANN"} {
		submit(name, func() error { return s.CreatePlayer(ctx, player(name)) })
		queued(s, i+1) // in this order
	}
	submit("pay", func() error {
		_, err := s.PayOrder(ctx, "ann", gamedata.NewID(at), at)
		return err
	})
	queued(s, 5)
	release()
	wg.Wait()

	if got := s.commits.groups.Load() - commits; got != 2 {
		t.Errorf("%d commits for the holding write and 5 queued ones, want 2", got)
	}
	for name, want := range map[string]error{"ann": nil, "bo": nil, "Taken": gamedata.ErrConflict, "pay": gamedata.ErrNotFound} {
		if got := errs[name]; !errors.Is(got, want) || (want == nil && got != nil) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}
	// ann and ANN want one name: the first queued has it.
	if !errors.Is(errs["ANN"], gamedata.ErrConflict) {
		t.Errorf("ANN after ann in the same group: %v, want a conflict", errs["ANN"])
	}
	for _, name := range []string{"ann", "bo"} {
		if _, err := s.GetPlayer(ctx, name); err != nil {
			t.Errorf("get %s: %v", name, err)
		}
	}
	// The failed writes left no change record; the stored ones one each.
	got := changes(t, s)[len(before):]
	if fmt.Sprint(got) != "[player:ann player:bo]" {
		t.Errorf("change records of the group: %v, want ann's and bo's", got)
	}
}

// No caller hears of its write before the commit that holds it: while a
// later write of the same group runs, the first write's caller still
// waits, and readers do not see it.
func TestNoWriteIsAnsweredBeforeItsCommit(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), nil)
	ctx := t.Context()
	release := holdWriter(t, s)
	first := make(chan error, 1)
	go func() { first <- s.CreatePlayer(ctx, player("early")) }()
	queued(s, 1)
	inLater, gate := make(chan struct{}), make(chan struct{})
	later := make(chan error, 1)
	go func() {
		later <- s.write(ctx, "a later write", func(context.Context, *sql.Tx) error {
			close(inLater)
			<-gate
			return nil
		})
	}()
	queued(s, 2)
	go release()

	<-inLater // early's statements have run in this group
	select {
	case err := <-first:
		t.Fatalf("the first write was answered (%v) before its group committed", err)
	default:
	}
	if _, err := s.GetPlayer(ctx, "early"); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("a reader saw the first write before its commit: %v", err)
	}
	close(gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-later; err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPlayer(ctx, "early"); err != nil {
		t.Fatalf("after the commit: %v", err)
	}
}

// A caller that gives up while its write is queued gets its context's
// error, and the write is never run.
func TestAWriteGivenUpInTheQueueIsNotRun(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), nil)
	release := holdWriter(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- s.CreatePlayer(ctx, player("quitter")) }()
	queued(s, 1)
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("a write cancelled in the queue: %v, want context.Canceled", err)
	}
	release()
	if err := s.CreatePlayer(t.Context(), player("stayer")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetPlayer(t.Context(), "quitter"); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("the given-up write was stored: %v", err)
	}
}

// When a write's failure ends the whole transaction (its savepoint cannot
// undo it), no write of the group is stored, and every caller is told:
// the others as unavailable, to retry.
func TestABrokenGroupStoresNothingAndTellsEveryone(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "gamedata.db"), nil)
	ctx := t.Context()
	release := holdWriter(t, s)
	good := make(chan error, 1)
	go func() { good <- s.CreatePlayer(ctx, player("innocent")) }()
	queued(s, 1)
	breaker := make(chan error, 1)
	go func() {
		breaker <- s.write(ctx, "end the transaction", func(ctx context.Context, tx *sql.Tx) error {
			if _, err := tx.ExecContext(ctx, `ROLLBACK`); err != nil {
				return err
			}
			return errors.New("the transaction is gone")
		})
	}()
	queued(s, 2)
	release()
	if err := <-good; !errors.Is(err, gamedata.ErrUnavailable) {
		t.Errorf("a write grouped with a broken one: %v, want ErrUnavailable", err)
	}
	if err := <-breaker; err == nil || errors.Is(err, gamedata.ErrUnavailable) {
		t.Errorf("the breaking write: %v, want its own error", err)
	}
	if _, err := s.GetPlayer(ctx, "innocent"); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("a write of the broken group was stored: %v", err)
	}
	if err := s.CreatePlayer(ctx, player("innocent")); err != nil {
		t.Fatalf("the retry: %v", err)
	}
}

// Close commits the writes queued before it, then refuses new ones.
func TestCloseCommitsTheQueue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gamedata.db")
	s, err := Open(t.Context(), Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, s)
	errc := make(chan error, 1)
	go func() { errc <- s.CreatePlayer(t.Context(), player("last")) }()
	queued(s, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	for !s.closed.Load() {
		runtime.Gosched()
	}
	release()
	if err := <-errc; err != nil {
		t.Fatalf("a write queued before Close: %v", err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	if err := s.CreatePlayer(t.Context(), player("late")); !errors.Is(err, gamedata.ErrUnavailable) {
		t.Fatalf("a write after Close: %v, want ErrUnavailable", err)
	}
	s = openTest(t, path, nil)
	if _, err := s.GetPlayer(t.Context(), "last"); err != nil {
		t.Fatalf("after reopening: %v", err)
	}
}

// BenchmarkWriters sends a message from each of 32 writers at once, the
// load of --sqlite-synchronous's figures in docs/benchmarks.md.
func BenchmarkWriters(b *testing.B) {
	for _, sync := range []string{"NORMAL", "FULL"} {
		b.Run(sync, func(b *testing.B) {
			s, err := Open(b.Context(), Config{Path: filepath.Join(b.TempDir(), "gamedata.db"), Synchronous: sync})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			b.SetParallelism(32 / max(runtime.GOMAXPROCS(0), 1))
			groups := s.commits.groups.Load()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					now := time.Now()
					m := gamedata.Message{ID: gamedata.NewID(now), From: "alice", To: "bob", Text: "gg", CreatedAt: now,
						ExpiresAt: now.Add(time.Hour)}
					if err := s.SendMessage(b.Context(), m); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/float64(s.commits.groups.Load()-groups), "writes/commit")
		})
	}
}
