package cassandra

import (
	"bytes"
	"context"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
)

// Events live in (player, day) partitions, newest first, each with its TTL;
// the table uses TimeWindowCompactionStrategy, so a window that has expired
// as a whole is dropped as a file.
var (
	events = timeline{kind: eventsList, table: "events", width: eventBucket}

	insertEvent = write(`INSERT INTO events (player_key, day, at, id, player, event_type, data, expires)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TTL ?`)
	// (at, id) < (?, ?) is the upper bound (the page token, the range's end
	// or the day's end), at >= ? the lower one (the range's start or the
	// day's start).
	listEvents = read(`SELECT id, player, event_type, at, data, expires FROM events
		WHERE player_key = ? AND day = ? AND (at, id) < (?, ?) AND at >= ?`)
)

// Limits of AppendEvents' batches. Cassandra refuses a batch above
// batch_size_fail_threshold (50 KiB by default); a batch holds the rows of
// one partition, which Cassandra applies at once.
// Amazon Keyspaces takes at most 30 statements in a batch.
const (
	eventBatchBytes     = 32 << 10
	eventBatchRows      = 100
	keyspacesBatchLimit = 30
	// appendParallel bounds the batches of one call in flight at once.
	appendParallel = 16
)

// partitionKey names an event partition.
type partitionKey struct {
	player string
	day    int32
}

// AppendEvents stores events, each until its ExpiresAt. The rows of each
// partition are written in single-partition batches, the index rows of a
// player before its events, several partitions at once. Events of many
// players cannot be one atomic write (a LOGGED batch that big would be
// refused), so an error may leave part of them stored: events are keyed by
// their ids, and calling again with the same events stores each once.
func (s *Store) AppendEvents(ctx context.Context, evs []gamedata.Event) error {
	now := s.clock.Now()
	var order []partitionKey
	parts := map[partitionKey]*partitionBatches{}
	index := map[string]*partitionBatches{}
	type indexRow struct {
		partitionKey
		expiry int32
	}
	indexed := map[indexRow]bool{}
	// The day-log rows of the call share one partition (the shard of its
	// smallest event id: the same for a retry of the same events, in any
	// order), so that they take as few batches as their size allows, not
	// one per event.
	logs, shardBy := s.partitionBatches(), minID(evs)
	// The day log's index rows: all in the partition of (events, today).
	logIndex, newParts := s.partitionBatches(), map[dayPart]bool{}
	var began []any
	for _, e := range evs {
		args, part, err := s.logArgs(eventLog(e, now, shardBy))
		if err != nil {
			return s.fail("append events", err)
		}
		logs.add(insertDayLog, args...)
		if pa := s.partArgs(part); pa != nil && !newParts[part] {
			newParts[part] = true
			logIndex.add(insertDayPart, pa...)
		}
		if began == nil {
			began = s.beganArgs(part)
		}
		k := partitionKey{key(e.Player), bucketOf(e.At, eventBucket)}
		if parts[k] == nil {
			parts[k] = s.partitionBatches()
			order = append(order, k)
		}
		var data any = gocql.UnsetValue
		if len(e.Data) > 0 {
			data = string(e.Data)
		}
		parts[k].add(insertEvent, k.player, k.day, e.At, [16]byte(e.ID), e.Player, e.Type, data,
			expiresValue(e.ExpiresAt), ttl(e.ExpiresAt, now))
		if row := (indexRow{k, expiryBucket(e.ExpiresAt, eventBucket)}); !indexed[row] {
			indexed[row] = true
			if index[k.player] == nil {
				index[k.player] = s.partitionBatches()
			}
			events.addBucket(index[k.player], owner{k.player}, e.At, e.ExpiresAt, now)
		}
	}
	var indexBatches, eventBatches []batch
	for _, p := range index {
		indexBatches = append(indexBatches, p.out...)
	}
	// The day log goes with the index, before the events (history.go).
	indexBatches = append(indexBatches, logIndex.out...)
	if began != nil {
		b := s.batch(gocql.UnloggedBatch)
		b.add(insertBegan, began...)
		indexBatches = append(indexBatches, b)
	}
	indexBatches = append(indexBatches, logs.out...)
	for _, k := range order {
		eventBatches = append(eventBatches, parts[k].out...)
	}
	// The index first: an index row without events costs a reader one empty
	// read, events without their index row would be lost to readers.
	for _, batches := range [][]batch{indexBatches, eventBatches} {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(appendParallel)
		for _, b := range batches {
			g.Go(func() error { return b.exec(gctx) })
		}
		if err := g.Wait(); err != nil {
			return s.fail("append events", err)
		}
	}
	for p := range newParts {
		s.partWritten(p)
	}
	if began != nil {
		s.beganWritten(began)
	}
	return nil
}

// partitionBatches splits the rows written to one partition into UNLOGGED
// batches within the limits.
type partitionBatches struct {
	s             *Store
	out           []batch
	size, rows    int
	maxRows, maxB int
}

func (s *Store) partitionBatches() *partitionBatches {
	p := &partitionBatches{s: s, maxRows: eventBatchRows, maxB: eventBatchBytes}
	if s.cfg.Keyspaces {
		p.maxRows = keyspacesBatchLimit
	}
	return p
}

// add adds a statement, in a new batch when the last one is full.
func (p *partitionBatches) add(st *statement, args ...any) {
	n := 32 // the row's overhead, roughly
	for _, a := range args {
		if v, ok := a.(string); ok {
			n += len(v)
		} else {
			n += 16
		}
	}
	if len(p.out) == 0 || p.rows == p.maxRows || p.size+n > p.maxB {
		p.out = append(p.out, p.s.batch(gocql.UnloggedBatch))
		p.size, p.rows = 0, 0
	}
	p.out[len(p.out)-1].add(st, args...)
	p.size, p.rows = p.size+n, p.rows+1
}

func scanEvent(sc gocql.Scanner) (e gamedata.Event, c cursor, expires time.Time, err error) {
	var data string
	err = sc.Scan((*[16]byte)(&e.ID), &e.Player, &e.Type, &e.At, &data, &expires)
	if data != "" {
		e.Data = []byte(data)
	}
	e.ExpiresAt = expires
	return e, cursor{at: e.At, id: e.ID}, expires, err
}

// ListEvents lists player's events in r, newest first: the days of r that
// the index lists, in each the events in r below the page token.
func (s *Store) ListEvents(ctx context.Context, player string, r gamedata.EventRange, p gamedata.PageRequest) (gamedata.Page[gamedata.Event], error) {
	op := "list events of " + player
	lo, hi := int32(firstBucket), int32(lastBucket)
	if !r.From.IsZero() {
		lo = bucketOf(r.From, eventBucket)
	}
	if !r.To.IsZero() {
		hi = bucketOf(r.To.Add(-time.Millisecond), eventBucket)
	}
	read := func(day int32, from *cursor, want int) *gocql.Iter {
		start, end := bucketStart(day, eventBucket), bucketStart(day+1, eventBucket)
		below := cursor{at: end, id: minTimeUUID}
		if !r.To.IsZero() && r.To.Before(end) {
			below.at = r.To
		}
		if from != nil {
			below = *from
		}
		if r.From.After(start) {
			start = r.From
		}
		return s.query(listEvents, key(player), day, below.at, [16]byte(below.id), start).
			pageSize(want).iter(ctx)
	}
	return pageTimeline(ctx, s, op, events, owner{key(player)}, lo, hi, p, read, scanEvent)
}

// minID is the smallest id of evs, by its bytes (uuid.Nil for none).
func minID(evs []gamedata.Event) uuid.UUID {
	var least uuid.UUID
	for i, e := range evs {
		if i == 0 || bytes.Compare(e.ID[:], least[:]) < 0 {
			least = e.ID
		}
	}
	return least
}
