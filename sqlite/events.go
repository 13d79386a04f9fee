package sqlite

import (
	"context"
	"database/sql"
	"math"

	"github.com/gamedata-dev/gamedata"
)

func (s *Store) prepareEvents(p *preparer) {
	// An event appended again with its id is stored once (see insertMessage).
	s.insertEvent = p.write(`INSERT INTO events (id, player_key, player, type, at, data, expires, stored)
		VALUES (:id, :key, :player, :type, :at, :data, :expires, :now)
		ON CONFLICT (player_key, at, id) DO NOTHING`)
	s.listEvents = p.read(`SELECT id, player, type, at, data, expires FROM events
		WHERE player_key = :key AND at >= :from AND (at, id) < (:at, :id) AND expires > :now
		ORDER BY at DESC, id DESC LIMIT :limit`)
}

func scanEvent(sc scanner) (e gamedata.Event, err error) {
	var data []byte // NULL when the event has no data
	err = sc.Scan(&e.ID, &e.Player, &e.Type, (*unixNanos)(&e.At), &data, (*expiresNanos)(&e.ExpiresAt))
	if len(data) > 0 {
		e.Data = data
	}
	return e, err
}

func eventCursor(e gamedata.Event) cursor { return cursor{at: nanos(e.At), id: blob(e.ID)} }

// AppendEvents stores a batch of events, of any players, all or none.
func (s *Store) AppendEvents(ctx context.Context, events []gamedata.Event) error {
	if len(events) == 0 {
		return nil
	}
	now := s.now()
	return s.write(ctx, "append events", func(ctx context.Context, tx *sql.Tx) error {
		insert := tx.StmtContext(ctx, s.insertEvent)
		for _, e := range events {
			data := sql.Named("data", nil)
			if len(e.Data) > 0 {
				data.Value = string(e.Data)
			}
			if _, err := insert.ExecContext(ctx, sql.Named("id", blob(e.ID)), sql.Named("key", gamedata.NameKey(e.Player)),
				sql.Named("player", e.Player), sql.Named("type", e.Type), sql.Named("at", nanos(e.At)), data,
				sql.Named("expires", expiry(e.ExpiresAt)), now); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListEvents lists player's events with r.From <= At < r.To, newest first.
func (s *Store) ListEvents(ctx context.Context, player string, r gamedata.EventRange, p gamedata.PageRequest) (gamedata.Page[gamedata.Event], error) {
	from, ceil := int64(math.MinInt64), top
	if !r.From.IsZero() {
		from = nanos(r.From)
	}
	if !r.To.IsZero() {
		ceil = cursor{at: nanos(r.To), id: []byte{}} // below it: at < To, whatever the id
	}
	return list(ctx, s, "list events of "+player, s.listEvents, p, ceil, scanEvent, eventCursor,
		sql.Named("key", gamedata.NameKey(player)), sql.Named("from", from), s.now())
}
