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
	for _, table := range []string{"sessions", "messages", "events"} {
		s.purge = append(s.purge, p.write(`DELETE FROM `+table+` WHERE rowid IN
			(SELECT rowid FROM `+table+` WHERE expires <= :now LIMIT :batch)`))
	}
}

// PurgeExpired deletes the sessions, messages and events that have expired
// (reads skip them already; this frees their space) and returns how many.
// Each batch is its own short transaction: stopping half way loses nothing.
func (s *Store) PurgeExpired(ctx context.Context) (deleted int64, err error) {
	now := s.now()
	for _, stmt := range s.purge {
		for {
			res, err := stmt.ExecContext(ctx, now, sql.Named("batch", purgeBatch))
			if err != nil {
				return deleted, s.fail("purge expired rows", err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return deleted, s.fail("purge expired rows", err)
			}
			deleted += n
			if n < purgeBatch {
				break
			}
		}
	}
	return deleted, nil
}
