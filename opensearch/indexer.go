package opensearch

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
)

// RowReader reads the rows that change records name. gamedata.Store is one.
type RowReader interface {
	GetPlayer(ctx context.Context, name string) (gamedata.Player, error)
	GetOrder(ctx context.Context, user string, id uuid.UUID) (gamedata.Order, error)
}

// IndexerConfig tunes an Indexer. Zero fields take the defaults shown.
type IndexerConfig struct {
	// Consumer is the indexer's name in the feed: its region. Each region's
	// search cluster is fed by its own consumer of the replicated feed.
	Consumer string
	// BatchSize is how many changes one read (and one bulk) takes: 500.
	BatchSize int
	// PollInterval is the pause between reads while the feed is empty:
	// 100ms. After a full batch the next read follows at once.
	PollInterval time.Duration
	// Concurrency bounds the row reads of a batch in flight at once: 16.
	Concurrency int
	// MissingRowGrace is how long after a change its row may still be
	// missing before the change is skipped: 1m. A row can lag its change
	// record (replication to another region; a new row and its record in a
	// Cassandra batch, which is not isolated), and skipping it then would
	// lose it.
	MissingRowGrace time.Duration
	// MinBackoff and MaxBackoff bound the pause before a retry (it doubles
	// from Min up to Max, with jitter): 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	Clock                  gamedata.Clock // the system clock
	Logger                 *slog.Logger   // slog.Default()
	// Registerer gets the indexer's metrics (nil: not registered).
	Registerer prometheus.Registerer
}

// Indexer drains a change feed into the cluster. For each change it reads
// the row's current state from the primary store (a row that is gone is
// skipped) and indexes it with _bulk as a document whose id is the row's key
// and whose external version is the row's update time; so a change indexed
// twice, or out of order, leaves the newest state. It commits its position
// in the feed only after every document of a batch was accepted, retrying
// with backoff for as long as it takes: while the cluster is down the feed
// grows, and the indexer catches up once it is back.
//
// Where a document goes: a player to the users alias (and to the alias of
// a users index being rebuilt, see ReindexUsers); an order or a message to
// an index of the period it was created in (see family). A period has one
// index unless it rolled over for size; then a document already indexed is
// looked up (a realtime multi-get over that period's indices) and written
// where it is, and a new one goes to the period's newest index. So an order
// paid months later updates the document made when it was created, never a
// copy in the current index.
type Indexer struct {
	c       *Client
	rows    RowReader
	feed    gamedata.ChangeFeed
	cfg     IndexerConfig
	log     *slog.Logger
	m       indexerMetrics
	backoff backoff

	mu         sync.Mutex // one batch at a time
	ready      bool       // Setup has run
	lastStatus time.Time  // of the last FeedStatus read
}

// NewIndexer returns an indexer of feed into c, reading rows from rows.
func NewIndexer(c *Client, rows RowReader, feed gamedata.ChangeFeed, cfg IndexerConfig) (*Indexer, error) {
	if cfg.Consumer == "" {
		return nil, errors.New("opensearch: indexer: no consumer name (region)")
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 500
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 100 * time.Millisecond
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.MissingRowGrace <= 0 {
		cfg.MissingRowGrace = time.Minute
	}
	if cfg.MinBackoff <= 0 {
		cfg.MinBackoff = 100 * time.Millisecond
	}
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = max(cfg.MinBackoff, 5*time.Second)
	}
	if cfg.Clock == nil {
		cfg.Clock = gamedata.SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	ix := &Indexer{c: c, rows: rows, feed: feed, cfg: cfg, m: newIndexerMetrics(),
		log: cfg.Logger.With("consumer", cfg.Consumer), backoff: backoff{cfg.MinBackoff, cfg.MaxBackoff}}
	if cfg.Registerer != nil {
		if err := ix.m.register(cfg.Registerer); err != nil {
			return nil, fmt.Errorf("opensearch: indexer metrics: %w", err)
		}
	}
	return ix, nil
}

// Run indexes changes until ctx ends, then returns nil.
func (ix *Indexer) Run(ctx context.Context) error {
	for {
		n, err := ix.step(ctx)
		if err != nil {
			return nil // step fails only when ctx has ended
		}
		if n == ix.cfg.BatchSize {
			continue // more are waiting
		}
		if !sleep(ctx, ix.cfg.PollInterval) {
			return nil
		}
	}
}

// Drain indexes changes until the feed is empty. It returns ctx's error if
// ctx ends first.
func (ix *Indexer) Drain(ctx context.Context) error {
	for {
		n, err := ix.step(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			return nil
		}
	}
}

// step reads one batch of changes, indexes it and commits it; it returns
// how many changes the batch had. Failures are retried; step fails only
// when ctx ends.
func (ix *Indexer) step(ctx context.Context) (int, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if !ix.ready {
		if err := ix.retry(ctx, "set up indices", func(ctx context.Context) error {
			return ix.c.Setup(ctx)
		}); err != nil {
			return 0, err
		}
		ix.ready = true
	}
	var batch gamedata.ChangeBatch
	if err := ix.retry(ctx, "read the change feed", func(ctx context.Context) (err error) {
		batch, err = ix.feed.ReadChanges(ctx, ix.cfg.Consumer, ix.cfg.BatchSize)
		return err
	}); err != nil {
		return 0, err
	}
	if len(batch.Changes) > 0 {
		if err := ix.index(ctx, batch.Changes); err != nil {
			return 0, err
		}
		if err := ix.retry(ctx, "commit the change feed", func(ctx context.Context) error {
			return ix.feed.CommitChanges(ctx, ix.cfg.Consumer, batch.Cursor)
		}); err != nil {
			return 0, err
		}
	}
	ix.observe(ctx, len(batch.Changes) > 0)
	return len(batch.Changes), nil
}

// doc is one document to index.
type doc struct {
	kind    gamedata.ChangeKind
	id      string
	created time.Time // picks the period of an order or message
	version int64
	source  any
}

// index writes the documents of changes, retrying until every one was
// accepted.
func (ix *Indexer) index(ctx context.Context, changes []gamedata.Change) error {
	docs, err := ix.load(ctx, changes)
	if err != nil {
		return err
	}
	pending := docs
	return ix.retry(ctx, "index", func(ctx context.Context) error {
		ops, err := ix.place(ctx, pending)
		if err != nil {
			return err
		}
		failed, err := ix.bulk(ctx, ops)
		if err != nil {
			return err
		}
		pending = failed
		if len(failed) > 0 {
			return fmt.Errorf("%d of %d documents were refused", len(failed), len(ops))
		}
		return nil
	})
}

// load reads the current row of every change (once per row), with at most
// Concurrency reads in flight. Rows that do not exist MissingRowGrace after
// their change, and messages past their expiry, are left out.
func (ix *Indexer) load(ctx context.Context, changes []gamedata.Change) ([]*doc, error) {
	type task struct {
		change gamedata.Change
		doc    *doc
		done   bool
	}
	var tasks []*task
	seen := map[string]bool{}
	now := ix.cfg.Clock.Now()
	for _, ch := range changes {
		var key string
		switch ch.Kind {
		case gamedata.ChangePlayer:
			key = "p/" + gamedata.NameKey(ch.Player)
		case gamedata.ChangeOrder:
			key = "o/" + ch.OrderID.String()
		case gamedata.ChangeMessage:
			if ch.Message == nil || (!ch.Message.ExpiresAt.IsZero() && !ch.Message.ExpiresAt.After(now)) {
				continue
			}
			key = "m/" + ch.Message.ID.String()
		case gamedata.ChangeFriendship, gamedata.ChangeInterests:
			continue // not searched
		default:
			ix.log.Warn("opensearch indexer: skipping a change of unknown kind", "kind", ch.Kind, "id", ch.ID)
			continue
		}
		if !seen[key] {
			seen[key] = true
			tasks = append(tasks, &task{change: ch})
		}
	}
	err := ix.retry(ctx, "read changed rows", func(ctx context.Context) error {
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(ix.cfg.Concurrency)
		for _, t := range tasks {
			if t.done {
				continue
			}
			g.Go(func() error {
				d, err := ix.read(gctx, t.change)
				if errors.Is(err, gamedata.ErrNotFound) {
					if made := gamedata.IDTime(t.change.ID); ix.cfg.Clock.Now().Sub(made) < ix.cfg.MissingRowGrace {
						return fmt.Errorf("the row of a change made at %s is not there yet: %w", made.Format(time.RFC3339Nano), err)
					}
					ix.log.Warn("opensearch indexer: skipping a change whose row does not exist",
						"kind", t.change.Kind, "player", t.change.Player, "order", t.change.OrderID, "change", t.change.ID)
					t.done = true
					return nil
				}
				if err != nil {
					return err
				}
				t.doc, t.done = d, true
				return nil
			})
		}
		return g.Wait()
	})
	if err != nil {
		return nil, err
	}
	docs := make([]*doc, 0, len(tasks))
	for _, t := range tasks {
		if t.doc != nil {
			docs = append(docs, t.doc)
		}
	}
	return docs, nil
}

// read makes the document of one change from its row.
func (ix *Indexer) read(ctx context.Context, ch gamedata.Change) (*doc, error) {
	switch ch.Kind {
	case gamedata.ChangePlayer:
		p, err := ix.rows.GetPlayer(ctx, ch.Player)
		if err != nil {
			return nil, fmt.Errorf("read player %q: %w", ch.Player, err)
		}
		d := newPlayerDoc(p)
		return &doc{kind: ch.Kind, id: d.NameKey, created: p.CreatedAt, version: version(p.UpdatedAt), source: d}, nil
	case gamedata.ChangeOrder:
		o, err := ix.rows.GetOrder(ctx, ch.Player, ch.OrderID)
		if err != nil {
			return nil, fmt.Errorf("read order %s of %q: %w", ch.OrderID, ch.Player, err)
		}
		return &doc{kind: ch.Kind, id: o.ID.String(), created: o.CreatedAt, version: version(o.UpdatedAt), source: newOrderDoc(o)}, nil
	default: // a message: the change carries it, and messages never change
		m := *ch.Message
		return &doc{kind: ch.Kind, id: m.ID.String(), created: m.CreatedAt, version: version(m.CreatedAt), source: newMessageDoc(m)}, nil
	}
}

// place decides where each document goes (see Indexer), making the index
// of a period that has none.
func (ix *Indexer) place(ctx context.Context, docs []*doc) ([]op, error) {
	n := ix.c.names
	byKind := map[gamedata.ChangeKind][]*doc{}
	for _, d := range docs {
		byKind[d.kind] = append(byKind[d.kind], d)
	}
	indices, err := ix.c.aliases(ctx, n.usersPattern(), n.orders.pattern(), n.messages.pattern())
	if err != nil {
		return nil, err
	}
	var ops []op
	if users := byKind[gamedata.ChangePlayer]; len(users) > 0 {
		// Through the aliases, resolved by the cluster as it writes, so a
		// write racing with ReindexUsers' swap lands in the live index.
		aliases := map[string]bool{}
		for _, as := range indices {
			for _, a := range as {
				aliases[a] = true
			}
		}
		if !aliases[n.users] {
			if err := ix.c.Setup(ctx); err != nil {
				return nil, err
			}
		}
		for _, d := range users {
			ops = append(ops, op{doc: d, target: n.users, alias: true})
			if aliases[n.usersReindex] {
				ops = append(ops, op{doc: d, target: n.usersReindex, alias: true})
			}
		}
	}
	for kind, f := range map[gamedata.ChangeKind]family{gamedata.ChangeOrder: n.orders, gamedata.ChangeMessage: n.messages} {
		if len(byKind[kind]) == 0 {
			continue
		}
		placed, err := ix.placeInPeriods(ctx, f, newIndexSet(f, indices), byKind[kind])
		if err != nil {
			return nil, err
		}
		ops = append(ops, placed...)
	}
	return ops, nil
}

// placeInPeriods places the documents of family f, given its indices.
func (ix *Indexer) placeInPeriods(ctx context.Context, f family, set indexSet, docs []*doc) ([]op, error) {
	periods := map[time.Time][]string{} // period start -> its indices, oldest first
	var ops []op
	type lookup struct {
		doc        *doc
		candidates []string
	}
	var lookups []lookup
	for _, d := range docs {
		start := f.periodStart(d.created)
		in, ok := periods[start]
		if !ok {
			for _, ix := range set.period(start) {
				in = append(in, ix.name)
			}
			if len(in) == 0 {
				name := f.index(start, 1)
				if err := ix.c.createIndex(ctx, name, f.readAlias()); err != nil {
					return nil, err
				}
				in = []string{name}
			}
			periods[start] = in
		}
		if len(in) == 1 {
			ops = append(ops, op{doc: d, target: in[0]})
		} else {
			lookups = append(lookups, lookup{doc: d, candidates: in})
		}
	}
	if len(lookups) == 0 {
		return ops, nil
	}
	var req []map[string]any
	for _, l := range lookups {
		for _, c := range l.candidates {
			req = append(req, map[string]any{"_index": c, "_id": l.doc.id, "_source": false})
		}
	}
	resp, err := ix.c.api.MGet(ctx, opensearchapi.MGetReq{
		Body:   jsonBody(map[string]any{"docs": req}),
		Params: opensearchapi.MGetParams{Realtime: ptr(true)},
	})
	if err := ix.c.check("look up documents in rolled-over indices", resp, err); err != nil {
		return nil, err
	}
	if len(resp.Docs) != len(req) {
		return nil, fmt.Errorf("opensearch: multi-get answered %d documents for %d asked", len(resp.Docs), len(req))
	}
	i := 0
	for _, l := range lookups {
		target := l.candidates[len(l.candidates)-1] // new: the newest index
		for _, c := range l.candidates {
			if resp.Docs[i].Found {
				target = c
			}
			i++
		}
		ops = append(ops, op{doc: l.doc, target: target})
	}
	return ops, nil
}

// bulk writes ops and returns the documents of the writes that were
// refused (to be placed and written again).
func (ix *Indexer) bulk(ctx context.Context, ops []op) ([]*doc, error) {
	refusals, err := ix.c.bulk(ctx, ops)
	if err != nil {
		return nil, err
	}
	refused := map[*doc]bool{}
	var failed []*doc
	for _, r := range refusals {
		if !refused[r.op.doc] {
			refused[r.op.doc] = true
			failed = append(failed, r.op.doc)
		}
		ix.m.errors.Inc()
		ix.log.Warn("opensearch indexer: document refused", "index", r.op.target, "id", r.op.doc.id, "status", r.status, "reason", r.reason)
	}
	counted := map[*doc]bool{}
	for _, o := range ops {
		if !refused[o.doc] && !counted[o.doc] {
			counted[o.doc] = true
			ix.m.indexed.WithLabelValues(string(o.doc.kind)).Inc()
		}
	}
	return failed, nil
}

// retry runs fn until it succeeds (see retry), counting and logging the
// failures, and keeping the lag up to date meanwhile: an outage shows as a
// growing lag.
func (ix *Indexer) retry(ctx context.Context, what string, fn func(context.Context) error) error {
	return retry(ctx, ix.backoff, fn, func(attempt int, wait time.Duration, err error) {
		ix.m.errors.Inc()
		ix.log.Warn("opensearch indexer: "+what+" failed; retrying", "attempt", attempt, "in", wait, "err", err)
		ix.observe(ctx, false)
	})
}

// observe updates the lag and backlog gauges from the feed's status: after
// every batch (always), and else about once a second.
func (ix *Indexer) observe(ctx context.Context, always bool) {
	now := ix.cfg.Clock.Now()
	if !always && now.Sub(ix.lastStatus) < time.Second {
		return
	}
	ix.lastStatus = now
	st, err := ix.feed.FeedStatus(ctx, ix.cfg.Consumer)
	if err != nil {
		ix.log.Debug("opensearch indexer: feed status", "err", err)
		return
	}
	ix.m.backlog.Set(float64(st.Pending))
	lag := 0.0
	if !st.Oldest.IsZero() {
		lag = max(0, now.Sub(st.Oldest).Seconds())
	}
	ix.m.lag.Set(lag)
}

// indexerMetrics are the indexer's Prometheus metrics.
type indexerMetrics struct {
	lag     prometheus.Gauge
	backlog prometheus.Gauge
	indexed *prometheus.CounterVec
	errors  prometheus.Counter
}

func newIndexerMetrics() indexerMetrics {
	m := indexerMetrics{
		lag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gamedata_indexer_lag_seconds",
			Help: "How long the oldest change not yet indexed has waited (0 when none waits).",
		}),
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "gamedata_change_feed_backlog",
			Help: "Changes in the feed not yet indexed (an estimate on Cassandra).",
		}),
		indexed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "gamedata_indexer_indexed_total",
			Help: "Documents indexed, by kind (player, order, message).",
		}, []string{"kind"}),
		errors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "gamedata_indexer_errors_total",
			Help: "Failed attempts of the indexer (each is retried): requests, row reads and refused documents.",
		}),
	}
	// Every kind exported from the start, at 0, so that a rate over it is
	// defined before the first document of the kind.
	for _, k := range []gamedata.ChangeKind{gamedata.ChangePlayer, gamedata.ChangeOrder, gamedata.ChangeMessage} {
		m.indexed.WithLabelValues(string(k))
	}
	return m
}

func (m indexerMetrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.lag, m.backlog, m.indexed, m.errors} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}
