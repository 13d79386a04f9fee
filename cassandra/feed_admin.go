package cassandra

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// The operator's side of the change feed: the consumers, and retiring one.

var deleteConsumer = write(`DELETE FROM feed_consumers WHERE feed = ? AND consumer = ?`)

var _ gamedata.FeedAdmin = (*Store)(nil)

// FeedConsumers lists the consumers with a stored watermark (their
// Position), and those of Config.FeedConsumers that have not read yet, with
// their FeedStatus. Asked from another process than a consumer's indexer,
// Pending and Oldest also count the records it committed above its
// watermark, up to a margin's worth (that indexer keeps them in memory).
func (s *Store) FeedConsumers(ctx context.Context) ([]gamedata.FeedConsumer, error) {
	positions, _, err := s.positions(ctx)
	if err != nil {
		return nil, s.fail("list feed consumers", err)
	}
	names := slices.AppendSeq(slices.Clone(s.cfg.FeedConsumers), maps.Keys(positions))
	slices.Sort(names)
	out := make([]gamedata.FeedConsumer, 0, len(names))
	for _, name := range slices.Compact(names) {
		st, err := s.FeedStatus(ctx, name)
		if err != nil {
			return nil, err
		}
		c := gamedata.FeedConsumer{Name: name, FeedStatus: st}
		if pos, ok := positions[name]; ok {
			c.Position, c.Saved = pos.w.UTC().Format(time.RFC3339Nano), pos.saved
		}
		out = append(out, c)
	}
	return out, nil
}

// DropFeedConsumer deletes a consumer's row, so that the removal of records
// (see feed_remove.go) no longer waits for it. A consumer named in
// Config.FeedConsumers is refused: records wait for it whether it has a row
// or not, on every server so configured.
func (s *Store) DropFeedConsumer(ctx context.Context, name string) error {
	op := "drop feed consumer " + name
	if err := checkConsumer(name); err != nil {
		return s.fail(op, err)
	}
	if slices.Contains(s.cfg.FeedConsumers, name) {
		return s.fail(op, gamedata.Invalid("consumer",
			"is a configured feed consumer: remove it from the feed consumers (--feed-consumers) of every server first"))
	}
	positions, _, err := s.positions(ctx)
	if err != nil {
		return s.fail(op, err)
	}
	if _, ok := positions[name]; !ok {
		return s.fail(op, gamedata.ErrNotFound)
	}
	if err := s.query(deleteConsumer, feedName, name).exec(ctx); err != nil {
		return s.fail(op, err)
	}
	s.feed.mu.Lock()
	delete(s.feed.consumers, name)
	s.feed.mu.Unlock()
	return nil
}
