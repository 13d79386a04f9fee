package opensearch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/gamedata-dev/gamedata"
)

// Rollover is the size at which the current index of a family is rolled
// over before its period ends. Zero fields are no condition; all zero means
// rollover by period only.
type Rollover struct {
	MaxDocs  int64
	MaxBytes int64 // primary and replica store size, as _rollover's max_size
}

// LifecycleConfig says when indices roll over and when they are deleted.
type LifecycleConfig struct {
	Orders   Rollover
	Messages Rollover
	// MessagesRetention: a messages index is deleted once the whole week it
	// holds is this old. Zero means gamedata.DefaultRetention (365 days).
	MessagesRetention time.Duration
	// Interval between steps of Run; zero means a minute.
	Interval time.Duration
	Clock    gamedata.Clock // nil: the system clock
	Logger   *slog.Logger   // nil: slog.Default()
}

// Lifecycle runs the index lifecycle with core APIs only (no ILM or ISM
// plugin): a new orders index each month and a new messages index each week
// (by the clock, in UTC), an earlier one when the current index reaches its
// size, and deletion of messages indices past retention. The read alias of a
// family covers every live index (the template adds it at creation); the
// write alias is on exactly one, the newest of the current period.
//
// Several processes may run it at once: each step reads the state and acts
// on it, and a lost race (an index another process just made) is harmless.
type Lifecycle struct {
	c   *Client
	cfg LifecycleConfig
}

// NewLifecycle returns the lifecycle of c's indices.
func NewLifecycle(c *Client, cfg LifecycleConfig) *Lifecycle {
	if cfg.MessagesRetention == 0 {
		cfg.MessagesRetention = gamedata.DefaultRetention
	}
	if cfg.Interval == 0 {
		cfg.Interval = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = gamedata.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Lifecycle{c: c, cfg: cfg}
}

// Run steps the lifecycle at once and then every Interval until ctx ends. A
// failed step (the cluster is down) is logged and tried again next time.
func (l *Lifecycle) Run(ctx context.Context) error {
	t := time.NewTicker(l.cfg.Interval)
	defer t.Stop()
	for {
		if err := l.Step(ctx, l.cfg.Clock.Now()); err != nil && ctx.Err() == nil {
			l.cfg.Logger.Warn("opensearch: index lifecycle step failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Step brings the indices to the state they must be in at now: templates in
// place, the users alias made, the write aliases on an index of the current
// period (rolled over if the current index is full), and messages indices
// past retention deleted.
func (l *Lifecycle) Step(ctx context.Context, now time.Time) error {
	if err := l.c.Setup(ctx); err != nil {
		return err
	}
	n := l.c.names
	indices, err := l.c.aliases(ctx, n.orders.pattern(), n.messages.pattern())
	if err != nil {
		return err
	}
	rolled := errors.Join(
		l.readable(ctx, n.orders, indices),
		l.readable(ctx, n.messages, indices),
		l.roll(ctx, n.orders, newIndexSet(n.orders, indices), l.cfg.Orders, now),
		l.roll(ctx, n.messages, newIndexSet(n.messages, indices), l.cfg.Messages, now),
	)
	// Listed again: the write alias may have just moved off an old index.
	if indices, err = l.c.aliases(ctx, n.messages.pattern()); err != nil {
		return errors.Join(rolled, err)
	}
	return errors.Join(rolled, l.expire(ctx, n.messages, newIndexSet(n.messages, indices), now))
}

// readable adds to f's read alias those of its indices that a process
// stopped between making them and aliasing them.
func (l *Lifecycle) readable(ctx context.Context, f family, indices map[string][]string) error {
	var errs []error
	for _, ix := range newIndexSet(f, indices) {
		if !slices.Contains(ix.aliases, f.readAlias()) {
			errs = append(errs, l.c.aliasWhenActive(ctx, ix.name, f.readAlias()))
		}
	}
	return errors.Join(errs...)
}

// roll puts the write alias of f on the newest index of the period holding
// now, making or rolling over to a new index when needed.
func (l *Lifecycle) roll(ctx context.Context, f family, set indexSet, size Rollover, now time.Time) error {
	cur := f.periodStart(now)
	write := set.holding(f.writeAlias())
	current := set.period(cur)
	switch {
	case len(write) == 0 && len(current) == 0:
		// First start: nothing to roll over from.
		return l.c.createIndex(ctx, f.index(cur, 1), f.readAlias(), f.writeAlias())
	case len(write) == 0:
		return l.c.updateAliases(ctx, "add write alias", aliasAction{add: true, index: current[len(current)-1].name, alias: f.writeAlias()})
	case len(write) > 1 || write[0].start.After(cur):
		// Not made by us (or the clock went back): leave it to an operator
		// rather than guess.
		return fmt.Errorf("opensearch: write alias %s is on %d indices, the newest %s, at %s: fix it by hand",
			f.writeAlias(), len(write), write[len(write)-1].name, now.Format(time.RFC3339))
	case len(current) == 0:
		// A new period: roll over whatever the size.
		return l.rollover(ctx, f, f.index(cur, 1), nil)
	case write[0].name != current[len(current)-1].name:
		// The indexer made this period's index before the lifecycle ran
		// (documents it had to place there): move the write alias onto it.
		newest := current[len(current)-1].name
		return l.c.updateAliases(ctx, "move write alias",
			aliasAction{index: write[0].name, alias: f.writeAlias()},
			aliasAction{add: true, index: newest, alias: f.writeAlias()})
	}
	conditions := map[string]any{}
	if size.MaxDocs > 0 {
		conditions["max_docs"] = size.MaxDocs
	}
	if size.MaxBytes > 0 {
		conditions["max_size"] = fmt.Sprintf("%db", size.MaxBytes)
	}
	if len(conditions) == 0 {
		return nil
	}
	return l.rollover(ctx, f, f.index(cur, write[0].seq+1), conditions)
}

// rollover moves f's write alias to a new index named next, if conditions
// (nil: none) are met when the cluster checks them.
func (l *Lifecycle) rollover(ctx context.Context, f family, next string, conditions map[string]any) error {
	// The new index joins the read alias as it is made: the family's other
	// indices answer for it until its (empty) shards are active.
	body := map[string]any{"aliases": map[string]any{f.readAlias(): map[string]any{}}}
	if conditions != nil {
		body["conditions"] = conditions
	}
	resp, err := l.c.api.Indices.Rollover(ctx, opensearchapi.IndicesRolloverReq{
		Alias: f.writeAlias(),
		Index: next,
		Body:  jsonBody(body),
	})
	err = l.c.check("rollover "+f.writeAlias()+" to "+next, resp, err)
	if isType(err, "resource_already_exists_exception") {
		return nil // another process rolled over first; the next step sees it
	}
	if err != nil {
		return err
	}
	if resp.RolledOver {
		l.cfg.Logger.Info("opensearch: rolled over", "alias", f.writeAlias(), "from", resp.OldIndex, "to", resp.NewIndex)
	}
	return nil
}

// expire deletes the indices of f whose whole period ended more than the
// retention ago: every document in them has expired. The write index is
// kept whatever its age.
func (l *Lifecycle) expire(ctx context.Context, f family, set indexSet, now time.Time) error {
	var old []string
	for _, ix := range set {
		if !f.periodEnd(ix.start).Add(l.cfg.MessagesRetention).After(now) && !slices.Contains(ix.aliases, f.writeAlias()) {
			old = append(old, ix.name)
		}
	}
	if len(old) == 0 {
		return nil
	}
	if err := l.c.deleteIndices(ctx, old...); err != nil {
		return err
	}
	l.cfg.Logger.Info("opensearch: deleted indices past retention", "indices", old, "retention", l.cfg.MessagesRetention)
	return nil
}
