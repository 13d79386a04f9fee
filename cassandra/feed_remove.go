package cassandra

import (
	"context"
	"math"
	"time"

	"golang.org/x/sync/errgroup"
)

// Removal of the change records every consumer has passed: whole partitions
// (one partition tombstone each, never one per row), their feed_buckets
// rows with one range delete per shard, and removed_below, the point below
// which nothing is left, which readers of feed_buckets start from (so they
// never walk those tombstones).
var (
	deleteFeedPartition = write(`DELETE FROM feed_changes WHERE bucket = ? AND shard = ?`)
	deleteFeedBuckets   = write(`DELETE FROM feed_buckets WHERE shard = ? AND bucket < ?`)
	markRemoved         = write(`UPDATE feed_consumers SET removed_below = ? WHERE feed = ?`)
)

const (
	// feedRemoveEvery is how often every store removes what it can.
	feedRemoveEvery = time.Minute
	// removeParallel bounds the partition deletes in flight at once.
	removeParallel = 8
)

// removeChanges deletes the partitions whose bucket ends at or before the
// watermark of every known consumer, and returns how many. A consumer of
// Config.FeedConsumers that has not read yet keeps every record. While no
// consumer is known at all (search is not configured), records are kept
// for Config.FeedRetention, so that they do not pile up for good. A
// consumer that makes itself known while a removal runs may miss records
// that the removal drops.
func (s *Store) removeChanges(ctx context.Context) (removed int, err error) {
	positions, removedBelow, err := s.positions(ctx)
	if err != nil {
		return 0, s.fail("remove change records", err)
	}
	horizon := s.clock.Now().Add(-s.cfg.FeedRetention)
	if len(positions) > 0 || len(s.cfg.FeedConsumers) > 0 {
		horizon = time.Time{}
		for _, c := range s.cfg.FeedConsumers {
			if _, ok := positions[c]; !ok {
				return 0, nil
			}
		}
		for _, pos := range positions {
			if horizon.IsZero() || pos.w.Before(horizon) {
				horizon = pos.w
			}
		}
	}
	end := bucketOf(horizon, feedBucket) // the buckets before it end by horizon
	lo := int32(math.MinInt32)
	if !removedBelow.IsZero() {
		lo = bucketOf(removedBelow, feedBucket)
	}
	for lo < end {
		parts, reach, err := s.feedPartitions(ctx, lo, end-1)
		if err != nil {
			return removed, s.fail("remove change records", err)
		}
		upTo := end
		if reach.Before(bucketStart(end, feedBucket)) {
			upTo = bucketOf(reach, feedBucket)
		}
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(removeParallel)
		for _, p := range parts {
			g.Go(func() error { return s.query(deleteFeedPartition, p.bucket, p.shard).exec(gctx) })
		}
		for shard := range int32(feedShards) {
			g.Go(func() error { return s.query(deleteFeedBuckets, shard, upTo).exec(gctx) })
		}
		if err := g.Wait(); err != nil {
			return removed, s.fail("remove change records", err)
		}
		if err := s.query(markRemoved, bucketStart(upTo, feedBucket), feedName).exec(ctx); err != nil {
			return removed, s.fail("remove change records", err)
		}
		removed += len(parts)
		lo = upTo
	}
	return removed, nil
}

// removeLoop removes what it can every feedRemoveEvery until ctx ends, then
// closes done.
func (s *Store) removeLoop(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	t := time.NewTicker(feedRemoveEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := s.removeChanges(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.cfg.Logger.Warn("cassandra: remove change records (retried in a minute)", "err", err)
		case n > 0:
			s.cfg.Logger.Debug("cassandra: removed change records every consumer has passed", "partitions", n)
		}
	}
}
