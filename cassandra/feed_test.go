package cassandra_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/storetest"
)

func TestFeed(t *testing.T) {
	storetest.RunFeed(t, func(t *testing.T, clock gamedata.Clock) gamedata.Store { return openShared(t, clock) })
}

// feedReader reads one consumer's feed in a test.
type feedReader struct {
	t        *testing.T
	s        *cassandra.Store
	consumer string
	seen     map[uuid.UUID]bool
}

func newFeedReader(t *testing.T, s *cassandra.Store, consumer string) *feedReader {
	return &feedReader{t: t, s: s, consumer: consumer, seen: map[uuid.UUID]bool{}}
}

// next reads one batch of at most max, commits it and returns it, failing
// the test if a committed change comes again.
func (r *feedReader) next(max int) []gamedata.Change {
	r.t.Helper()
	b, err := r.s.ReadChanges(r.t.Context(), r.consumer, max)
	if err != nil {
		r.t.Fatal(err)
	}
	for _, c := range b.Changes {
		if r.seen[c.ID] {
			r.t.Errorf("%s: change %s (%s of %s) came again after its commit", r.consumer, c.ID, c.Kind, c.Player)
		}
		r.seen[c.ID] = true
	}
	if err := r.s.CommitChanges(r.t.Context(), r.consumer, b.Cursor); err != nil {
		r.t.Fatal(err)
	}
	return b.Changes
}

// drain reads until a read comes back empty and returns what it read.
func (r *feedReader) drain() []gamedata.Change {
	r.t.Helper()
	var all []gamedata.Change
	for {
		b := r.next(500)
		if len(b) == 0 {
			return all
		}
		all = append(all, b...)
	}
}

// changesOf returns the changes of players among changes.
func changesOf(changes []gamedata.Change, players ...string) []gamedata.Change {
	var out []gamedata.Change
	for _, c := range changes {
		for _, p := range players {
			if c.Player == gamedata.NameKey(p) {
				out = append(out, c)
			}
		}
	}
	return out
}

// feedWriter writes with a clock of its own (a server whose clock differs
// from the reader's, or whose write was slow) orders without idempotency
// key: one change record each, in the order's batch, at the write's time.
type feedWriter struct {
	t     *testing.T
	s     *cassandra.Store
	clock *storetest.Clock
}

// order creates an order of user at time at (the time of its record).
func (w feedWriter) order(user string, at time.Time) gamedata.Order {
	w.t.Helper()
	w.clock.Set(at)
	o := gamedata.Order{ID: gamedata.NewID(at), UserName: user, Item: "straw", Amount: 1, Price: 1,
		Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
	if _, _, err := w.s.CreateOrder(w.t.Context(), o, ""); err != nil {
		w.t.Fatal(err)
	}
	return o
}

// A record that becomes visible after the reader has returned (and
// committed) a newer one of the same partition is still delivered, as long
// as it is late by less than the margin: at once within a second of the
// newer one, else when the watermark reaches it. A record later than the
// margin is behind the watermark and never delivered: the margin is the
// contract.
func TestFeedDeliversStragglersWithinTheMargin(t *testing.T) {
	const margin = 10 * time.Second
	cfg := keyspace(t)
	cfg.FeedMargin = margin
	// t1 is in the middle of a bucket a few minutes ahead, so that the
	// records of this test share a partition (one player, one bucket).
	t1 := cassandra.BucketStart(cassandra.BucketOf(time.Now(), cassandra.FeedBucket)+3, cassandra.FeedBucket).Add(30 * time.Second)
	readerClock, writerClock := storetest.NewClock(t1), storetest.NewClock(t1)
	cfg.Clock = readerClock
	reader := open(t, cfg)
	cfg.Clock = writerClock
	w := feedWriter{t, open(t, cfg), writerClock}
	r := newFeedReader(t, reader, "straggler-"+fmt.Sprint(time.Now().UnixNano()))
	r.drain()

	name := "Late_" + fmt.Sprint(time.Now().UnixNano()%1e9)
	w.order(name, t1)
	if got := changesOf(r.next(100), name); len(got) != 1 {
		t.Fatalf("the first record: read %d changes of %s, want 1", len(got), name)
	}

	// Half a second behind the record already committed.
	w.order(name, t1.Add(-500*time.Millisecond))
	if got := changesOf(r.next(100), name); len(got) != 1 || !gamedata.IDTime(got[0].ID).Equal(t1.Add(-500*time.Millisecond)) {
		t.Fatalf("a record half a second late: read %v, want it at once", got)
	}

	// Five seconds behind: delivered by the time the reader's clock passes
	// its time plus the margin, when the watermark would pass it.
	late := t1.Add(-5 * time.Second)
	w.order(name, late)
	var got []gamedata.Change
	for now := t1; len(got) == 0 && !now.After(late.Add(margin+time.Second)); now = now.Add(time.Second) {
		readerClock.Set(now)
		got = changesOf(r.next(100), name)
	}
	if len(got) != 1 || !gamedata.IDTime(got[0].ID).Equal(late) {
		t.Fatalf("a record five seconds late: read %v, want it before the watermark passes it", got)
	}

	// The watermark has passed t1 now: a record stamped before it that
	// shows up only now, more than the margin late, is not delivered.
	readerClock.Set(t1.Add(2 * margin))
	r.drain()
	lost := t1.Add(-2 * time.Second)
	w.order(name, lost)
	for range 3 {
		readerClock.Set(readerClock.Now().Add(time.Second))
		if got := changesOf(r.next(100), name); len(got) > 0 {
			t.Fatalf("a record later than the margin was delivered: %v; the watermark does not move", got)
		}
	}
	if n := recordsAt(t, reader, lost); n != 1 {
		t.Fatalf("the late record is not stored (%d records at %v)", n, lost)
	}
}

// recordsAt counts the change records of time at.
func recordsAt(t *testing.T, s *cassandra.Store, at time.Time) int {
	t.Helper()
	n := 0
	for shard := range cassandra.FeedShards {
		sc := s.Session().Query(`SELECT id FROM feed_changes WHERE bucket = ? AND shard = ?`,
			cassandra.BucketOf(at, cassandra.FeedBucket), shard).IterContext(t.Context()).Scanner()
		for sc.Next() {
			var id [16]byte
			if err := sc.Scan(&id); err != nil {
				t.Fatal(err)
			}
			if gamedata.IDTime(id).Equal(at) {
				n++
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

// partitionsOf counts the feed partitions of bucket b that hold records,
// and the feed_buckets rows that list them.
func partitionsOf(t *testing.T, s *cassandra.Store, b int32) (parts, listed int) {
	t.Helper()
	for shard := range cassandra.FeedShards {
		var id [16]byte
		switch err := s.Session().Query(`SELECT id FROM feed_changes WHERE bucket = ? AND shard = ? LIMIT 1`, b, shard).
			ScanContext(t.Context(), &id); {
		case err == nil:
			parts++
		case !errors.Is(err, gocql.ErrNotFound):
			t.Fatal(err)
		}
		var bucket int32
		switch err := s.Session().Query(`SELECT bucket FROM feed_buckets WHERE shard = ? AND bucket = ?`, shard, b).
			ScanContext(t.Context(), &bucket); {
		case err == nil:
			listed++
		case !errors.Is(err, gocql.ErrNotFound):
			t.Fatal(err)
		}
	}
	return parts, listed
}

// Records go a partition at a time, once every known consumer has passed
// them: a consumer named in the config that has not read yet holds them
// all, a lagging one holds the buckets it has not passed. While no
// consumer is known at all, they go after the retention.
func TestFeedRemovesWhatEveryConsumerPassed(t *testing.T) {
	base := cassandratest.Keyspace(t) // a keyspace of its own: no consumer of other tests
	base.FeedMargin, base.FeedRetention = 10*time.Second, time.Hour
	t0 := cassandra.BucketStart(cassandra.BucketOf(time.Now(), cassandra.FeedBucket), cassandra.FeedBucket)
	clock := storetest.NewClock(t0.Add(-2 * time.Hour))
	cfg := base
	cfg.Clock = clock
	alone := open(t, cfg) // no consumer known, none configured
	w := feedWriter{t, alone, clock}
	prefix := "Gone_" + fmt.Sprint(time.Now().UnixNano()%1e9)
	var names []string
	write := func(at time.Time, n int) {
		for i := range n {
			names = append(names, fmt.Sprint(prefix, len(names)))
			w.order(names[len(names)-1], at.Add(time.Duration(i)*time.Millisecond))
		}
	}
	// old: a record of one user (so one shard) a minute for 600 minutes,
	// up to two hours back: more buckets than one removal step takes.
	old, b0, b1 := t0.Add(-2*time.Hour-600*cassandra.FeedBucket), t0, t0.Add(cassandra.FeedBucket)
	write(old, 1)
	for i := 1; i < 600; i++ {
		w.order(names[0], old.Add(time.Duration(i)*cassandra.FeedBucket))
	}
	write(b0, 8)
	write(b1, 8)
	bucket := func(at time.Time) int32 { return cassandra.BucketOf(at, cassandra.FeedBucket) }
	remove := func(s *cassandra.Store) int {
		t.Helper()
		n, err := s.RemoveChanges(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	wantParts := func(what string, at time.Time, kept bool) {
		t.Helper()
		parts, listed := partitionsOf(t, alone, bucket(at))
		if kept && (parts == 0 || parts != listed) {
			t.Errorf("%s: %d partitions of bucket %d hold records, %d listed; want them kept", what, parts, bucket(at), listed)
		}
		if !kept && parts+listed > 0 {
			t.Errorf("%s: %d partitions of bucket %d hold records, %d listed; want them removed", what, parts, bucket(at), listed)
		}
	}

	clock.Set(b1.Add(time.Second))
	if n := remove(alone); n == 0 {
		t.Errorf("with no consumer known, nothing older than the retention was removed")
	}
	for _, i := range []int{0, 300, 599} {
		wantParts("no consumer, past the retention", old.Add(time.Duration(i)*cassandra.FeedBucket), false)
	}
	wantParts("no consumer, within the retention", b0, true)

	cfg.FeedConsumers = []string{"eu"}
	s := open(t, cfg)
	us, eu := newFeedReader(t, s, "us"), newFeedReader(t, s, "eu")
	if got := changesOf(us.drain(), names...); len(got) != 16 {
		t.Fatalf("us read %d changes of the 16 kept", len(got))
	}
	clock.Set(b1.Add(3 * cassandra.FeedBucket))
	us.drain() // moves us's watermark past b1
	if n := remove(s); n != 0 {
		t.Errorf("eu, configured, has not read: %d partitions removed", n)
	}
	wantParts("eu not started", b0, true)

	if got := changesOf(eu.next(1), names...); len(got) != 1 {
		t.Fatalf("eu's first read: %d changes of the test's players", len(got))
	}
	if n := remove(s); n != 0 {
		t.Errorf("eu is still in b0: %d partitions removed", n)
	}
	wantParts("eu lagging", b0, true)

	if got := changesOf(eu.drain(), names...); len(got) != 15 {
		t.Fatalf("eu read %d more changes, want 15", len(got))
	}
	if n := remove(s); n == 0 {
		t.Errorf("every consumer passed b0 and b1: nothing removed")
	}
	wantParts("every consumer passed", b0, false)
	wantParts("every consumer passed", b1, false)
	if n := remove(s); n != 0 {
		t.Errorf("a second removal removed %d partitions more", n)
	}

	// Writes go on into new partitions, which the consumers read.
	write(clock.Now(), 3)
	if got := changesOf(us.drain(), names...); len(got) != 3 {
		t.Errorf("us read %d changes after the removal, want the 3 new ones", len(got))
	}
}

// Above 1000 pending records FeedStatus estimates the count from the times
// of the first 1000: records written at a steady rate come out close.
func TestFeedStatusEstimatesALargeBacklog(t *testing.T) {
	clock := storetest.NewClock(time.Now().Truncate(time.Millisecond))
	s := openShared(t, clock)
	ctx := t.Context()
	r := newFeedReader(t, s, "backlog-"+fmt.Sprint(time.Now().UnixNano()))
	r.drain()
	const n = 2500
	user := "Backlog_" + fmt.Sprint(time.Now().UnixNano()%1e9)
	first := clock.Advance(time.Millisecond)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for range n {
		at := clock.Advance(time.Millisecond) // one record a millisecond
		g.Go(func() error {
			o := gamedata.Order{ID: gamedata.NewID(at), UserName: user, Item: "x", Amount: 1, Price: 1,
				Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
			_, _, err := s.CreateOrder(gctx, o, "")
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, left := range []int64{n, n - 1000} {
		st, err := s.FeedStatus(ctx, r.consumer)
		if err != nil {
			t.Fatal(err)
		}
		if float64(st.Pending) < 0.8*float64(left) || float64(st.Pending) > 1.25*float64(left) || st.Oldest.Before(first) {
			t.Errorf("with %d records pending: status %d pending, the oldest from %v (the first written at %v)",
				left, st.Pending, st.Oldest, first)
		}
		r.next(1000)
	}
}

// A consumer far behind reads every record, in order, though they span more
// buckets than one read of feed_buckets takes, and fewer records than a
// batch.
func TestFeedReadsAFarBacklogInOrder(t *testing.T) {
	start := time.Now().Add(-48 * time.Hour).Truncate(time.Millisecond)
	clock := storetest.NewClock(start)
	s := openShared(t, clock)
	w := feedWriter{t, s, clock}
	name := "Far_" + fmt.Sprint(time.Now().UnixNano()%1e9)
	const n = 700 // one record a minute: 700 buckets
	for i := range n {
		w.order(name, start.Add(time.Duration(i)*cassandra.FeedBucket))
	}
	clock.Set(time.Now())
	r := newFeedReader(t, s, "far-"+fmt.Sprint(time.Now().UnixNano()))
	var got []gamedata.Change
	for {
		b := r.next(1000)
		if len(b) == 0 {
			break
		}
		got = append(got, changesOf(b, name)...)
	}
	if len(got) != n {
		t.Fatalf("read %d of the %d records", len(got), n)
	}
	for i, c := range got {
		if want := start.Add(time.Duration(i) * cassandra.FeedBucket); !gamedata.IDTime(c.ID).Equal(want) {
			t.Fatalf("record %d is from %v, want %v", i, gamedata.IDTime(c.ID), want)
		}
	}
}

func TestHistoryConformance(t *testing.T) {
	storetest.RunHistory(t, func(t *testing.T, clock gamedata.Clock) gamedata.Backend {
		return openShared(t, clock).Backend()
	})
}
