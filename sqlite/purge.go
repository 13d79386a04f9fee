package sqlite

import (
	"context"
	"database/sql"
)

// purgeBatch bounds the rows one purge statement deletes, so the write lock
// is never held long and requests' writes slip in between batches.
const purgeBatch = 1000

func (s *Store) preparePurge(p *preparer) {
	// Table names cannot be parameters: these are our constants.
	for _, table := range []string{"sessions", "messages", "events", "player_changes", "idempotency"} {
		s.purge = append(s.purge, p.write(`DELETE FROM `+table+` WHERE rowid IN
			(SELECT rowid FROM `+table+` WHERE expires <= :now LIMIT :batch)`))
	}
}

// PurgeExpired deletes the sessions, messages, events, player changes and
// idempotency records that have expired (reads skip them already; this
// frees their space), and the change records older than the feed retention
// while no consumer reads the feed (see purgeChanges), and returns how many.
// Each batch is its own short transaction: stopping half way loses nothing.
func (s *Store) PurgeExpired(ctx context.Context) (deleted int64, err error) {
	now := s.now()
	for _, stmt := range s.purge {
		n, err := s.deleteInBatches(ctx, "purge expired rows", stmt, now)
		deleted += n
		if err != nil {
			return deleted, err
		}
	}
	n, err := s.purgeChanges(ctx)
	return deleted + n, err
}

// deleteInBatches runs stmt, a delete of at most :batch rows, until it
// deletes fewer, and returns how many rows it deleted. Each run is its own
// transaction.
func (s *Store) deleteInBatches(ctx context.Context, op string, stmt *sql.Stmt, args ...any) (deleted int64, err error) {
	args = append(args, sql.Named("batch", purgeBatch))
	for {
		res, err := stmt.ExecContext(ctx, args...)
		if err != nil {
			return deleted, s.fail(op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return deleted, s.fail(op, err)
		}
		deleted += n
		if n < purgeBatch {
			return deleted, nil
		}
	}
}
