package cassandra

import (
	"context"
	"crypto/rand"
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
// A record is written in the LOGGED batch of its write (a message, an order
// without idempotency key); before a lightweight transaction, which
// Cassandra cannot batch with other tables, it is written just before it
// (a player created or changed, an order's row, a payment): a transaction
// that then fails leaves a record too many, never one too few.
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
// records at or after now - margin from a second before the newest one this
// consumer committed from each partition (its tail there). A record that
// becomes visible more than a second behind a tail is found by the sweep,
// up to the margin later.
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
	// store wrote: each partition's row is written once per process, not
	// with every record (it would be one hot row per shard).
	indexed [feedShards]atomic.Int32
	// off: no records are written (benchmarks only, see export_test.go).
	off bool
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

// addChange adds c's record, stamped by the store's clock, to b, with its
// partition's feed_buckets row unless this store wrote it already; the
// returned function must be called once b is stored.
func (s *Store) addChange(b adder, c gamedata.Change) (stored func()) {
	if s.feed.off {
		return func() {}
	}
	id := gamedata.NewID(s.clock.Now())
	p := feedPartition{bucketOf(gamedata.IDTime(id), feedBucket), feedShard(c.Player)}
	unset := gocql.UnsetValue
	args := []any{p.bucket, p.shard, [16]byte(id), string(c.Kind), c.Player, unset, unset, unset, unset, unset, unset, unset}
	if c.Kind == gamedata.ChangeOrder {
		args[5] = [16]byte(c.OrderID)
	}
	if m := c.Message; m != nil {
		copy(args[6:], []any{[16]byte(m.ID), m.From, m.To, m.Text, m.CreatedAt, expiresValue(m.ExpiresAt)})
	}
	b.add(insertChange, args...)
	if s.feed.indexed[p.shard].Load() == p.bucket {
		return func() {}
	}
	b.add(insertFeedBucket, p.shard, p.bucket)
	return func() { s.feed.indexed[p.shard].Store(p.bucket) }
}

// recordChange writes c's record on its own, before the lightweight
// transaction that makes the change.
func (s *Store) recordChange(ctx context.Context, c gamedata.Change) error {
	if s.feed.off {
		return nil
	}
	b := s.batch(gocql.LoggedBatch)
	stored := s.addChange(b, c)
	if err := b.exec(ctx); err != nil {
		return err
	}
	stored()
	return nil
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
