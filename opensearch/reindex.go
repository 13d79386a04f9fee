package opensearch

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// ReindexOptions tune ReindexUsers. Zero fields take the defaults shown.
type ReindexOptions struct {
	BatchSize int            // players per bulk request: 1000
	Clock     gamedata.Clock // names the new index: the system clock
	Logger    *slog.Logger   // progress: slog.Default()
	// Restart deletes the index of an earlier reindex that did not finish
	// (it holds the users-reindex alias) instead of refusing to run.
	Restart bool
}

// ReindexReport says what ReindexUsers did.
type ReindexReport struct {
	Index   string   // the new live index
	Deleted []string // the indices it replaced
	Players int64    // players indexed from the store
	Took    time.Duration
}

// ReindexUsers rebuilds the users index from the primary store, without the
// _reindex API: it creates a new index (from the current template), fills
// it from lister, then in one atomic _aliases call moves the users alias
// onto it and deletes the old index.
//
// No write is lost to the swap: the new index carries the users-reindex
// alias from its creation, and while it exists the indexer writes every
// changed player through both aliases. A change the scan read too early to
// see was committed before the indexer looked the aliases up, so the
// indexer writes it into the new index too; and external versions keep the
// newer of the scan's and the indexer's writes, whichever lands last.
//
// A reindex that stops half way leaves the live index untouched; run it
// again with Restart to start over.
func (c *Client) ReindexUsers(ctx context.Context, lister gamedata.PlayerLister, opts ReindexOptions) (ReindexReport, error) {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	if opts.Clock == nil {
		opts.Clock = gamedata.SystemClock{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	started := opts.Clock.Now()
	var rep ReindexReport
	if err := c.Setup(ctx); err != nil {
		return rep, err
	}
	n := c.names
	indices, err := c.aliases(ctx, n.usersPattern())
	if err != nil {
		return rep, err
	}
	for index, aliases := range indices {
		if !slices.Contains(aliases, n.usersReindex) {
			continue
		}
		if !opts.Restart {
			return rep, fmt.Errorf("opensearch: reindex users: index %s holds alias %s: a reindex is running or was stopped; "+
				"if none is running, restart it", index, n.usersReindex)
		}
		if err := c.deleteIndices(ctx, index); err != nil {
			return rep, err
		}
		opts.Logger.Info("opensearch: deleted the index of an unfinished reindex", "index", index)
	}

	rep.Index = n.usersIndex(started)
	if err := c.createIndex(ctx, rep.Index, n.usersReindex); err != nil {
		return rep, err
	}
	opts.Logger.Info("opensearch: reindexing users", "index", rep.Index)
	batch := make([]op, 0, opts.BatchSize)
	flush := func(ctx context.Context) error {
		refused, err := c.bulk(ctx, batch)
		if err != nil {
			return err
		}
		if len(refused) > 0 {
			return fmt.Errorf("opensearch: reindex users: %d of %d players refused, the first %s: %s",
				len(refused), len(batch), refused[0].op.doc.id, refused[0].reason)
		}
		rep.Players += int64(len(batch))
		if rep.Players%int64(100*opts.BatchSize) < int64(len(batch)) {
			opts.Logger.Info("opensearch: reindexing users", "index", rep.Index, "players", rep.Players)
		}
		batch = batch[:0]
		return nil
	}
	err = lister.ListAllPlayers(ctx, func(p gamedata.Player) error {
		d := newPlayerDoc(p)
		batch = append(batch, op{target: rep.Index, doc: &doc{
			kind: gamedata.ChangePlayer, id: d.NameKey, version: version(p.UpdatedAt), source: d,
		}})
		if len(batch) < opts.BatchSize {
			return nil
		}
		return flush(ctx)
	})
	if err == nil {
		err = flush(ctx)
	}
	if err != nil {
		return rep, fmt.Errorf("opensearch: reindex users into %s (the live index is untouched): %w", rep.Index, err)
	}

	// The swap: the alias moves and the old indices go in one atomic call.
	if indices, err = c.aliases(ctx, n.usersPattern()); err != nil {
		return rep, err
	}
	actions := []aliasAction{
		{add: true, index: rep.Index, alias: n.users},
		{index: rep.Index, alias: n.usersReindex},
	}
	for index, aliases := range indices {
		if index != rep.Index && slices.Contains(aliases, n.users) {
			actions = append(actions, aliasAction{index: index, delete: true})
			rep.Deleted = append(rep.Deleted, index)
		}
	}
	if err := c.updateAliases(ctx, "swap the users alias", actions...); err != nil {
		return rep, err
	}
	rep.Took = opts.Clock.Now().Sub(started)
	opts.Logger.Info("opensearch: reindexed users", "index", rep.Index, "players", rep.Players, "deleted", rep.Deleted, "took", rep.Took)
	return rep, nil
}
