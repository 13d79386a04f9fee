package cassandra_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/storetest"
)

// The consumers are listed with their watermark, when they stored it and
// their status, those configured but not started too. A region retired for
// good holds the removal of records until it is dropped; a configured one
// cannot be dropped (records wait for it on every server so configured).
func TestFeedConsumersAndDrop(t *testing.T) {
	cfg := cassandratest.Keyspace(t) // its own: removal and the consumer list are the keyspace's
	cfg.FeedMargin = 10 * time.Second
	t0 := cassandra.BucketStart(cassandra.BucketOf(time.Now(), cassandra.FeedBucket), cassandra.FeedBucket).Add(-time.Hour)
	clock := storetest.NewClock(t0)
	cfg.Clock = clock
	s := open(t, cfg)
	ctx := t.Context()
	w := feedWriter{t, s, clock}
	us, eu := newFeedReader(t, s, "us"), newFeedReader(t, s, "eu")
	us.next(1)
	eu.next(1)
	for i := range 8 {
		w.order(fmt.Sprint("Region_", i), t0.Add(time.Duration(i)*time.Millisecond))
	}
	clock.Set(t0.Add(3 * cassandra.FeedBucket))
	if got := us.drain(); len(got) != 8 {
		t.Fatalf("us read %d records, want 8", len(got))
	}

	cfg.FeedConsumers = []string{"mars"}
	configured := open(t, cfg)
	got, err := configured.FeedConsumers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"eu", "mars", "us"}) {
		t.Fatalf("consumers %v, want eu, mars (configured) and us", names)
	}
	if eu, mars, us := got[0], got[1], got[2]; eu.Pending != 8 || !eu.Oldest.Equal(t0) || eu.Position == "" ||
		mars.Position != "" || mars.Pending != 8 || us.Pending != 0 || us.Position == "" || !us.Saved.Equal(clock.Now()) {
		t.Errorf("consumers: %+v; want eu and mars with the 8 records pending, us with none, saved now", got)
	}
	if err := configured.DropFeedConsumer(ctx, "mars"); !errors.Is(err, gamedata.ErrInvalid) {
		t.Errorf("drop a configured consumer: %v, want %v", err, gamedata.ErrInvalid)
	}
	if err := s.DropFeedConsumer(ctx, "pluto"); !errors.Is(err, gamedata.ErrNotFound) {
		t.Errorf("drop an unknown consumer: %v, want %v", err, gamedata.ErrNotFound)
	}

	if n, err := s.RemoveChanges(ctx); err != nil || n != 0 {
		t.Fatalf("removal while eu lags: %d partitions, %v; want none", n, err)
	}
	if err := s.DropFeedConsumer(ctx, "eu"); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RemoveChanges(ctx); err != nil || n == 0 {
		t.Errorf("removal once eu is dropped: %d partitions, %v; want those us passed", n, err)
	}
	if parts, listed := partitionsOf(t, s, cassandra.BucketOf(t0, cassandra.FeedBucket)); parts+listed != 0 {
		t.Errorf("after the removal, %d partitions of the records hold some, %d listed", parts, listed)
	}
	if got, err := s.FeedConsumers(ctx); err != nil || len(got) != 1 || got[0].Name != "us" {
		t.Errorf("consumers after the drop: %+v, %v; want us alone", got, err)
	}
}
