package sqlite

import (
	"context"
	"database/sql"
	"math"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// What the archive reads (gamedata.HistoryReader): each day by an indexed
// time range, a page at a time, so that no read transaction stays open
// while the archive writes what it read (a long one would hold back the
// WAL's checkpoints). See docs/archive.md.

// historyPage is how many rows one read of a day takes.
const historyPage = 2000

type historyStatements struct {
	recordPlayer                           *sql.Stmt
	players, created, paid, messages, evts *sql.Stmt
	acquireLease, releaseLease, began      *sql.Stmt
}

func (s *Store) prepareHistory(p *preparer) {
	h := &s.history
	// Two changes in the same nanosecond: the later one is the state.
	h.recordPlayer = p.write(`INSERT OR REPLACE INTO player_changes
		(at, id, name, email, phone, age, created, updated, expires)
		VALUES (:updated, :id, :name, :email, :phone, :age, :created, :updated, :expires)`)
	// Each page after the last row of the one before, by (time, key).
	h.players = p.read(`SELECT at, id, name, email, phone, age, created, updated FROM player_changes
		WHERE at >= :from AND at < :to AND (at, id) > (:at, :key) ORDER BY at, id LIMIT :limit`)
	h.created = p.read(`SELECT created, ` + orderColumns + ` FROM orders INDEXED BY orders_by_created
		WHERE created >= :from AND created < :to AND (created, id) > (:at, :key) ORDER BY created, id LIMIT :limit`)
	h.paid = p.read(`SELECT updated, ` + orderColumns + ` FROM orders INDEXED BY orders_paid_by_updated
		WHERE status = 'paid' AND updated >= :from AND updated < :to AND (updated, id) > (:at, :key)
		ORDER BY updated, id LIMIT :limit`)
	h.messages = p.read(`SELECT created, id, sender, receiver, text, created, expires FROM messages
		INDEXED BY messages_by_created
		WHERE created >= :from AND created < :to AND (created, id) > (:at, :key) ORDER BY created, id LIMIT :limit`)
	h.evts = p.read(`SELECT stored, rowid, id, player, type, at, data, expires FROM events INDEXED BY events_by_stored
		WHERE stored >= :from AND stored < :to AND (stored, rowid) > (:at, :key) ORDER BY stored, rowid LIMIT :limit`)
	// Each min() reads one end of an index.
	h.began = p.read(`SELECT min(t) FROM (
		SELECT min(at) AS t FROM player_changes UNION ALL SELECT min(created) FROM orders
		UNION ALL SELECT min(created) FROM messages UNION ALL SELECT min(stored) FROM events)`)
	h.acquireLease = p.write(`INSERT INTO leases (name, owner, expires) VALUES (:name, :owner, :expires)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires = excluded.expires
		WHERE leases.owner = excluded.owner OR leases.expires <= :now`)
	h.releaseLease = p.write(`DELETE FROM leases WHERE name = :name AND owner = :owner`)
}

// recordPlayerChange keeps p as this change left it, in the write's
// transaction, for the archive's daily snapshot of changed players.
func (s *Store) recordPlayerChange(ctx context.Context, tx *sql.Tx, p gamedata.Player) error {
	_, err := tx.StmtContext(ctx, s.history.recordPlayer).ExecContext(ctx,
		sql.Named("updated", nanos(p.UpdatedAt)), sql.Named("id", blob(p.ID)), sql.Named("name", p.Name),
		sql.Named("email", p.Email), sql.Named("phone", p.Phone), sql.Named("age", p.Age),
		sql.Named("created", nanos(p.CreatedAt)), sql.Named("expires", nanos(s.clock.Now().Add(s.historyRetention))))
	return err
}

// dayPages runs stmt for day d a page at a time, after the (time, key) of
// the last row scan returned, until a page comes back short.
func (s *Store) dayPages(ctx context.Context, op string, stmt *sql.Stmt, d gamedata.Day,
	scan func(*sql.Rows) (at int64, key any, err error)) error {
	if d.IsZero() {
		return s.fail(op, gamedata.Invalid("day", "no day given"))
	}
	var at int64 = math.MinInt64
	var key any = []byte{}
	for {
		rows, err := stmt.QueryContext(ctx, sql.Named("from", nanos(d.Start())), sql.Named("to", nanos(d.End())),
			sql.Named("at", at), sql.Named("key", key), sql.Named("limit", historyPage))
		if err != nil {
			return s.fail(op, err)
		}
		n := 0
		for rows.Next() {
			n++
			if at, key, err = scan(rows); err != nil {
				rows.Close()
				return err
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return s.fail(op, err)
		}
		if n < historyPage {
			return nil
		}
	}
}

// PlayerChanges gives each player changed on d as its last change that day
// left it: the day's changes are read in time order and the last one kept.
func (s *Store) PlayerChanges(ctx context.Context, d gamedata.Day, fn func(gamedata.Player) error) error {
	last := map[uuid.UUID]gamedata.Player{}
	var order []uuid.UUID
	err := s.dayPages(ctx, "read the players of "+d.String(), s.history.players, d, func(r *sql.Rows) (int64, any, error) {
		var at int64
		var p gamedata.Player
		if err := r.Scan(&at, &p.ID, &p.Name, &p.Email, &p.Phone, &p.Age, (*unixNanos)(&p.CreatedAt),
			(*unixNanos)(&p.UpdatedAt)); err != nil {
			return 0, nil, s.fail("read the players of "+d.String(), err)
		}
		if _, seen := last[p.ID]; !seen {
			order = append(order, p.ID)
		}
		last[p.ID] = p
		return at, blob(p.ID), nil
	})
	if err != nil {
		return err
	}
	for _, id := range order {
		if err := fn(last[id]); err != nil {
			return err
		}
	}
	return nil
}

// OrderChanges gives the orders created on d (as they were then: unpaid)
// and those paid on d. An order's only changes are these two.
func (s *Store) OrderChanges(ctx context.Context, d gamedata.Day, fn func(gamedata.OrderChange) error) error {
	scan := func(asCreated bool) func(*sql.Rows) (int64, any, error) {
		return func(r *sql.Rows) (int64, any, error) {
			var at int64
			var o gamedata.Order
			if err := r.Scan(&at, &o.ID, &o.UserName, &o.Item, &o.Amount, &o.Price, &o.Status,
				(*unixNanos)(&o.CreatedAt), (*unixNanos)(&o.UpdatedAt)); err != nil {
				return 0, nil, s.fail("read the orders of "+d.String(), err)
			}
			c := gamedata.OrderChange{Order: o, At: o.UpdatedAt}
			if asCreated {
				c.Status, c.UpdatedAt, c.At = gamedata.OrderUnpaid, o.CreatedAt, o.CreatedAt
			}
			return at, blob(o.ID), fn(c)
		}
	}
	if err := s.dayPages(ctx, "read the orders of "+d.String(), s.history.created, d, scan(true)); err != nil {
		return err
	}
	return s.dayPages(ctx, "read the payments of "+d.String(), s.history.paid, d, scan(false))
}

// MessagesSent gives the messages sent on d.
func (s *Store) MessagesSent(ctx context.Context, d gamedata.Day, fn func(gamedata.Message) error) error {
	return s.dayPages(ctx, "read the messages of "+d.String(), s.history.messages, d, func(r *sql.Rows) (int64, any, error) {
		var at int64
		var m gamedata.Message
		if err := r.Scan(&at, &m.ID, &m.From, &m.To, &m.Text, (*unixNanos)(&m.CreatedAt), (*expiresNanos)(&m.ExpiresAt)); err != nil {
			return 0, nil, s.fail("read the messages of "+d.String(), err)
		}
		return at, blob(m.ID), fn(m)
	})
}

// EventsStored gives the events stored on d.
func (s *Store) EventsStored(ctx context.Context, d gamedata.Day, fn func(gamedata.Event) error) error {
	return s.dayPages(ctx, "read the events of "+d.String(), s.history.evts, d, func(r *sql.Rows) (int64, any, error) {
		var at, rowid int64
		var e gamedata.Event
		var data []byte
		if err := r.Scan(&at, &rowid, &e.ID, &e.Player, &e.Type, (*unixNanos)(&e.At), &data, (*expiresNanos)(&e.ExpiresAt)); err != nil {
			return 0, nil, s.fail("read the events of "+d.String(), err)
		}
		if len(data) > 0 {
			e.Data = data
		}
		return at, rowid, fn(e)
	})
}

// Began returns the time of the oldest row the history reads.
func (s *Store) Began(ctx context.Context) (time.Time, error) {
	var t sql.NullInt64
	if err := s.history.began.QueryRowContext(ctx).Scan(&t); err != nil {
		return time.Time{}, s.fail("when the history began", err)
	}
	if !t.Valid {
		return time.Time{}, nil
	}
	return time.Unix(0, t.Int64).UTC(), nil
}

// AcquireLease takes or renews the lease name for owner until now+ttl,
// unless another owner holds it unexpired.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	var got bool
	err := s.write(ctx, "acquire lease "+name, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.history.acquireLease).ExecContext(ctx, sql.Named("name", name),
			sql.Named("owner", owner), sql.Named("expires", nanos(s.clock.Now().Add(ttl))), s.now())
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		got = n == 1
		return err
	})
	return got, err
}

// ReleaseLease gives up the lease name if owner holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	return s.write(ctx, "release lease "+name, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.StmtContext(ctx, s.history.releaseLease).ExecContext(ctx, sql.Named("name", name), sql.Named("owner", owner))
		return err
	})
}
