package cassandra

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"sync"
	"time"
	"unicode/utf8"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
)

// The reading side of the change feed; see feed.go for the design.
var (
	readChanges = read(`SELECT id, kind, player, order_id, message_id, sender, receiver, body, created, expires
		FROM feed_changes WHERE bucket = ? AND shard = ? AND id > ? AND id < ?`)
	readChangeIDs   = read(`SELECT id FROM feed_changes WHERE bucket = ? AND shard = ? AND id > ? AND id < ?`)
	listFeedBuckets = read(`SELECT bucket FROM feed_buckets WHERE shard = ? AND bucket >= ? AND bucket <= ?`)
	// The consumers are few (one per region): one small partition.
	readConsumers = read(`SELECT consumer, watermark, updated, removed_below FROM feed_consumers WHERE feed = ?`)
	saveWatermark = write(`UPDATE feed_consumers SET watermark = ?, updated = ? WHERE feed = ? AND consumer = ?`)
)

// feedName is the partition of feed_consumers.
const feedName = "changes"

const (
	// maxChangeBatch caps one ReadChanges, whatever max asks.
	maxChangeBatch = 10_000
	// consumerMaxLen bounds a consumer's name.
	consumerMaxLen = 200
	// statusSample is how many pending records FeedStatus counts; above
	// that it estimates.
	statusSample = 1000
	// feedIndexReach is how many feed_buckets rows of a shard one read
	// takes: a consumer far behind reads up to there, then further.
	feedIndexReach = 512
	// feedPage is the driver's page size for reading records.
	feedPage = 1000
	// saveEvery is how often a read stores a watermark it moved (a commit
	// always stores it).
	saveEvery = time.Second
	// keptReads is how many of its latest reads a consumer remembers, so
	// that committing their cursors adds their records to its committed set.
	keptReads = 4
	// feedRecheck is how far behind the newest record committed from a
	// partition every read looks again: a record that becomes visible up
	// to that late (a write slower than a concurrent one of the same
	// partition) is read at once, a later one when the sweep passes it.
	feedRecheck = time.Second
)

// consumer is the state of one consumer in this store.
type consumer struct {
	mu sync.Mutex
	// known: its row is stored (it was read or committed); w is loaded.
	known bool
	// w is the watermark: every record before it is committed.
	w time.Time
	// saved is the watermark stored, at savedAt by the store's clock.
	saved, savedAt time.Time
	// done holds the committed records at or after w, with their times.
	done map[uuid.UUID]time.Time
	// tails holds, per partition, the time of the newest record committed
	// that was read past the sweep.
	tails map[feedPartition]time.Time
	// reads are its latest reads, by sequence number modulo keptReads.
	reads [keptReads]readResult
}

// readResult is what committing one read's cursor adds to its consumer.
type readResult struct {
	seq   uint64
	ids   []uuid.UUID // the batch's records at or after the cursor's w
	tails map[feedPartition]time.Time
}

// record is a change record as read: the change (only its id, for
// FeedStatus), its time and partition, and whether it was read past the
// sweep.
type record struct {
	gamedata.Change
	at   time.Time
	part feedPartition
	tail bool
}

func checkConsumer(name string) error {
	if name == "" || len(name) > consumerMaxLen || !utf8.ValidString(name) {
		return gamedata.Invalid("consumer", "must be 1 to %d bytes of UTF-8", consumerMaxLen)
	}
	return nil
}

// consumer returns name's state, locked; the caller unlocks it. A consumer
// the store does not know starts at the oldest record kept; register makes
// it known (its row is stored), so that records wait for it from then on.
func (s *Store) consumer(ctx context.Context, name string, register bool) (*consumer, error) {
	s.feed.mu.Lock()
	c := s.feed.consumers[name]
	if c == nil {
		c = &consumer{done: map[uuid.UUID]time.Time{}, tails: map[feedPartition]time.Time{}}
		s.feed.consumers[name] = c
	}
	s.feed.mu.Unlock()
	c.mu.Lock()
	if c.known {
		return c, nil
	}
	positions, removedBelow, err := s.positions(ctx)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	if pos, ok := positions[name]; ok {
		c.known, c.w, c.saved = true, pos.w, pos.w
		return c, nil
	}
	if c.w, err = s.feedStart(ctx, removedBelow); err != nil {
		c.mu.Unlock()
		return nil, err
	}
	if register {
		if err := s.save(ctx, name, c); err != nil {
			c.mu.Unlock()
			return nil, err
		}
		c.known = true
	}
	return c, nil
}

// position is a consumer's row: its watermark, and when it was stored.
type position struct{ w, saved time.Time }

// positions reads the stored position of every consumer, and how far
// records have been removed.
func (s *Store) positions(ctx context.Context) (map[string]position, time.Time, error) {
	out := map[string]position{}
	var removedBelow time.Time
	sc := s.query(readConsumers, feedName).iter(ctx).Scanner()
	for sc.Next() {
		var name string
		var pos position
		var removed time.Time
		if err := sc.Scan(&name, &pos.w, &pos.saved, &removed); err != nil {
			_ = sc.Err() // the scan error is the one to report
			return nil, removedBelow, err
		}
		removedBelow = removed
		if name != "" { // a partition with only its static column has a row without consumer
			out[name] = pos
		}
	}
	return out, removedBelow, sc.Err()
}

// feedStart is where a new consumer starts: the oldest bucket that holds
// records (at or after removedBelow), or now - margin when none does.
func (s *Store) feedStart(ctx context.Context, removedBelow time.Time) (time.Time, error) {
	lo := int32(math.MinInt32)
	if !removedBelow.IsZero() {
		lo = bucketOf(removedBelow, feedBucket)
	}
	start := tick(s.clock.Now().Add(-s.cfg.FeedMargin))
	for shard := range int32(feedShards) {
		var b int32
		err := s.query(listFeedBuckets, shard, lo, int32(math.MaxInt32)).pageSize(1).scan(ctx, &b)
		if errors.Is(err, gocql.ErrNotFound) {
			continue
		}
		if err != nil {
			return start, err
		}
		if t := bucketStart(b, feedBucket); t.Before(start) {
			start = t
		}
	}
	return start, nil
}

// save stores c's watermark.
func (s *Store) save(ctx context.Context, name string, c *consumer) error {
	now := s.clock.Now()
	if err := s.query(saveWatermark, c.w, now, feedName, name).exec(ctx); err != nil {
		return err
	}
	c.saved, c.savedAt = c.w, now
	return nil
}

// advance moves c's watermark to w (never back) and forgets what lies
// below it.
func (c *consumer) advance(w time.Time) {
	if !w.After(c.w) {
		return
	}
	c.w = w
	for id, at := range c.done {
		if at.Before(w) {
			delete(c.done, id)
		}
	}
	for p := range c.tails {
		if !bucketStart(p.bucket+1, feedBucket).After(w) {
			delete(c.tails, p)
		}
	}
}

// ReadChanges returns up to max (at most 10000) of consumer's records not
// committed, oldest first. The first read makes the consumer known: from
// then on, no record it has not committed is removed.
func (s *Store) ReadChanges(ctx context.Context, name string, max int) (gamedata.ChangeBatch, error) {
	op := "read changes for " + name
	var batch gamedata.ChangeBatch
	if err := checkConsumer(name); err != nil {
		return batch, s.fail(op, err)
	}
	if max < 1 {
		return batch, s.fail(op, gamedata.Invalid("max", "must be at least 1"))
	}
	max = min(max, maxChangeBatch)
	c, err := s.consumer(ctx, name, true)
	if err != nil {
		return batch, s.fail(op, err)
	}
	defer c.mu.Unlock()
	now := s.clock.Now()
	found, target, err := s.scanFeed(ctx, c, now, max+1, true)
	if err != nil {
		return batch, s.fail(op, err)
	}
	// Every record below the oldest one not committed is committed.
	safe := target
	if len(found) > 0 && found[0].at.Before(safe) {
		safe = found[0].at
	}
	c.advance(safe)
	if c.w.After(c.saved) && now.Sub(c.savedAt) >= saveEvery {
		if err := s.save(ctx, name, c); err != nil {
			return batch, s.fail(op, err)
		}
	}

	// The cursor's watermark stops at the first record left for later.
	w := target
	if len(found) > max {
		w = earlier(w, found[max].at)
		found = found[:max]
	}
	res := readResult{seq: s.feed.seq.Add(1), tails: map[feedPartition]time.Time{}}
	batch.Changes = make([]gamedata.Change, len(found))
	for i, r := range found {
		batch.Changes[i] = r.Change
		if !r.at.Before(w) {
			res.ids = append(res.ids, r.ID)
		}
		if r.tail {
			res.tails[r.part] = r.at // found is ordered: the last is the newest
		}
	}
	c.reads[res.seq%keptReads] = res
	batch.Cursor = s.feedCursor(res.seq, w)
	return batch, nil
}

// CommitChanges moves consumer's watermark to cursor's (never back) and
// adds the records of the cursor's batch to what it committed.
func (s *Store) CommitChanges(ctx context.Context, name, cursor string) error {
	op := "commit changes of " + name
	if err := checkConsumer(name); err != nil {
		return s.fail(op, err)
	}
	seq, w, mine, err := s.parseFeedCursor(cursor)
	if err != nil {
		return s.fail(op, err)
	}
	c, err := s.consumer(ctx, name, true)
	if err != nil {
		return s.fail(op, err)
	}
	defer c.mu.Unlock()
	c.advance(w)
	// A cursor of another store, or of a read long past, moves the
	// watermark only: the records of its batch above it may come again.
	if res := c.reads[seq%keptReads]; mine && res.seq == seq {
		for _, id := range res.ids {
			if at := gamedata.IDTime(id); !at.Before(c.w) {
				c.done[id] = at
			}
		}
		for p, at := range res.tails {
			if at.After(c.tails[p]) {
				c.tails[p] = at
			}
		}
	}
	if c.w.After(c.saved) {
		if err := s.save(ctx, name, c); err != nil {
			return s.fail(op, err)
		}
	}
	return nil
}

// FeedStatus counts consumer's records not committed, up to 1000; above
// that it estimates the count from the times of the first 1000, as if
// records kept coming at their rate until now. Oldest is the time of the
// oldest. Asking does not make a consumer known; an unknown one is
// reported as it would start.
func (s *Store) FeedStatus(ctx context.Context, name string) (gamedata.FeedStatus, error) {
	op := "feed status of " + name
	var st gamedata.FeedStatus
	if err := checkConsumer(name); err != nil {
		return st, s.fail(op, err)
	}
	c, err := s.consumer(ctx, name, false)
	if err != nil {
		return st, s.fail(op, err)
	}
	defer c.mu.Unlock()
	now := s.clock.Now()
	found, _, err := s.scanFeed(ctx, c, now, statusSample+1, false)
	if err != nil {
		return st, s.fail(op, err)
	}
	if len(found) == 0 {
		return st, nil
	}
	st.Oldest, st.Pending = found[0].at, int64(len(found))
	if len(found) > statusSample {
		first, last := found[0].at, found[statusSample-1].at
		if span := last.Sub(first); span > 0 {
			st.Pending = max(st.Pending, int64(float64(statusSample)*float64(now.Sub(first))/float64(span)))
		}
	}
	return st, nil
}

// scanFeed finds up to limit of c's records not committed, oldest first:
// those of the sweep, [c.w, target), then those from target up to now, from
// feedRecheck before c's tail in each partition. target is now - margin,
// or less where the scan could not look further. Records stamped after now
// (intents) are left for later.
func (s *Store) scanFeed(ctx context.Context, c *consumer, now time.Time, limit int, full bool) ([]record, time.Time, error) {
	target := tick(now.Add(-s.cfg.FeedMargin))
	until := floorID(tick(now).Add(100 * time.Nanosecond)) // above every id of now
	parts, reach, err := s.feedPartitions(ctx, bucketOf(c.w, feedBucket), bucketOf(now, feedBucket))
	if err != nil {
		return nil, c.w, err
	}
	target = earlier(target, reach)
	if target.Before(c.w) {
		target = c.w
	}
	st, scan := readChangeIDs, scanChangeID
	if full {
		st, scan = readChanges, scanChange
	}
	skip := func(id uuid.UUID) bool { _, ok := c.done[id]; return ok }
	var found []record
	finish := func() []record {
		slices.SortFunc(found, func(a, b record) int { return compareIDs(a.ID, b.ID) })
		return found[:min(len(found), limit)]
	}

	sweepLo, sweepHi := floorID(c.w), floorID(target)
	for _, group := range byBucket(parts) {
		if !bucketStart(group[0].bucket, feedBucket).Before(target) {
			break
		}
		recs, err := s.readFeedBucket(ctx, group, limit, st, scan, skip, func(feedPartition) (uuid.UUID, uuid.UUID) {
			return sweepLo, sweepHi
		})
		if err != nil {
			return nil, target, err
		}
		if found = append(found, recs...); len(found) >= limit {
			return finish(), target, nil
		}
	}
	if target.Before(reach) {
		for _, group := range byBucket(parts) {
			if !bucketStart(group[0].bucket+1, feedBucket).After(target) {
				continue
			}
			recs, err := s.readFeedBucket(ctx, group, limit, st, scan, skip, func(p feedPartition) (uuid.UUID, uuid.UUID) {
				if from := c.tails[p].Add(-feedRecheck); from.After(target) {
					return floorID(from), until
				}
				return floorID(target), until
			})
			if err != nil {
				return nil, target, err
			}
			for i := range recs {
				recs[i].tail = true
			}
			if found = append(found, recs...); len(found) >= limit {
				break
			}
		}
	}
	return finish(), target, nil
}

// feedPartitions lists the partitions of buckets lo to hi that hold
// records, by bucket then shard. A shard may list more buckets than one
// read takes: reach is the start of the first bucket not listed in full
// (the far future when all are).
func (s *Store) feedPartitions(ctx context.Context, lo, hi int32) ([]feedPartition, time.Time, error) {
	lists := make([][]int32, feedShards)
	g, gctx := errgroup.WithContext(ctx)
	for shard := range int32(feedShards) {
		g.Go(func() error {
			sc := s.query(listFeedBuckets, shard, lo, hi).pageSize(feedIndexReach).iter(gctx).Scanner()
			for len(lists[shard]) < feedIndexReach && sc.Next() {
				var b int32
				if err := sc.Scan(&b); err != nil {
					_ = sc.Err() // the scan error is the one to report
					return err
				}
				lists[shard] = append(lists[shard], b)
			}
			return sc.Err()
		})
	}
	if err := g.Wait(); err != nil {
		return nil, time.Time{}, err
	}
	last := hi
	for _, l := range lists {
		if len(l) == feedIndexReach {
			last = min(last, l[len(l)-1])
		}
	}
	var parts []feedPartition
	for shard, l := range lists {
		for _, b := range l {
			if b <= last {
				parts = append(parts, feedPartition{b, int32(shard)})
			}
		}
	}
	slices.SortFunc(parts, func(a, b feedPartition) int {
		if a.bucket != b.bucket {
			return int(a.bucket - b.bucket)
		}
		return int(a.shard - b.shard)
	})
	reach := bucketStart(math.MaxInt32, feedBucket) // past every bucket
	if last < hi {
		reach = bucketStart(last+1, feedBucket)
	}
	return parts, reach, nil
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// byBucket splits partitions ordered by bucket into one group per bucket.
func byBucket(parts []feedPartition) [][]feedPartition {
	var out [][]feedPartition
	for i, p := range parts {
		if i == 0 || p.bucket != parts[i-1].bucket {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], p)
	}
	return out
}

// readFeedBucket reads the partitions of one bucket at once, from each up
// to want records between its bounds (exclusive) that skip does not skip.
func (s *Store) readFeedBucket(ctx context.Context, parts []feedPartition, want int, st *statement, scan func(gocql.Scanner) (record, error),
	skip func(uuid.UUID) bool, bounds func(feedPartition) (lo, hi uuid.UUID),
) ([]record, error) {
	out := make([][]record, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range parts {
		lo, hi := bounds(p)
		g.Go(func() error {
			sc := s.query(st, p.bucket, p.shard, [16]byte(lo), [16]byte(hi)).pageSize(min(want, feedPage)).
				iter(gctx).Scanner()
			for len(out[i]) < want && sc.Next() {
				r, err := scan(sc)
				if err != nil {
					_ = sc.Err() // the scan error is the one to report
					return err
				}
				if !skip(r.ID) {
					r.part = p
					out[i] = append(out[i], r)
				}
			}
			return sc.Err()
		})
	}
	err := g.Wait()
	return slices.Concat(out...), err
}

func scanChangeID(sc gocql.Scanner) (r record, err error) {
	err = sc.Scan((*[16]byte)(&r.ID))
	r.at = gamedata.IDTime(r.ID)
	return r, err
}

func scanChange(sc gocql.Scanner) (r record, err error) {
	var kind string
	var m gamedata.Message
	err = sc.Scan((*[16]byte)(&r.ID), &kind, &r.Player, (*gocql.UUID)(&r.OrderID), (*gocql.UUID)(&m.ID), &m.From, &m.To,
		&m.Text, &m.CreatedAt, &m.ExpiresAt)
	r.Kind, r.at = gamedata.ChangeKind(kind), gamedata.IDTime(r.ID)
	if r.Kind == gamedata.ChangeMessage {
		r.Message = &m
	}
	return r, err
}

// cursorVersion tags the layout of a cursor.
const cursorVersion = 1

// feedCursor encodes a read's cursor: this store's nonce, the read's
// sequence number, and the watermark committing it moves to.
func (s *Store) feedCursor(seq uint64, w time.Time) string {
	b := []byte{cursorVersion}
	b = append(b, s.feed.nonce[:]...)
	b = binary.BigEndian.AppendUint64(b, seq)
	b = binary.BigEndian.AppendUint64(b, uint64(w.UnixNano()))
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseFeedCursor reads a cursor; mine says whether this store made it. A
// cursor whose watermark is in the future (beyond the clock skew a margin
// allows between servers) was not made by a read.
func (s *Store) parseFeedCursor(cursor string) (seq uint64, w time.Time, mine bool, err error) {
	b, ok := gamedata.DecodeToken(cursor)
	if !ok || len(b) != 25 || b[0] != cursorVersion {
		return 0, w, false, gamedata.Invalid("cursor", "is not a cursor of this feed")
	}
	seq = binary.BigEndian.Uint64(b[9:])
	w = time.Unix(0, int64(binary.BigEndian.Uint64(b[17:]))).UTC()
	if w.After(s.clock.Now().Add(s.cfg.FeedMargin)) {
		return 0, w, false, gamedata.Invalid("cursor", "is beyond the end of the feed")
	}
	return seq, w, [8]byte(b[1:9]) == s.feed.nonce, nil
}
