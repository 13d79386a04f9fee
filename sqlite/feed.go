package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// The change feed is an outbox table, changes, whose INTEGER PRIMARY KEY seq
// numbers the records. SQLite runs one write transaction at a time (across
// processes too), so a record's seq is given in commit order, and a reader
// never sees seq n+1 without seq n: a consumer's position is simply the last
// seq it committed, kept in feed_consumers, and a cursor is a seq.
//
// Records go only from the bottom of the table (those every consumer has
// passed, or expired ones while no consumer is known), so the records above
// any consumer's position have no gaps and its pending count is a
// subtraction.

// DefaultFeedRetention is how long change records are kept while no
// consumer reads the feed (see PurgeExpired).
const DefaultFeedRetention = 7 * 24 * time.Hour

// Bounds of the feed's work per statement.
const (
	// maxChangeBatch caps one ReadChanges, whatever max asks.
	maxChangeBatch = 10_000
	// consumerMaxLen bounds a consumer's name.
	consumerMaxLen = 200
)

var _ gamedata.ChangeFeed = (*Store)(nil)

func (s *Store) prepareFeed(p *preparer) {
	s.insertChange = p.write(`INSERT INTO changes (id, at, kind, player_key, order_id, message)
		VALUES (:id, :at, :kind, :player, :order_id, :message)`)
	s.consumerPosition = p.read(`SELECT seq FROM feed_consumers WHERE consumer = :consumer`)
	// The no-op update makes RETURNING answer for a consumer known already.
	s.registerConsumer = p.write(`INSERT INTO feed_consumers (consumer, seq, updated) VALUES (:consumer, 0, :now)
		ON CONFLICT (consumer) DO UPDATE SET seq = seq RETURNING seq`)
	s.readChanges = p.read(`SELECT seq, id, kind, player_key, order_id, message FROM changes
		WHERE seq > :after ORDER BY seq LIMIT :limit`)
	// sqlite_sequence keeps the last seq given even when its record is gone.
	s.lastSeq = p.write(`SELECT seq FROM sqlite_sequence WHERE name = 'changes'`)
	// A position never moves back: a retried commit of an older cursor is harmless.
	s.commitPosition = p.write(`INSERT INTO feed_consumers (consumer, seq, updated) VALUES (:consumer, :seq, :now)
		ON CONFLICT (consumer) DO UPDATE SET seq = max(seq, excluded.seq), updated = excluded.updated`)
	s.listConsumers = p.read(`SELECT consumer, seq, updated FROM feed_consumers ORDER BY consumer`)
	s.dropConsumer = p.write(`DELETE FROM feed_consumers WHERE consumer = :consumer`)
	s.removePassed = p.write(`DELETE FROM changes WHERE seq IN (SELECT seq FROM changes
		WHERE seq <= (SELECT min(seq) FROM feed_consumers) ORDER BY seq LIMIT :batch)`)
	s.feedStatus = p.read(`SELECT seq, at, (SELECT max(seq) FROM changes) FROM changes
		WHERE seq > :after ORDER BY seq LIMIT 1`)
	s.anyConsumer = p.read(`SELECT EXISTS (SELECT 1 FROM feed_consumers)`)
	s.firstYoungChange = p.read(`SELECT seq FROM changes WHERE at > :cutoff ORDER BY seq LIMIT 1`)
	s.purgeOldChanges = p.write(`DELETE FROM changes WHERE seq IN (SELECT seq FROM changes
		WHERE seq < :below ORDER BY seq LIMIT :batch) AND NOT EXISTS (SELECT 1 FROM feed_consumers)`)
}

// storedMessage is a message as its change record keeps it: whole, with
// ExpiresAt, which gamedata.Message leaves out of JSON.
type storedMessage struct {
	gamedata.Message
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// recordChange writes the change record of a write in the write's own
// transaction, so that the feed holds it if and only if the write is
// stored. Its id is a timeuuid of the store's clock.
func (s *Store) recordChange(ctx context.Context, tx *sql.Tx, c gamedata.Change) error {
	at := s.clock.Now()
	order, message := sql.Named("order_id", nil), sql.Named("message", nil)
	if c.Kind == gamedata.ChangeOrder {
		order.Value = blob(c.OrderID)
	}
	if c.Message != nil {
		b, err := json.Marshal(storedMessage{Message: *c.Message, ExpiresAt: c.Message.ExpiresAt})
		if err != nil {
			return fmt.Errorf("encode message of change record: %w", err)
		}
		message.Value = string(b)
	}
	_, err := tx.StmtContext(ctx, s.insertChange).ExecContext(ctx, sql.Named("id", blob(gamedata.NewID(at))),
		sql.Named("at", nanos(at)), sql.Named("kind", string(c.Kind)), sql.Named("player", c.Player), order, message)
	return err
}

func scanChange(sc scanner) (seq int64, c gamedata.Change, err error) {
	var kind string
	var order, message []byte // NULL unless the kind has them
	if err := sc.Scan(&seq, &c.ID, &kind, &c.Player, &order, &message); err != nil {
		return 0, c, err
	}
	c.Kind = gamedata.ChangeKind(kind)
	if order != nil {
		if err := c.OrderID.UnmarshalBinary(order); err != nil {
			return 0, c, fmt.Errorf("change %d: order id: %w", seq, err)
		}
	}
	if message != nil {
		var m storedMessage
		if err := json.Unmarshal(message, &m); err != nil {
			return 0, c, fmt.Errorf("change %d: message: %w", seq, err)
		}
		m.Message.ExpiresAt = m.ExpiresAt
		c.Message = &m.Message
	}
	return seq, c, nil
}

// feedCursor encodes the position just after seq.
func feedCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString(binary.BigEndian.AppendUint64(nil, uint64(seq)))
}

func parseFeedCursor(cursor string) (int64, error) {
	b, ok := gamedata.DecodeToken(cursor)
	if !ok || len(b) != 8 || b[0]&0x80 != 0 {
		return 0, gamedata.Invalid("cursor", "is not a cursor of this feed")
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

func checkConsumer(consumer string) error {
	if consumer == "" || len(consumer) > consumerMaxLen {
		return gamedata.Invalid("consumer", "must be 1 to %d bytes", consumerMaxLen)
	}
	return nil
}

// position returns the last seq consumer committed; an unknown consumer is
// at 0, before every record. register makes an unknown consumer known,
// which keeps every record it has not passed from then on.
func (s *Store) position(ctx context.Context, op, consumer string, register bool) (int64, error) {
	name := sql.Named("consumer", consumer)
	var seq int64
	switch err := s.consumerPosition.QueryRowContext(ctx, name).Scan(&seq); {
	case err == nil:
		return seq, nil
	case !errors.Is(err, sql.ErrNoRows):
		return 0, s.fail(op, err)
	case !register:
		return 0, nil
	}
	err := s.write(ctx, op+": register the consumer", func(ctx context.Context, tx *sql.Tx) error {
		return tx.StmtContext(ctx, s.registerConsumer).QueryRowContext(ctx, name, s.now()).Scan(&seq)
	})
	return seq, err
}

// ReadChanges returns up to max (at most 10000) changes after consumer's
// position, oldest first. The first read makes the consumer known: from
// then on, no record it has not committed is removed.
func (s *Store) ReadChanges(ctx context.Context, consumer string, max int) (gamedata.ChangeBatch, error) {
	op := "read changes for " + consumer
	var batch gamedata.ChangeBatch
	if err := checkConsumer(consumer); err != nil {
		return batch, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	if max < 1 {
		return batch, fmt.Errorf("sqlite: %s: %w", op, gamedata.Invalid("max", "must be at least 1"))
	}
	after, err := s.position(ctx, op, consumer, true)
	if err != nil {
		return batch, err
	}
	rows, err := s.readChanges.QueryContext(ctx, sql.Named("after", after), sql.Named("limit", min(max, maxChangeBatch)))
	if err != nil {
		return batch, s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		seq, c, err := scanChange(rows)
		if err != nil {
			return batch, s.fail(op, err)
		}
		batch.Changes = append(batch.Changes, c)
		after = seq
	}
	if err := rows.Err(); err != nil {
		return batch, s.fail(op, err)
	}
	// An empty batch's cursor is the position itself: committing it is a no-op.
	batch.Cursor = feedCursor(after)
	return batch, nil
}

// CommitChanges moves consumer's position to cursor (never backwards), then
// removes the records every known consumer has passed, in bounded batches.
// A cursor beyond the newest record ever written is ErrInvalid.
func (s *Store) CommitChanges(ctx context.Context, consumer, cursor string) error {
	op := "commit changes of " + consumer
	if err := checkConsumer(consumer); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	seq, err := parseFeedCursor(cursor)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	err = s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		var last int64
		if err := tx.StmtContext(ctx, s.lastSeq).QueryRowContext(ctx).Scan(&last); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if seq > last {
			return gamedata.Invalid("cursor", "is beyond the end of the feed")
		}
		_, err := tx.StmtContext(ctx, s.commitPosition).ExecContext(ctx,
			sql.Named("consumer", consumer), sql.Named("seq", seq), s.now())
		return err
	})
	if err != nil {
		return err
	}
	// The position is stored; should this fail, the next commit removes them.
	_, err = s.deleteInBatches(ctx, op+": remove the changes every consumer passed", s.removePassed)
	return err
}

// FeedStatus counts consumer's pending changes exactly and tells when the
// oldest was made. An unknown consumer is reported as it would start: before
// every record (it does not become known by asking).
func (s *Store) FeedStatus(ctx context.Context, consumer string) (gamedata.FeedStatus, error) {
	op := "feed status of " + consumer
	var st gamedata.FeedStatus
	if err := checkConsumer(consumer); err != nil {
		return st, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	after, err := s.position(ctx, op, consumer, false)
	if err != nil {
		return st, err
	}
	var first, last int64
	err = s.feedStatus.QueryRowContext(ctx, sql.Named("after", after)).Scan(&first, (*unixNanos)(&st.Oldest), &last)
	if errors.Is(err, sql.ErrNoRows) {
		return st, nil // nothing pending
	}
	if err != nil {
		return st, s.fail(op, err)
	}
	st.Pending = last - first + 1 // no gaps above a position: see the top of this file
	return st, nil
}

var _ gamedata.FeedAdmin = (*Store)(nil)

// FeedConsumers lists the known consumers, by name: their position is the
// seq of the last record they committed.
func (s *Store) FeedConsumers(ctx context.Context) ([]gamedata.FeedConsumer, error) {
	const op = "list feed consumers"
	rows, err := s.listConsumers.QueryContext(ctx)
	if err != nil {
		return nil, s.fail(op, err)
	}
	var out []gamedata.FeedConsumer
	for rows.Next() {
		var c gamedata.FeedConsumer
		var seq int64
		var saved sql.NullInt64 // unknown for a consumer of before schema step 4
		if err := rows.Scan(&c.Name, &seq, &saved); err != nil {
			_ = rows.Close() // the scan error is the one to report
			return nil, s.fail(op, err)
		}
		c.Position = strconv.FormatInt(seq, 10)
		if saved.Valid {
			c.Saved = fromNanos(saved.Int64)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	for i := range out {
		if out[i].FeedStatus, err = s.FeedStatus(ctx, out[i].Name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// DropFeedConsumer forgets a consumer, then removes the records every
// remaining consumer has passed (or, with none left, leaves them to the
// purge of records past the feed retention).
func (s *Store) DropFeedConsumer(ctx context.Context, consumer string) error {
	op := "drop feed consumer " + consumer
	if err := checkConsumer(consumer); err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	err := s.write(ctx, op, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.dropConsumer).ExecContext(ctx, sql.Named("consumer", consumer))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmp.Or(err, gamedata.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return err
	}
	_, err = s.deleteInBatches(ctx, op+": remove the changes every consumer passed", s.removePassed)
	return err
}

// purgeChanges drops the records older than the feed retention, but ONLY
// while no consumer is known: then no indexer reads this feed (search is
// not configured), and without a purge the records would pile up for good.
// Once any consumer is known, records go only when every consumer has
// passed them, however old they are: dropping one would lose a write for
// search. Each batch checks again that no consumer is known, in its own
// transaction, so a consumer registering meanwhile loses nothing.
//
// It drops the oldest records up to the first young one, keeping the table
// free of gaps, and reads only the records it drops.
func (s *Store) purgeChanges(ctx context.Context) (deleted int64, err error) {
	const op = "purge expired change records"
	var known bool
	if err := s.anyConsumer.QueryRowContext(ctx).Scan(&known); err != nil {
		return 0, s.fail(op, err)
	}
	if known {
		return 0, nil
	}
	below := int64(math.MaxInt64)
	cutoff := sql.Named("cutoff", nanos(s.clock.Now().Add(-s.feedRetention)))
	if err := s.firstYoungChange.QueryRowContext(ctx, cutoff).Scan(&below); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, s.fail(op, err)
	}
	return s.deleteInBatches(ctx, op, s.purgeOldChanges, sql.Named("below", below))
}
