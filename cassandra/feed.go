package cassandra

import (
	"context"
	"crypto/rand"
	"fmt"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// The change feed (gamedata.ChangeFeed) is an outbox table, feed_changes,
// partitioned by (bucket, shard): a minute of records, spread over
// feedShards partitions by the player's key, so that no partition takes
// every write; in a partition, records are ordered by id, a timeuuid of the
// store's clock at the write. feed_buckets lists, per shard, the buckets
// that hold records, so a reader visits only partitions that exist.
//
// A record names a row, which the reader (the indexer) reads when it gets
// the record; so the row must hold the write when the record is read. Where
// the row is new (an order without idempotency key) or the record carries it
// (a message), the record goes in the write's LOGGED batch: a reader that
// gets it before the row is there finds nothing and waits for it (see
// opensearch.IndexerConfig.MissingRowGrace). A write that changes a row that
// may exist cannot do so: a lightweight transaction cannot be batched with
// other tables, and a batch is atomic but not isolated, so a record read
// while the write is under way would have the old state indexed, committed,
// and the change never seen. Such a write (a player created or changed, an
// order's row written by key, a payment) records twice:
//
//   - before it (in its batch, for an update), an intent: a record stamped
//     intentGrace after the store's clock, which no read returns, and
//     FeedStatus does not count, before the reader's clock passes that
//     stamp. By then the write has surely ended (a write takes at most
//     (Retries+1) x Timeout; a transaction starts within Retries x Timeout
//     of the intent's stamp or not at all, and takes at most Timeout; the
//     grace adds the clock skew between servers), so the reader reads the
//     row's final state. The intent covers a process that dies before the
//     second record; a write that fails leaves it, harmlessly (the row is
//     read again and holds nothing new, or nothing).
//   - after it succeeded, the record stamped at once: the fast path, read
//     as soon as the row holds the write.
//
// An intent is therefore delivered after its grace, with the margin below
// counted from its stamp, so it never lags the watermark. One case escapes:
// a transaction whose outcome is unknown (a timeout) can be completed by a
// later Paxos round on the same partition, after its intent was read; the
// indexer then sees the change only when a record names that row again.
//
// Writers on other servers (or a batch slowed by a timeout and a retry) can
// make a record visible after records stamped later: there is no sequence
// to read in order. A consumer's position is therefore a watermark W, a
// time: every record before W is committed (indexed). A read returns the
// records at or after W that this consumer has not committed, oldest
// first, as soon as they are visible; W only moves up to now - margin
// (Config.FeedMargin: the longest a write may take, plus clock skew), and
// never past a record not committed, so a record that becomes visible late,
// but within the margin, is still read. The records committed above W are
// kept in memory (a margin's worth), so repeated reads do not return them
// again; after a restart the consumer starts from its stored W and may get
// them again, which indexing by id and version makes harmless.
//
// Reading the whole margin on every poll would read every record many
// times, so a read is two parts: a sweep of [W, now - margin), the range W
// moves through next (each record is swept once, as it crosses); and the
// records from now - margin up to now, from a second before the newest one
// this consumer committed from each partition (its tail there). A record
// that becomes visible more than a second behind a tail is found by the
// sweep, up to the margin later. A record stamped after now (an intent, or
// a record of a server whose clock is ahead) waits for its time.
//
// Records are removed a partition at a time (a partition tombstone, never
// one per row), once every known consumer's W has passed the partition's
// bucket (see feed_remove.go).
const (
	feedBucket = time.Minute
	feedShards = 4
)

var (
	insertChange = write(`INSERT INTO feed_changes (bucket, shard, id, kind, player, order_id, message_id, sender,
		receiver, body, created, expires) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	insertFeedBucket = write(`INSERT INTO feed_buckets (shard, bucket) VALUES (?, ?)`)
)

var _ gamedata.ChangeFeed = (*Store)(nil)

// feed is the store's state of the change feed in this process.
type feed struct {
	// nonce tells the cursors of this store from others'.
	nonce [8]byte
	// indexed is, per shard, the last bucket whose feed_buckets row this
	// store wrote, for records ([0]) and for intents ([1]), whose buckets
	// run intentGrace ahead: each partition's row is written once per
	// process, not with every record (it would be one hot row per shard).
	indexed [2][feedShards]atomic.Int32
	// off: no records are written (benchmarks only, see export_test.go).
	off bool
	// hook, when set (tests only, see export_test.go), runs between an
	// intent and its write, and between the write and its record; an error
	// stops the write there, as a crash would.
	hook func(afterWrite bool) error
	// seq numbers the reads of every consumer, for their cursors.
	seq atomic.Uint64

	mu        sync.Mutex
	consumers map[string]*consumer
	// stop ends the background removal; done is closed when it has ended.
	stop context.CancelFunc
	done chan struct{}
}

func newFeed() *feed {
	f := &feed{consumers: map[string]*consumer{}}
	_, _ = rand.Read(f.nonce[:]) // crypto/rand never fails on supported platforms
	return f
}

// feedPartition names a partition of feed_changes.
type feedPartition struct{ bucket, shard int32 }

// feedShard spreads a bucket's records over its shards by player.
func feedShard(player string) int32 {
	h := fnv.New32a()
	_, _ = h.Write([]byte(player)) // a hash never fails
	return int32(h.Sum32() % feedShards)
}

// addChange adds c's record to b, stamped by the store's clock (plus
// intentGrace for an intent), with its partition's feed_buckets row unless
// this store wrote it already; the returned function must be called once b
// is stored.
func (s *Store) addChange(b adder, c gamedata.Change, intent bool) (stored func()) {
	if s.feed.off {
		return func() {}
	}
	at, kind := s.clock.Now(), 0
	if intent {
		at, kind = at.Add(s.cfg.intentGrace), 1
	}
	id := gamedata.NewID(at)
	p := feedPartition{bucketOf(at, feedBucket), feedShard(c.Player)}
	unset := gocql.UnsetValue
	args := []any{p.bucket, p.shard, [16]byte(id), string(c.Kind), c.Player, unset, unset, unset, unset, unset, unset, unset}
	if c.Kind == gamedata.ChangeOrder {
		args[5] = [16]byte(c.OrderID)
	}
	if m := c.Message; m != nil {
		copy(args[6:], []any{[16]byte(m.ID), m.From, m.To, m.Text, m.CreatedAt, expiresValue(m.ExpiresAt)})
	}
	b.add(insertChange, args...)
	indexed := &s.feed.indexed[kind][p.shard]
	if indexed.Load() == p.bucket {
		return func() {}
	}
	b.add(insertFeedBucket, p.shard, p.bucket)
	return func() { indexed.Store(p.bucket) }
}

// recordChange writes c's record on its own: an intent, or the record after
// a write.
func (s *Store) recordChange(ctx context.Context, c gamedata.Change, intent bool) error {
	if s.feed.off {
		return nil
	}
	b := s.batch(gocql.LoggedBatch)
	stored := s.addChange(b, c, intent)
	if err := b.exec(ctx); err != nil {
		return err
	}
	stored()
	return nil
}

// changeByLWT makes the change c names with write, a lightweight
// transaction, between c's intent and, when write applied, c's record.
func (s *Store) changeByLWT(ctx context.Context, c gamedata.Change, write func() (applied bool, err error)) (bool, error) {
	start := s.clock.Now()
	if err := s.recordChange(ctx, c, true); err != nil {
		return false, err
	}
	// The intent's grace covers a transaction that starts by then.
	if late := s.clock.Now().Sub(start); late > time.Duration(s.cfg.Retries)*s.cfg.Timeout {
		return false, gamedata.Unavailable("cassandra", fmt.Errorf("the change record took %s: the write was not tried", late))
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

// recorded writes the record of a write that succeeded after its intent.
// A failure is only logged: the write is made, and its intent delivers it
// after the grace.
func (s *Store) recorded(ctx context.Context, c gamedata.Change) {
	err := s.runHook(true)
	if err == nil {
		err = s.recordChange(ctx, c, false)
	}
	if err != nil {
		s.cfg.Logger.WarnContext(ctx, "cassandra: change record after a write failed; its intent delivers it later",
			"kind", c.Kind, "player", c.Player, "err", err)
	}
}

func (s *Store) runHook(afterWrite bool) error {
	if s.feed.hook == nil {
		return nil
	}
	return s.feed.hook(afterWrite)
}

func playerChange(name string) gamedata.Change {
	return gamedata.Change{Kind: gamedata.ChangePlayer, Player: key(name)}
}

func orderChange(o gamedata.Order) gamedata.Change {
	return gamedata.Change{Kind: gamedata.ChangeOrder, Player: key(o.UserName), OrderID: o.ID}
}

// floorID is the smallest timeuuid of the 100 ns tick of t: below every id
// made at t (Cassandra compares the bytes after the time as signed).
func floorID(t time.Time) uuid.UUID {
	id := gamedata.NewID(t)
	for i := 8; i < 16; i++ {
		id[i] = 0x80
	}
	return id
}

// compareIDs orders timeuuids as Cassandra does: by time, then by the
// other bytes, signed.
func compareIDs(a, b uuid.UUID) int {
	if ta, tb := a.Time(), b.Time(); ta != tb {
		if ta < tb {
			return -1
		}
		return 1
	}
	for i := 8; i < 16; i++ {
		if x, y := int8(a[i]), int8(b[i]); x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

// tick truncates t to the 100 ns of a timeuuid, so that a watermark and
// floorID of it agree.
func tick(t time.Time) time.Time { return t.Truncate(100 * time.Nanosecond) }
