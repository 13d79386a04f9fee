package cassandra

import (
	"context"
	"math"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
)

// timeline is a list kept in time-bucketed partitions: a player's inbox,
// sent messages, a conversation, a player's events. Its owner is one or two
// keys (a player, or the two players of a conversation); each of its
// partitions is the owner's keys and a bucket number.
type timeline struct {
	kind  listKind
	table string // also the list's name in the bucket index
	width time.Duration
}

// owner names the owner of a list: a name key, and a second one for a
// conversation ("" otherwise).
type owner [2]string

// The bucket index: one small partition per list and owner, one row per
// (bucket, expiry bucket) holding live rows (see expiryBucket).
var (
	insertBucket = write(`INSERT INTO bucket_index (list_name, a, b, bucket, expiry) VALUES (?, ?, ?, ?, ?) USING TTL ?`)
	listBuckets  = read(`SELECT bucket, expiry FROM bucket_index
		WHERE list_name = ? AND a = ? AND b = ? AND bucket >= ? AND bucket <= ?`)
)

// adder collects statements to write together (batch, partitionBatches).
type adder interface {
	add(st *statement, args ...any)
}

// addBucket adds to b the index row that makes a row of tl, created at
// created and expiring at expires, findable.
func (tl timeline) addBucket(b adder, o owner, created, expires, now time.Time) {
	exp := expiryBucket(expires, tl.width)
	var indexExpires time.Time
	if exp != never {
		indexExpires = bucketStart(exp, tl.width)
	}
	b.add(insertBucket, tl.table, o[0], o[1], bucketOf(created, tl.width), exp, ttl(indexExpires, now))
}

// readBucket starts the read of one bucket of a list, below from (the page
// token's cursor when it is in this bucket, else nil), in pages of want rows.
type readBucket func(bucket int32, from *cursor, want int) *gocql.Iter

// pageTimeline reads one page of tl's list of o, from the buckets in [lo,
// hi]: the buckets the index lists as live, newest first, in each the rows
// below the cursor.
func pageTimeline[T any](ctx context.Context, s *Store, op string, tl timeline, o owner, lo, hi int32,
	p gamedata.PageRequest, read readBucket, scan scanFunc[T],
) (gamedata.Page[T], error) {
	c, ok, err := parseToken(tl.kind, p.Token)
	if err != nil {
		return gamedata.Page[T]{}, s.fail(op, err)
	}
	if ok {
		hi = min(hi, c.bucket)
	}
	if lo > hi {
		return gamedata.Page[T]{Items: []T{}}, nil
	}
	now := s.clock.Now()
	limit := p.PageLimit()
	r := newRows[T](limit)
	// The index is read a driver page at a time, as far as the page needs.
	index := s.query(listBuckets, tl.table, o[0], o[1], lo, hi).pageSize(indexPage).iter(ctx).Scanner()
	var last int32
	for first := true; len(r.items) <= limit && index.Next(); first = false {
		var b, exp int32
		if err := index.Scan(&b, &exp); err != nil {
			_ = index.Err() // the scan error is the one to report
			return gamedata.Page[T]{}, s.fail(op, err)
		}
		// Index rows come newest bucket first and, in a bucket, latest
		// expiry first: the first row of a bucket tells whether it is live.
		if !first && b == last {
			continue
		}
		last = b
		if exp != never && !bucketStart(exp, tl.width).After(now) {
			continue
		}
		var from *cursor
		if ok && b == c.bucket {
			from = &c
		}
		if err := r.take(read(b, from, limit+1-len(r.items)), limit+1, b, now, scan); err != nil {
			_ = index.Err() // the read error is the one to report
			return gamedata.Page[T]{}, s.fail(op, err)
		}
	}
	if err := index.Err(); err != nil {
		return gamedata.Page[T]{}, s.fail(op, err)
	}
	return r.page(tl.kind, limit), nil
}

// indexPage is how many bucket index rows are read at a time.
const indexPage = 64

// All buckets, for a list read without bounds.
const (
	firstBucket = math.MinInt32
	lastBucket  = math.MaxInt32 - 1 // below never
)
