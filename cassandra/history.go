package cassandra

import (
	"context"
	"encoding/json"
	"errors"
	"hash/fnv"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
)

// The day log: what the archive reads (gamedata.HistoryReader). Every
// write the archive keeps also writes its row, as JSON, to day_log, in the
// partition of its table, the hour it was stored and one of dayLogShards
// shards, and (once per partition and process) that partition's row in
// day_log_index. A day is then one read of its index and one of each
// partition it lists: a cost that grows with that day's writes, never with
// the tables, and next to nothing for a quiet day (docs/archive.md).
//
// Where the write is a LOGGED batch (a message, an update of a player, an
// order without idempotency key) its day-log row joins the batch. Where it
// is a lightweight transaction (a new player, an order with a key, a
// payment), which cannot share a batch with another partition, the day-log
// row is written first, and the reader keeps it only if the row it stands
// for is stored as it says: a claim that lost leaves a row the reader
// drops, and a write that failed after it no row to miss. Events' rows are
// written before the events, as their bucket index is.

const (
	// dayLogShards spreads an hour's rows over partitions: at 1,000 writes
	// a second one holds about 110,000 rows.
	dayLogShards = 32
	// dayLogParallel is how many day-log partitions a day read reads at once.
	dayLogParallel = 8
	// dayLogPage is the page size of a partition read.
	dayLogPage = 1000
	// dayPartMemory bounds the index rows a process remembers writing.
	dayPartMemory = 16 << 10
	hour          = time.Hour
)

// The tables of the day log.
const (
	logPlayers  = "players"
	logOrders   = "orders"
	logMessages = "messages"
	logEvents   = "events"
)

var (
	insertDayLog = write(`INSERT INTO day_log (tbl, hour, shard, at, id, change, row) VALUES (?, ?, ?, ?, ?, ?, ?)
		USING TTL ?`)
	readDayLog    = read(`SELECT row FROM day_log WHERE tbl = ? AND hour = ? AND shard = ?`)
	insertDayPart = write(`INSERT INTO day_log_index (tbl, day, hour, shard) VALUES (?, ?, ?, ?) USING TTL ?`)
	readDayParts  = read(`SELECT hour, shard FROM day_log_index WHERE tbl = ? AND day = ?`)
	// The earliest day wins: its write carries the highest timestamp.
	insertBegan = write(`INSERT INTO history_began (tbl, day) VALUES (?, ?) USING TIMESTAMP ?`)
	readBegan   = read(`SELECT day FROM history_began WHERE tbl = ?`)

	claimJobLease = lwt(namePaxos, `INSERT INTO leases (name, owner) VALUES (?, ?) IF NOT EXISTS USING TTL ?`)
	renewJobLease = lwt(namePaxos, `UPDATE leases USING TTL ? SET owner = ? WHERE name = ? IF owner = ?`)
	dropJobLease  = lwt(namePaxos, `DELETE FROM leases WHERE name = ? IF owner = ?`)
)

// logEntry is one day-log row to write: stored at stored, for row r.
type logEntry struct {
	table   string
	stored  time.Time
	at      time.Time
	id      uuid.UUID
	change  string
	row     any
	expires time.Time // zero: the history retention
	// shardBy picks the entry's shard (shardOf); zero: id. The rows of one
	// call share a shard so that they share a batch (AppendEvents).
	shardBy uuid.UUID
}

func shardOf(id uuid.UUID) int32 {
	h := fnv.New32a()
	_, _ = h.Write(id[:])
	return int32(h.Sum32() % dayLogShards)
}

// dayPart names a day-log partition.
type dayPart struct {
	table       string
	hour, shard int32
}

// logArgs binds e to insertDayLog; part is its partition.
func (s *Store) logArgs(e logEntry) (args []any, part dayPart, err error) {
	b, err := json.Marshal(e.row)
	if err != nil {
		return nil, part, err
	}
	now := s.clock.Now()
	expires := e.expires
	if expires.IsZero() {
		expires = now.Add(s.cfg.HistoryRetention)
	}
	by := e.shardBy
	if by == uuid.Nil {
		by = e.id
	}
	part = dayPart{e.table, bucketOf(e.stored, hour), shardOf(by)}
	return []any{e.table, part.hour, part.shard, e.at, [16]byte(e.id), e.change, string(b), ttl(expires, now)}, part, nil
}

// partArgs binds the index row of part to insertDayPart, or returns nil
// when this process wrote it already. The index row outlives every row of
// its partition: it lives as long as the longest retention, and a day more.
func (s *Store) partArgs(p dayPart) []any {
	if _, done := s.dayParts.Load(p); done {
		return nil
	}
	now := s.clock.Now()
	keep := max(s.cfg.HistoryRetention, gamedata.DefaultRetention) + 24*time.Hour
	day := bucketOf(bucketStart(p.hour, hour), 24*time.Hour)
	return []any{p.table, day, p.hour, p.shard, ttl(now.Add(keep), now)}
}

// beganBase is above every write timestamp Cassandra makes (microseconds
// since 1970), so that of the began rows the earliest day always wins.
const beganBase = 1 << 53

// beganArgs binds the began row of table for a row stored on day, or
// returns nil when this process wrote one as early already.
func (s *Store) beganArgs(p dayPart) []any {
	day := bucketOf(bucketStart(p.hour, hour), 24*time.Hour)
	if d, ok := s.began.Load(p.table); ok && d.(int32) <= day {
		return nil
	}
	return []any{p.table, day, int64(beganBase - int64(day))}
}

func (s *Store) beganWritten(args []any) { s.began.Store(args[0], args[1]) }

// partWritten remembers that the index row of p is stored. The memory is
// dropped whole now and then (a later write then stores the row again,
// which is harmless).
func (s *Store) partWritten(p dayPart) {
	if s.dayPartCount.Add(1) > dayPartMemory {
		s.dayParts.Clear()
		s.dayPartCount.Store(0)
	}
	s.dayParts.Store(p, true)
}

// addLog adds e (and its partition's index row) to batch b, and returns
// what to call once b is stored.
func (s *Store) addLog(b batch, e logEntry) (stored func(), err error) {
	args, part, err := s.logArgs(e)
	if err != nil {
		return nil, err
	}
	b.add(insertDayLog, args...)
	if pa := s.partArgs(part); pa != nil {
		b.add(insertDayPart, pa...)
	}
	ba := s.beganArgs(part)
	if ba != nil {
		b.add(insertBegan, ba...)
	}
	return func() {
		s.partWritten(part)
		if ba != nil {
			s.beganWritten(ba)
		}
	}, nil
}

// writeLog writes e and its index row on their own, before a lightweight
// transaction.
func (s *Store) writeLog(ctx context.Context, e logEntry) error {
	args, part, err := s.logArgs(e)
	if err != nil {
		return err
	}
	if pa := s.partArgs(part); pa != nil {
		if err := s.query(insertDayPart, pa...).exec(ctx); err != nil {
			return err
		}
		s.partWritten(part)
	}
	if ba := s.beganArgs(part); ba != nil {
		if err := s.query(insertBegan, ba...).exec(ctx); err != nil {
			return err
		}
		s.beganWritten(ba)
	}
	return s.query(insertDayLog, args...).exec(ctx)
}

// Began returns the start of the earliest day the day log began on, for
// any table.
func (s *Store) Began(ctx context.Context) (time.Time, error) {
	var first time.Time
	for _, t := range []string{logPlayers, logOrders, logMessages, logEvents} {
		var day int32
		err := s.query(readBegan, t).scan(ctx, &day)
		if errors.Is(err, gocql.ErrNotFound) {
			continue
		}
		if err != nil {
			return time.Time{}, s.fail("when the history began", err)
		}
		if b := bucketStart(day, 24*time.Hour); first.IsZero() || b.Before(first) {
			first = b
		}
	}
	return first, nil
}

func playerLog(p gamedata.Player) logEntry {
	p.PasswordHash = "" // never archived (and json:"-" anyway)
	return logEntry{table: logPlayers, stored: p.UpdatedAt, at: p.UpdatedAt, id: p.ID, row: p}
}

func orderLog(c gamedata.OrderChange) logEntry {
	return logEntry{table: logOrders, stored: c.At, at: c.At, id: c.ID, change: string(c.Status), row: c}
}

func messageLog(m gamedata.Message) logEntry {
	return logEntry{table: logMessages, stored: m.CreatedAt, at: m.CreatedAt, id: m.ID, row: m, expires: m.ExpiresAt}
}

// eventLog is the entry of e, stored at stored in the shard of shardBy.
func eventLog(e gamedata.Event, stored time.Time, shardBy uuid.UUID) logEntry {
	return logEntry{table: logEvents, stored: stored, at: e.At, id: e.ID, row: eventRecord{e, e.ExpiresAt},
		expires: e.ExpiresAt, shardBy: shardBy}
}

// eventRecord carries an event's expiry, which its JSON leaves out.
type eventRecord struct {
	gamedata.Event
	Expires time.Time `json:"expires"`
}

// readDay calls fn (never two at once) with the JSON of every day-log row
// of table stored on d.
func (s *Store) readDay(ctx context.Context, table string, d gamedata.Day, fn func([]byte) error) error {
	if d.IsZero() {
		return s.fail("read the "+table, gamedata.Invalid("day", "no day given"))
	}
	var parts []dayPart
	iter := s.query(readDayParts, table, bucketOf(d.Start(), 24*time.Hour)).iter(ctx)
	var p dayPart
	for iter.Scan(&p.hour, &p.shard) {
		parts = append(parts, dayPart{table, p.hour, p.shard})
	}
	if err := iter.Close(); err != nil {
		return s.fail("read the "+table+" of "+d.String(), err)
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(dayLogParallel)
	for _, p := range parts {
		h, shard := p.hour, p.shard
		{
			g.Go(func() error {
				iter := s.query(readDayLog, table, h, shard).pageSize(dayLogPage).iter(gctx)
				var row string
				for iter.Scan(&row) {
					mu.Lock()
					err := fn([]byte(row))
					mu.Unlock()
					if err != nil {
						_ = iter.Close()
						return err
					}
				}
				return iter.Close()
			})
		}
	}
	if err := g.Wait(); err != nil {
		return s.fail("read the "+table+" of "+d.String(), err)
	}
	return nil
}

// PlayerChanges gives each player changed on d as its last change that day
// left it, if that player is stored (a lost name claim's row is dropped).
func (s *Store) PlayerChanges(ctx context.Context, d gamedata.Day, fn func(gamedata.Player) error) error {
	last := map[uuid.UUID]gamedata.Player{}
	err := s.readDay(ctx, logPlayers, d, func(b []byte) error {
		var p gamedata.Player
		if err := json.Unmarshal(b, &p); err != nil {
			return err
		}
		if q, ok := last[p.ID]; !ok || !p.UpdatedAt.Before(q.UpdatedAt) {
			last[p.ID] = p
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range last {
		stored, err := s.GetPlayer(ctx, p.Name)
		switch {
		case errors.Is(err, gamedata.ErrNotFound):
			continue
		case err != nil:
			return err
		case stored.ID != p.ID:
			continue
		}
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// OrderChanges gives every creation and payment of an order on d that the
// order's row confirms: it exists, and a payment is the one it holds.
func (s *Store) OrderChanges(ctx context.Context, d gamedata.Day, fn func(gamedata.OrderChange) error) error {
	var changes []gamedata.OrderChange
	err := s.readDay(ctx, logOrders, d, func(b []byte) error {
		var c gamedata.OrderChange
		if err := json.Unmarshal(b, &c); err != nil {
			return err
		}
		changes = append(changes, c)
		return nil
	})
	if err != nil {
		return err
	}
	for _, c := range changes {
		o, err := s.GetOrder(ctx, c.UserName, c.ID)
		switch {
		case errors.Is(err, gamedata.ErrNotFound):
			continue
		case err != nil:
			return err
		case c.Status == gamedata.OrderPaid && (o.Status != gamedata.OrderPaid || !o.UpdatedAt.Equal(c.At)):
			continue
		}
		if err := fn(c); err != nil {
			return err
		}
	}
	return nil
}

// MessagesSent gives the messages sent on d.
func (s *Store) MessagesSent(ctx context.Context, d gamedata.Day, fn func(gamedata.Message) error) error {
	return s.readDay(ctx, logMessages, d, func(b []byte) error {
		var m gamedata.Message
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		return fn(m)
	})
}

// EventsStored gives the events stored on d.
func (s *Store) EventsStored(ctx context.Context, d gamedata.Day, fn func(gamedata.Event) error) error {
	return s.readDay(ctx, logEvents, d, func(b []byte) error {
		var r eventRecord
		if err := json.Unmarshal(b, &r); err != nil {
			return err
		}
		r.Event.ExpiresAt = r.Expires
		return fn(r.Event)
	})
}

// AcquireLease claims the lease (a lightweight transaction, serial in every
// region) or renews it for its owner; the row's TTL ends it.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	secs := int(ttl.Seconds())
	cur := map[string]any{}
	applied, err := s.query(claimJobLease, name, owner, secs).scanCAS(ctx, cur)
	if err != nil {
		return false, s.fail("acquire lease "+name, err)
	}
	if applied {
		return true, nil
	}
	if cur["owner"] != owner {
		return false, nil
	}
	applied, err = s.query(renewJobLease, secs, owner, name, owner).scanCAS(ctx, map[string]any{})
	if err != nil {
		return false, s.fail("renew lease "+name, err)
	}
	return applied, nil
}

// ReleaseLease deletes the lease if owner holds it.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	if _, err := s.query(dropJobLease, name, owner).scanCAS(ctx, map[string]any{}); err != nil {
		return s.fail("release lease "+name, err)
	}
	return nil
}
