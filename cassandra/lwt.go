package cassandra

import (
	"context"
	"fmt"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
)

// changeByLWTAfter is changeByLWT (feed.go) for a transaction that plain
// writes must precede, such as its day-log entry: prelude adds them to the
// batch of c's intent, so that they and the intent take one round trip, not
// two. The batch is unlogged: every write in it is idempotent and comes
// before the transaction, so a batch that fails partly leaves only rows that
// a failed write may leave anyway (an intent, which the reader reads to no
// change; a day-log row of a write not made, which readers of the day log
// drop; an index row).
func (s *Store) changeByLWTAfter(ctx context.Context, c gamedata.Change, prelude func(b batch) (stored func(), err error),
	write func() (applied bool, err error),
) (bool, error) {
	start := s.clock.Now()
	b := s.batch(gocql.UnloggedBatch)
	preluded, err := prelude(b)
	if err != nil {
		return false, err
	}
	intended := s.addChange(b, c, true)
	if err := b.exec(ctx); err != nil {
		return false, err
	}
	preluded()
	intended()
	// The intent's grace covers a transaction that starts by then.
	if late := s.clock.Now().Sub(start); late > time.Duration(s.cfg.Retries)*s.cfg.Timeout {
		return false, gamedata.Unavailable("cassandra", fmt.Errorf("the change intent took %s: the write was not tried", late))
	}
	if err := s.runHook(false); err != nil {
		return false, err
	}
	applied, err := write()
	if err != nil || !applied {
		return applied, err
	}
	s.recorded(ctx, c)
	return true, nil
}

// logPrelude is a prelude of changeByLWTAfter that writes e.
func (s *Store) logPrelude(e logEntry) func(b batch) (func(), error) {
	return func(b batch) (func(), error) { return s.addLog(b, e) }
}
