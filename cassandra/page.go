package cassandra

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// Time buckets. A list that grows with time (a player's messages, events)
// is split into partitions of one bucket each, so that no partition grows
// without bound; the bucket index (table bucket_index) lists the buckets of
// each list that hold live rows, so a reader visits only those.
const (
	// messageBucket is the width of a message partition: ten days, as
	// Discord does; a year of retention is 37 buckets.
	messageBucket = 10 * 24 * time.Hour
	// eventBucket is the width of an event partition: a day, for players
	// who log many events a day.
	eventBucket = 24 * time.Hour
)

// bucketOf returns the number of the bucket of width w holding t.
func bucketOf(t time.Time, w time.Duration) int32 {
	ms, wms := t.UnixMilli(), w.Milliseconds()
	b := ms / wms
	if ms%wms < 0 {
		b-- // floor, for times before 1970
	}
	return int32(b)
}

// bucketStart returns the first instant of bucket b.
func bucketStart(b int32, w time.Duration) time.Time {
	return time.UnixMilli(int64(b) * w.Milliseconds()).UTC()
}

// never is the expiry bucket of rows that never expire.
const never = math.MaxInt32

// expiryBucket returns the first bucket that starts after expires: the
// bucket index keeps one row per (bucket, expiry bucket), which lives until
// that bucket starts, so an index row outlives every row it stands for by
// less than a bucket, and a row with a short TTL never shortens the life of
// the index row of a longer-lived one.
func expiryBucket(expires time.Time, w time.Duration) int32 {
	if expires.IsZero() {
		return never
	}
	return bucketOf(expires, w) + 1
}

// maxTTL is the longest TTL Cassandra accepts: 20 years of 365 days.
const maxTTL = 630_720_000

// ttl returns the TTL in seconds of a row that expires at expires: 0 (no
// TTL) for the zero time, else at least 1 (a row already expired is still
// written, and hidden by every read, as on SQLite) and at most maxTTL.
func ttl(expires, now time.Time) int {
	if expires.IsZero() {
		return 0
	}
	secs := math.Ceil(expires.Sub(now).Seconds())
	return int(min(max(secs, 1), maxTTL))
}

// expiresValue is how an expiry is bound: unset (no tombstone) for never.
func expiresValue(t time.Time) any {
	if t.IsZero() {
		return gocql.UnsetValue
	}
	return t
}

// live reports whether a row that expires at expires is still served at now.
func live(expires, now time.Time) bool { return expires.IsZero() || expires.After(now) }

// listKind tags page tokens, so that a token of one list is refused by
// another.
type listKind byte

const (
	ordersList listKind = iota + 1
	inboxList
	sentList
	conversationList
	eventsList
)

// cursor is where a page ends: the bucket it was read from and the
// clustering key of its last row (at is used by events only). The next page
// starts below it.
type cursor struct {
	bucket int32
	at     time.Time
	id     uuid.UUID
}

// tokenLen is the size of an encoded cursor: kind, bucket, at (ms), id.
const tokenLen = 1 + 4 + 8 + 16

func (c cursor) token(k listKind) string {
	b := make([]byte, 0, tokenLen)
	b = append(b, byte(k))
	b = binary.BigEndian.AppendUint32(b, uint32(c.bucket))
	b = binary.BigEndian.AppendUint64(b, uint64(c.at.UnixMilli()))
	b = append(b, c.id[:]...)
	return base64.RawURLEncoding.EncodeToString(b)
}

// parseToken reads a page token of list k; ok is false for the first page
// (no token).
func parseToken(k listKind, token string) (c cursor, ok bool, err error) {
	if token == "" {
		return cursor{}, false, nil
	}
	b, ok := gamedata.DecodeToken(token)
	if !ok || len(b) != tokenLen || listKind(b[0]) != k {
		return cursor{}, false, gamedata.Invalid("page_token", "is not a page token of this list")
	}
	c.bucket = int32(binary.BigEndian.Uint32(b[1:]))
	c.at = time.UnixMilli(int64(binary.BigEndian.Uint64(b[5:]))).UTC()
	copy(c.id[:], b[13:])
	if !isTimeUUID(c.id) {
		return cursor{}, false, gamedata.Invalid("page_token", "is not a page token of this list")
	}
	return c, true, nil
}

// Bounds of timeuuid clustering keys. Cassandra orders timeuuids by their
// time first, so an id with the largest time is above every real id, and one
// with time 0 (1582) and the smallest clock and node (Cassandra compares
// those bytes as signed) is below every real id of the same instant.
var (
	maxTimeUUID = uuid.UUID{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x1f, 0xff, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f}
	minTimeUUID = uuid.UUID{0, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80}
)

// isTimeUUID reports whether id can be a key of a timeuuid column. Ids come
// from gamedata.NewID; an id of another version (from a request) names
// nothing, and Cassandra would refuse to bind it.
func isTimeUUID(id uuid.UUID) bool { return id.Version() == 1 }

// rows are the items read for a page, with their cursors, room made for
// limit+1 of them at once (the one more tells whether there is a next page).
type rows[T any] struct {
	items []T
	at    []cursor
}

func newRows[T any](limit int) *rows[T] {
	return &rows[T]{items: make([]T, 0, limit+1), at: make([]cursor, 0, limit+1)}
}

// scanFunc reads one row into an item, its cursor (bucket left to the
// caller) and its expiry (zero: never).
type scanFunc[T any] func(gocql.Scanner) (item T, c cursor, expires time.Time, err error)

// take appends to r the live rows of iter, up to want rows in all, and
// closes iter. bucket is the bucket the rows are read from.
func (r *rows[T]) take(iter *gocql.Iter, want int, bucket int32, now time.Time, scan scanFunc[T]) error {
	sc := iter.Scanner()
	for len(r.items) < want && sc.Next() {
		item, c, expires, err := scan(sc)
		if err != nil {
			_ = sc.Err() // the scan error is the one to report
			return err
		}
		if live(expires, now) {
			c.bucket = bucket
			r.items, r.at = append(r.items, item), append(r.at, c)
		}
	}
	return sc.Err()
}

// page makes a page of up to limit rows; r holds one more when there is a
// next page.
func (r *rows[T]) page(k listKind, limit int) gamedata.Page[T] {
	if len(r.items) > limit {
		return gamedata.Page[T]{Items: r.items[:limit], NextToken: r.at[limit-1].token(k)}
	}
	return gamedata.Page[T]{Items: r.items}
}
