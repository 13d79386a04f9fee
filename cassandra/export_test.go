package cassandra

import (
	"context"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// Hooks for the tests of package cassandra_test (which may import
// cassandratest, itself an importer of this package).

// OpenWith opens a store whose statements run through wrap(the driver):
// the way tests inject faults.
func OpenWith(ctx context.Context, cfg Config, wrap func(Executor) Executor) (*Store, error) {
	return open(ctx, cfg, wrap(driverExecutor{}))
}

// StatementCQL lists the text of every statement of the store.
func StatementCQL() []string {
	out := make([]string, len(statements))
	for i, st := range statements {
		out[i] = st.cql
	}
	return out
}

// ScanCQL lists the text of the store's scans (token ranges of a table,
// for offline jobs), a subset of StatementCQL.
func ScanCQL() []string {
	var out []string
	for _, st := range statements {
		if st.scan {
			out = append(out, st.cql)
		}
	}
	return out
}

// SetFeedOff stops (true) or resumes the writing of change records, for the
// benchmark of what they cost. Not safe while the store writes.
func (s *Store) SetFeedOff(off bool) { s.feed.off = off }

// SetWriteHook makes the writes that record an intent call fn between the
// intent and the write (afterWrite false) and between the write and its
// record (true); an error of fn stops the write there, as a crash would. Not
// safe while the store writes.
func (s *Store) SetWriteHook(fn func(afterWrite bool) error) { s.feed.hook = fn }

// IntentGrace is how far ahead of the store's clock an intent is stamped.
func (s *Store) IntentGrace() time.Duration { return s.cfg.intentGrace }

// RemoveChanges runs one removal of the change records every consumer has
// passed (the store runs one a minute), and returns how many partitions it
// deleted.
func (s *Store) RemoveChanges(ctx context.Context) (int, error) { return s.removeChanges(ctx) }

// The change feed's layout.
const (
	FeedBucket = feedBucket
	FeedShards = feedShards
)

// Session is the store's driver session.
func (s *Store) Session() *gocql.Session { return s.session }

// BenchCQL are the statements the store's hot paths run, for the benchmark
// that runs them straight through the driver.
var BenchCQL = struct {
	GetPlayer, InsertOrder, InsertInbox, InsertSent, InsertConversation, InsertBucket, ListBuckets, InboxPage string
}{
	getPlayer.cql, insertOrder.cql, inbox.insert.cql, sent.insert.cql, conversation.insert.cql,
	insertBucket.cql, listBuckets.cql, inbox.page.cql,
}

// Bucket and TTL arithmetic, for the benchmark's writes.
var (
	BucketOf      = bucketOf
	ExpiryBucket  = expiryBucket
	BucketStart   = bucketStart
	TTL           = ttl
	MessageBucket = messageBucket
	MaxTimeUUID   = [16]byte(maxTimeUUID)
)
