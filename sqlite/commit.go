package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/gamedata-dev/gamedata"
)

// Group commit. Every write goes through one committer goroutine, the
// only user of the writer connection for requests. When it is free it takes
// every write queued (up to maxGroup) and runs them in one transaction, each
// in its own savepoint, then commits once: one WAL append and, with
// synchronous FULL, one fsync for the whole group instead of one per write.
// There is no gathering window: a write that finds the committer idle is
// committed at once, alone; writes that arrive while a commit runs form the
// next group. See docs/performance.md.
//
// Per caller nothing changes: a write is all or nothing, it fails alone (a
// conflict rolls back to its savepoint and the others go on), and its caller
// gets its own answer only once the commit that holds it has returned.

// maxGroup bounds the writes of one transaction, so that a long queue is
// committed in steps and the first callers do not wait for the last.
const maxGroup = 256

// writeState tells who owns a queued write: the committer, once it took
// it, or its caller, once it gave up waiting (its context ended).
type writeState = int32

const (
	writeQueued writeState = iota
	writeTaken
	writeAbandoned
)

// pendingWrite is one caller's write, waiting for its group.
type pendingWrite struct {
	ctx   context.Context
	op    string
	fn    func(ctx context.Context, tx *sql.Tx) error
	state atomic.Int32
	done  chan error // the write's outcome, sent once its group committed or failed
}

// errClosed fails the writes queued after Close.
var errClosed = errors.New("the store is closed")

// committer runs the groups.
type committer struct {
	s *Store
	// The savepoint statements, prepared on the writer connection.
	savepoint, rollbackTo, release *sql.Stmt

	mu     sync.Mutex
	queue  []*pendingWrite
	closed bool
	wake   chan struct{} // a token when the queue may hold writes
	done   chan struct{} // closed when run returns

	groups atomic.Int64 // transactions begun, for tests and benchmarks
}

func newCommitter(s *Store, p *preparer) *committer {
	return &committer{
		s:          s,
		savepoint:  p.write(`SAVEPOINT w`),
		rollbackTo: p.write(`ROLLBACK TO w`),
		release:    p.write(`RELEASE w`),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
}

// write runs fn in a transaction on the writer connection, within a group
// (see the top of this file). Everything fn writes is stored, or nothing;
// the answer comes once that is decided. fn must use the ctx it is given:
// a group cannot be interrupted half way, so it never ends early, and a
// write whose caller gave up before it started is not run.
func (s *Store) write(ctx context.Context, op string, fn func(ctx context.Context, tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return s.fail(op, err)
	}
	w := &pendingWrite{ctx: ctx, op: op, fn: fn, done: make(chan error, 1)}
	if err := s.commits.submit(w); err != nil {
		return s.fail(op, err)
	}
	select {
	case err := <-w.done:
		return err
	case <-ctx.Done():
		if w.state.CompareAndSwap(writeQueued, writeAbandoned) {
			return s.fail(op, ctx.Err()) // never run: nothing written
		}
		return <-w.done // running in a group: its outcome is decided soon
	}
}

func (c *committer) submit(w *pendingWrite) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errClosed
	}
	c.queue = append(c.queue, w)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default: // a token is there already
	}
	return nil
}

// take removes up to maxGroup queued writes that are still wanted, and
// marks them taken.
func (c *committer) take() []*pendingWrite {
	c.mu.Lock()
	defer c.mu.Unlock()
	var group []*pendingWrite
	n := 0
	for n < len(c.queue) && len(group) < maxGroup {
		w := c.queue[n]
		n++
		if w.state.CompareAndSwap(writeQueued, writeTaken) {
			group = append(group, w)
		}
	}
	clear(c.queue[:n])
	c.queue = c.queue[n:]
	if len(c.queue) == 0 {
		c.queue = nil // let the array go
	}
	return group
}

// run commits groups until stop is closed, then commits what is left.
func (c *committer) run(stop <-chan struct{}) {
	defer close(c.done)
	for {
		select {
		case <-c.wake:
		case <-stop:
			for g := c.take(); len(g) > 0; g = c.take() {
				c.commit(g)
			}
			return
		}
		for g := c.take(); len(g) > 0; g = c.take() {
			c.commit(g)
		}
	}
}

// close refuses new writes and waits for the queued ones.
func (c *committer) close(stop chan struct{}) {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	close(stop)
	<-c.done
}

// commit runs a group in one transaction and answers each of its writes.
func (c *committer) commit(group []*pendingWrite) {
	outcome := make([]error, len(group))
	var live []int // the writes whose callers still wait
	for i, w := range group {
		if err := w.ctx.Err(); err != nil {
			outcome[i] = err // not run: nothing written
			continue
		}
		live = append(live, i)
	}
	answer := func(groupErr error) {
		for i, w := range group {
			err := outcome[i]
			if err == nil && groupErr != nil && slices.Contains(live, i) {
				err = groupErr
			}
			if err != nil {
				err = c.s.fail(w.op, err)
			}
			w.done <- err
		}
	}
	if len(live) == 0 {
		answer(nil)
		return
	}
	// The group's statements run without the callers' cancellation: an
	// interrupted statement may roll back the whole transaction (SQLite's
	// rule), taking the other callers' writes with it.
	ctx := context.Background()
	tx, err := c.s.w.BeginTx(ctx, nil)
	if err != nil {
		answer(err)
		return
	}
	c.groups.Add(1)
	if len(live) == 1 {
		// Alone, the write is the transaction: no savepoint needed.
		w := group[live[0]]
		if err := w.fn(context.WithoutCancel(w.ctx), tx); err != nil {
			_ = tx.Rollback() // fn's error is the one to report
			outcome[live[0]] = err
			answer(nil)
			return
		}
		answer(tx.Commit())
		return
	}
	for _, i := range live {
		err := c.one(ctx, tx, group[i])
		var broken *brokenGroup
		if errors.As(err, &broken) {
			_ = tx.Rollback() // the group is lost; broken says why
			outcome[i] = broken.cause
			answer(gamedata.Unavailable("sqlite", broken))
			return
		}
		outcome[i] = err
	}
	answer(tx.Commit())
}

// brokenGroup is a write's failure that its savepoint could not undo: the
// transaction is gone, and with it every write of the group. The other
// writes fail as unavailable (it does not unwrap to the cause, which is
// the failing write's own answer).
type brokenGroup struct{ cause, undo error }

func (b *brokenGroup) Error() string {
	return fmt.Sprintf("a write of the same group failed (%v) and could not be undone alone (%v): nothing was written", b.cause, b.undo)
}

// one runs w in its own savepoint of tx. Its failure undoes only its own
// statements, unless the undo fails too (a *brokenGroup).
func (c *committer) one(ctx context.Context, tx *sql.Tx, w *pendingWrite) error {
	if _, err := tx.StmtContext(ctx, c.savepoint).ExecContext(ctx); err != nil {
		return &brokenGroup{cause: err, undo: err}
	}
	err := w.fn(context.WithoutCancel(w.ctx), tx)
	if err != nil {
		if _, uerr := tx.StmtContext(ctx, c.rollbackTo).ExecContext(ctx); uerr != nil {
			return &brokenGroup{cause: err, undo: uerr}
		}
	}
	if _, rerr := tx.StmtContext(ctx, c.release).ExecContext(ctx); rerr != nil {
		return &brokenGroup{cause: cmp.Or(err, rerr), undo: rerr}
	}
	return err
}
