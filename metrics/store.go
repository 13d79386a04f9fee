// Package metrics holds what gamedata measures about itself beyond HTTP
// (which package api counts): the calls of the primary store and of search,
// the background jobs, and whether each backend answers. Every metric is
// named in docs/observability.md, and the dashboard and alert rules of
// deploy/ are built on them.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
)

// Result label values of gamedata_store_requests_total. A caller's mistake
// (not_found, conflict, invalid) and a caller that gave up (canceled) are
// told apart from the backend failing (unavailable, unknown_outcome,
// error), which is what the alerts watch.
const (
	ResultOK             = "ok"
	ResultNotFound       = "not_found"
	ResultConflict       = "conflict"
	ResultInvalid        = "invalid"
	ResultUnavailable    = "unavailable"
	ResultCanceled       = "canceled"
	ResultError          = "error"
	ResultUnknownOutcome = "unknown_outcome"
)

var results = []string{ResultOK, ResultNotFound, ResultConflict, ResultInvalid, ResultUnavailable, ResultCanceled, ResultError,
	ResultUnknownOutcome}

// resultOf classifies the outcome of one call.
func resultOf(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, gamedata.ErrNotFound):
		return 1
	case errors.Is(err, gamedata.ErrConflict):
		return 2
	case errors.Is(err, gamedata.ErrInvalid):
		return 3
	case errors.Is(err, gamedata.ErrUnknownOutcome):
		return 7
	case errors.Is(err, gamedata.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		return 4
	case errors.Is(err, context.Canceled):
		return 5
	}
	return 6
}

// storeBuckets reach below the HTTP buckets: a store call is a part of a
// request, often well under a millisecond.
var storeBuckets = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// StoreMetrics are the store-call metrics of one registry. They label every
// call with the backend ("sqlite", "cassandra", "opensearch"), the operation
// (the method, in snake case: "get_player") and its result.
type StoreMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// NewStoreMetrics registers the store-call metrics with reg, or takes the
// ones registered there already.
func NewStoreMetrics(reg prometheus.Registerer) (*StoreMetrics, error) {
	requests, err := register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "gamedata_store_requests_total",
		Help: "Calls of the primary store and of search, by backend, operation and result " +
			"(ok, not_found, conflict, invalid, unavailable, canceled, error, unknown_outcome).",
	}, []string{"backend", "op", "result"}))
	if err != nil {
		return nil, err
	}
	duration, err := register(reg, prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "gamedata_store_request_duration_seconds",
		Help:    "Time a call of the primary store or of search took, by backend and operation.",
		Buckets: storeBuckets,
	}, []string{"backend", "op"}))
	if err != nil {
		return nil, err
	}
	return &StoreMetrics{requests: requests, duration: duration}, nil
}

// register registers c with reg, or returns the equal collector that reg
// holds already, so that several parts of a process may ask for the same
// metrics.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) (C, error) {
	err := reg.Register(c)
	if err == nil {
		return c, nil
	}
	var dup prometheus.AlreadyRegisteredError
	if errors.As(err, &dup) {
		if existing, ok := dup.ExistingCollector.(C); ok {
			return existing, nil
		}
	}
	return c, fmt.Errorf("metrics: register: %w", err)
}

// op is the metrics of one operation of one backend, looked up once so that
// a call costs no label lookup.
type op struct {
	duration prometheus.Observer
	results  []prometheus.Counter // by resultOf
}

func (m *StoreMetrics) op(backend, name string) *op {
	o := &op{duration: m.duration.WithLabelValues(backend, name), results: make([]prometheus.Counter, len(results))}
	// Every series exists from the start, at 0, so that rates and ratios
	// are defined before the first failure.
	for i, r := range results {
		o.results[i] = m.requests.WithLabelValues(backend, name, r)
	}
	return o
}

func (o *op) done(start time.Time, err error) {
	o.duration.Observe(time.Since(start).Seconds())
	o.results[resultOf(err)].Inc()
}

// call times f as one call of o.
func call[T any](o *op, f func() (T, error)) (T, error) {
	start := time.Now()
	v, err := f()
	o.done(start, err)
	return v, err
}

// call2 is call for a method that also returns a flag.
func call2[T any](o *op, f func() (T, bool, error)) (T, bool, error) {
	start := time.Now()
	v, ok, err := f()
	o.done(start, err)
	return v, ok, err
}

// exec is call for a method that returns only an error.
func exec(o *op, f func() error) error {
	start := time.Now()
	err := f()
	o.done(start, err)
	return err
}

// Instrument returns b with each capability it has measured under backend,
// each by its own wrapper, and the ones it lacks left nil. A new capability
// of gamedata.Backend gets a wrapper below and a line here (see
// docs/architecture.md).
func (m *StoreMetrics) Instrument(backend string, b gamedata.Backend) gamedata.Backend {
	b.Store = measured(b.Store, func(s gamedata.Store) gamedata.Store { return m.Store(backend, s) })
	b.Feed = measured(b.Feed, func(f gamedata.ChangeFeed) gamedata.ChangeFeed { return m.Feed(backend, f) })
	b.FeedAdmin = measured(b.FeedAdmin, func(a gamedata.FeedAdmin) gamedata.FeedAdmin { return m.FeedAdmin(backend, a) })
	b.Searcher = measured(b.Searcher, func(s gamedata.Searcher) gamedata.Searcher { return m.Searcher(backend, s) })
	b.Lister = measured(b.Lister, func(l gamedata.PlayerLister) gamedata.PlayerLister { return m.Lister(backend, l) })
	b.Purger = measured(b.Purger, func(p gamedata.Purger) gamedata.Purger { return m.Purger(backend, p) })
	b.History = measured(b.History, func(h gamedata.HistoryReader) gamedata.HistoryReader { return m.History(backend, h) })
	b.Leaser = measured(b.Leaser, func(l gamedata.Leaser) gamedata.Leaser { return m.Leaser(backend, l) })
	b.Social = measured(b.Social, func(g gamedata.SocialStore) gamedata.SocialStore { return m.Social(backend, g) })
	b.Recs = measured(b.Recs, func(r gamedata.RecsStore) gamedata.RecsStore { return m.Recs(backend, r) })
	b.RecsSource = measured(b.RecsSource, func(s gamedata.RecsSource) gamedata.RecsSource { return m.RecsSource(backend, s) })
	b.Backup = measured(b.Backup, func(r gamedata.BackupReader) gamedata.BackupReader { return m.Backup(backend, r) })
	return b
}

// measured returns wrap(c), or nil for a capability the store lacks.
func measured[C comparable](c C, wrap func(C) C) C {
	var none C
	if c == none {
		return none
	}
	return wrap(c)
}

// Operations of the store.
const (
	opCreatePlayer = iota
	opGetPlayer
	opUpdatePlayer
	opCreateSession
	opGetSession
	opDeleteSession
	opCreateAPIKey
	opGetAPIKey
	opListAPIKeys
	opRevokeAPIKey
	opCreateOrder
	opGetOrder
	opListOrders
	opPayOrder
	opSendMessage
	opInbox
	opSent
	opConversation
	opAppendEvents
	opListEvents
	opPutMeta
	opGetMeta
	opClaimIdempotency
	opCompleteIdempotency
	opPing
	nStoreOps
)

var storeOpNames = [nStoreOps]string{
	"create_player", "get_player", "update_player",
	"create_session", "get_session", "delete_session",
	"create_api_key", "get_api_key", "list_api_keys", "revoke_api_key",
	"create_order", "get_order", "list_orders", "pay_order",
	"send_message", "inbox", "sent", "conversation",
	"append_events", "list_events",
	"put_meta", "get_meta",
	"claim_idempotency", "complete_idempotency",
	"ping",
}

func (m *StoreMetrics) storeOps(backend string) *[nStoreOps]*op {
	var ops [nStoreOps]*op
	for i, name := range storeOpNames {
		ops[i] = m.op(backend, name)
	}
	return &ops
}

// Store is a gamedata.Store that measures every call of the store it wraps.
type Store struct {
	inner gamedata.Store
	ops   *[nStoreOps]*op
}

var _ gamedata.Store = (*Store)(nil)

// Store returns s measured under backend.
func (m *StoreMetrics) Store(backend string, s gamedata.Store) *Store {
	return &Store{inner: s, ops: m.storeOps(backend)}
}

// Close closes the store; it is not measured.
func (s *Store) Close() error { return s.inner.Close() }

// Ping measures the store's Ping.
func (s *Store) Ping(ctx context.Context) error {
	return exec(s.ops[opPing], func() error { return s.inner.Ping(ctx) })
}

// CreatePlayer measures the store's CreatePlayer.
func (s *Store) CreatePlayer(ctx context.Context, p gamedata.Player) error {
	return exec(s.ops[opCreatePlayer], func() error { return s.inner.CreatePlayer(ctx, p) })
}

// GetPlayer measures the store's GetPlayer.
func (s *Store) GetPlayer(ctx context.Context, name string) (gamedata.Player, error) {
	return call(s.ops[opGetPlayer], func() (gamedata.Player, error) { return s.inner.GetPlayer(ctx, name) })
}

// UpdatePlayer measures the store's UpdatePlayer.
func (s *Store) UpdatePlayer(ctx context.Context, name string, u gamedata.PlayerUpdate) (gamedata.Player, error) {
	return call(s.ops[opUpdatePlayer], func() (gamedata.Player, error) { return s.inner.UpdatePlayer(ctx, name, u) })
}

// CreateSession measures the store's CreateSession.
func (s *Store) CreateSession(ctx context.Context, ss gamedata.Session) error {
	return exec(s.ops[opCreateSession], func() error { return s.inner.CreateSession(ctx, ss) })
}

// GetSession measures the store's GetSession.
func (s *Store) GetSession(ctx context.Context, tokenHash string) (gamedata.Session, error) {
	return call(s.ops[opGetSession], func() (gamedata.Session, error) { return s.inner.GetSession(ctx, tokenHash) })
}

// DeleteSession measures the store's DeleteSession.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return exec(s.ops[opDeleteSession], func() error { return s.inner.DeleteSession(ctx, tokenHash) })
}

// CreateAPIKey measures the store's CreateAPIKey.
func (s *Store) CreateAPIKey(ctx context.Context, k gamedata.APIKey) error {
	return exec(s.ops[opCreateAPIKey], func() error { return s.inner.CreateAPIKey(ctx, k) })
}

// GetAPIKey measures the store's GetAPIKey.
func (s *Store) GetAPIKey(ctx context.Context, hash string) (gamedata.APIKey, error) {
	return call(s.ops[opGetAPIKey], func() (gamedata.APIKey, error) { return s.inner.GetAPIKey(ctx, hash) })
}

// ListAPIKeys measures the store's ListAPIKeys.
func (s *Store) ListAPIKeys(ctx context.Context) ([]gamedata.APIKey, error) {
	return call(s.ops[opListAPIKeys], func() ([]gamedata.APIKey, error) { return s.inner.ListAPIKeys(ctx) })
}

// RevokeAPIKey measures the store's RevokeAPIKey.
func (s *Store) RevokeAPIKey(ctx context.Context, id uuid.UUID, at time.Time) error {
	return exec(s.ops[opRevokeAPIKey], func() error { return s.inner.RevokeAPIKey(ctx, id, at) })
}

// CreateOrder measures the store's CreateOrder.
func (s *Store) CreateOrder(ctx context.Context, o gamedata.Order, idempotencyKey string) (gamedata.Order, bool, error) {
	return call2(s.ops[opCreateOrder], func() (gamedata.Order, bool, error) {
		return s.inner.CreateOrder(ctx, o, idempotencyKey)
	})
}

// GetOrder measures the store's GetOrder.
func (s *Store) GetOrder(ctx context.Context, user string, id uuid.UUID) (gamedata.Order, error) {
	return call(s.ops[opGetOrder], func() (gamedata.Order, error) { return s.inner.GetOrder(ctx, user, id) })
}

// ListOrders measures the store's ListOrders.
func (s *Store) ListOrders(ctx context.Context, user string, p gamedata.PageRequest) (gamedata.Page[gamedata.Order], error) {
	return call(s.ops[opListOrders], func() (gamedata.Page[gamedata.Order], error) { return s.inner.ListOrders(ctx, user, p) })
}

// PayOrder measures the store's PayOrder.
func (s *Store) PayOrder(ctx context.Context, user string, id uuid.UUID, at time.Time) (gamedata.Order, error) {
	return call(s.ops[opPayOrder], func() (gamedata.Order, error) { return s.inner.PayOrder(ctx, user, id, at) })
}

// SendMessage measures the store's SendMessage.
func (s *Store) SendMessage(ctx context.Context, m gamedata.Message) error {
	return exec(s.ops[opSendMessage], func() error { return s.inner.SendMessage(ctx, m) })
}

// Inbox measures the store's Inbox.
func (s *Store) Inbox(ctx context.Context, player string, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	return call(s.ops[opInbox], func() (gamedata.Page[gamedata.Message], error) { return s.inner.Inbox(ctx, player, p) })
}

// Sent measures the store's Sent.
func (s *Store) Sent(ctx context.Context, player string, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	return call(s.ops[opSent], func() (gamedata.Page[gamedata.Message], error) { return s.inner.Sent(ctx, player, p) })
}

// Conversation measures the store's Conversation.
func (s *Store) Conversation(ctx context.Context, a, b string, p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
	return call(s.ops[opConversation], func() (gamedata.Page[gamedata.Message], error) { return s.inner.Conversation(ctx, a, b, p) })
}

// AppendEvents measures the store's AppendEvents.
func (s *Store) AppendEvents(ctx context.Context, events []gamedata.Event) error {
	return exec(s.ops[opAppendEvents], func() error { return s.inner.AppendEvents(ctx, events) })
}

// ListEvents measures the store's ListEvents.
func (s *Store) ListEvents(ctx context.Context, player string, r gamedata.EventRange, p gamedata.PageRequest) (gamedata.Page[gamedata.Event], error) {
	return call(s.ops[opListEvents], func() (gamedata.Page[gamedata.Event], error) { return s.inner.ListEvents(ctx, player, r, p) })
}

// PutMeta measures the store's PutMeta.
func (s *Store) PutMeta(ctx context.Context, d gamedata.MetaDoc) error {
	return exec(s.ops[opPutMeta], func() error { return s.inner.PutMeta(ctx, d) })
}

// GetMeta measures the store's GetMeta.
func (s *Store) GetMeta(ctx context.Context, key string) (gamedata.MetaDoc, error) {
	return call(s.ops[opGetMeta], func() (gamedata.MetaDoc, error) { return s.inner.GetMeta(ctx, key) })
}

// ClaimIdempotency measures the store's ClaimIdempotency.
func (s *Store) ClaimIdempotency(ctx context.Context, r gamedata.IdempotencyRecord) (gamedata.IdempotencyRecord, bool, error) {
	return call2(s.ops[opClaimIdempotency], func() (gamedata.IdempotencyRecord, bool, error) {
		return s.inner.ClaimIdempotency(ctx, r)
	})
}

// CompleteIdempotency measures the store's CompleteIdempotency.
func (s *Store) CompleteIdempotency(ctx context.Context, r gamedata.IdempotencyRecord) error {
	return exec(s.ops[opCompleteIdempotency], func() error { return s.inner.CompleteIdempotency(ctx, r) })
}

// Searcher is a gamedata.Searcher that measures every call of the one it
// wraps.
type Searcher struct {
	inner                    gamedata.Searcher
	players, orders, revenue *op
}

var _ gamedata.Searcher = (*Searcher)(nil)

// Searcher returns s measured under backend.
func (m *StoreMetrics) Searcher(backend string, s gamedata.Searcher) *Searcher {
	return &Searcher{inner: s, players: m.op(backend, "search_players"), orders: m.op(backend, "search_orders"),
		revenue: m.op(backend, "revenue")}
}

// SearchPlayers measures the searcher's SearchPlayers.
func (s *Searcher) SearchPlayers(ctx context.Context, q gamedata.PlayerQuery, p gamedata.PageRequest) (gamedata.Page[gamedata.Player], error) {
	return call(s.players, func() (gamedata.Page[gamedata.Player], error) { return s.inner.SearchPlayers(ctx, q, p) })
}

// SearchOrders measures the searcher's SearchOrders.
func (s *Searcher) SearchOrders(ctx context.Context, q gamedata.OrderQuery, p gamedata.PageRequest) (gamedata.Page[gamedata.Order], error) {
	return call(s.orders, func() (gamedata.Page[gamedata.Order], error) { return s.inner.SearchOrders(ctx, q, p) })
}

// Revenue measures the searcher's Revenue.
func (s *Searcher) Revenue(ctx context.Context, q gamedata.RevenueQuery) ([]gamedata.RevenueBucket, error) {
	return call(s.revenue, func() ([]gamedata.RevenueBucket, error) { return s.inner.Revenue(ctx, q) })
}

// Feed is a gamedata.ChangeFeed that measures every call of the one it
// wraps.
type Feed struct {
	inner                gamedata.ChangeFeed
	read, commit, status *op
}

var _ gamedata.ChangeFeed = (*Feed)(nil)

// Feed returns f measured under backend.
func (m *StoreMetrics) Feed(backend string, f gamedata.ChangeFeed) *Feed {
	return &Feed{inner: f, read: m.op(backend, "read_changes"), commit: m.op(backend, "commit_changes"),
		status: m.op(backend, "feed_status")}
}

// ReadChanges measures the feed's ReadChanges.
func (f *Feed) ReadChanges(ctx context.Context, consumer string, max int) (gamedata.ChangeBatch, error) {
	return call(f.read, func() (gamedata.ChangeBatch, error) { return f.inner.ReadChanges(ctx, consumer, max) })
}

// CommitChanges measures the feed's CommitChanges.
func (f *Feed) CommitChanges(ctx context.Context, consumer, cursor string) error {
	return exec(f.commit, func() error { return f.inner.CommitChanges(ctx, consumer, cursor) })
}

// FeedStatus measures the feed's FeedStatus.
func (f *Feed) FeedStatus(ctx context.Context, consumer string) (gamedata.FeedStatus, error) {
	return call(f.status, func() (gamedata.FeedStatus, error) { return f.inner.FeedStatus(ctx, consumer) })
}

// FeedAdmin is a gamedata.FeedAdmin that measures every call of the one it
// wraps.
type FeedAdmin struct {
	inner           gamedata.FeedAdmin
	consumers, drop *op
}

var _ gamedata.FeedAdmin = (*FeedAdmin)(nil)

// FeedAdmin returns a measured under backend.
func (m *StoreMetrics) FeedAdmin(backend string, a gamedata.FeedAdmin) *FeedAdmin {
	return &FeedAdmin{inner: a, consumers: m.op(backend, "feed_consumers"), drop: m.op(backend, "drop_feed_consumer")}
}

// FeedConsumers measures the feed admin's FeedConsumers.
func (a *FeedAdmin) FeedConsumers(ctx context.Context) ([]gamedata.FeedConsumer, error) {
	return call(a.consumers, func() ([]gamedata.FeedConsumer, error) { return a.inner.FeedConsumers(ctx) })
}

// DropFeedConsumer measures the feed admin's DropFeedConsumer.
func (a *FeedAdmin) DropFeedConsumer(ctx context.Context, name string) error {
	return exec(a.drop, func() error { return a.inner.DropFeedConsumer(ctx, name) })
}

// A capability of a single method is measured by a function.
type (
	listerFunc func(context.Context, func(gamedata.Player) error) error
	purgerFunc func(context.Context) (int64, error)
)

func (f listerFunc) ListAllPlayers(ctx context.Context, fn func(gamedata.Player) error) error {
	return f(ctx, fn)
}

func (f purgerFunc) PurgeExpired(ctx context.Context) (int64, error) { return f(ctx) }

// Lister returns l measured under backend: a scan is one call, however long.
func (m *StoreMetrics) Lister(backend string, l gamedata.PlayerLister) gamedata.PlayerLister {
	o := m.op(backend, "list_all_players")
	return listerFunc(func(ctx context.Context, fn func(gamedata.Player) error) error {
		return exec(o, func() error { return l.ListAllPlayers(ctx, fn) })
	})
}

// Purger returns p measured under backend.
func (m *StoreMetrics) Purger(backend string, p gamedata.Purger) gamedata.Purger {
	o := m.op(backend, "purge_expired")
	return purgerFunc(func(ctx context.Context) (int64, error) {
		return call(o, func() (int64, error) { return p.PurgeExpired(ctx) })
	})
}

// History measures a HistoryReader: reading a table's day is one call,
// however many rows it gives.
type History struct {
	inner                                  gamedata.HistoryReader
	players, orders, messages, evts, began *op
}

// History returns h measured under backend.
func (m *StoreMetrics) History(backend string, h gamedata.HistoryReader) *History {
	return &History{inner: h, players: m.op(backend, "player_changes"), orders: m.op(backend, "order_changes"),
		messages: m.op(backend, "messages_sent"), evts: m.op(backend, "events_stored"), began: m.op(backend, "began")}
}

// PlayerChanges measures the reader's PlayerChanges.
func (h *History) PlayerChanges(ctx context.Context, d gamedata.Day, fn func(gamedata.Player) error) error {
	return exec(h.players, func() error { return h.inner.PlayerChanges(ctx, d, fn) })
}

// OrderChanges measures the reader's OrderChanges.
func (h *History) OrderChanges(ctx context.Context, d gamedata.Day, fn func(gamedata.OrderChange) error) error {
	return exec(h.orders, func() error { return h.inner.OrderChanges(ctx, d, fn) })
}

// MessagesSent measures the reader's MessagesSent.
func (h *History) MessagesSent(ctx context.Context, d gamedata.Day, fn func(gamedata.Message) error) error {
	return exec(h.messages, func() error { return h.inner.MessagesSent(ctx, d, fn) })
}

// EventsStored measures the reader's EventsStored.
func (h *History) EventsStored(ctx context.Context, d gamedata.Day, fn func(gamedata.Event) error) error {
	return exec(h.evts, func() error { return h.inner.EventsStored(ctx, d, fn) })
}

// Began measures the reader's Began.
func (h *History) Began(ctx context.Context) (time.Time, error) {
	return call(h.began, func() (time.Time, error) { return h.inner.Began(ctx) })
}

// Leaser measures a Leaser.
type Leaser struct {
	inner            gamedata.Leaser
	acquire, release *op
}

// Leaser returns l measured under backend.
func (m *StoreMetrics) Leaser(backend string, l gamedata.Leaser) *Leaser {
	return &Leaser{inner: l, acquire: m.op(backend, "acquire_lease"), release: m.op(backend, "release_lease")}
}

// AcquireLease measures the leaser's AcquireLease.
func (l *Leaser) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	return call(l.acquire, func() (bool, error) { return l.inner.AcquireLease(ctx, name, owner, ttl) })
}

// ReleaseLease measures the leaser's ReleaseLease.
func (l *Leaser) ReleaseLease(ctx context.Context, name, owner string) error {
	return exec(l.release, func() error { return l.inner.ReleaseLease(ctx, name, owner) })
}

// Social measures a gamedata.SocialStore.
type Social struct {
	inner                                      gamedata.SocialStore
	add, remove, list, count, setTags, getTags *op
}

var _ gamedata.SocialStore = (*Social)(nil)

// Social returns g measured under backend.
func (m *StoreMetrics) Social(backend string, g gamedata.SocialStore) *Social {
	return &Social{inner: g, add: m.op(backend, "add_friend"), remove: m.op(backend, "remove_friend"),
		list: m.op(backend, "list_friends"), count: m.op(backend, "friend_count"),
		setTags: m.op(backend, "set_interests"), getTags: m.op(backend, "get_interests")}
}

// AddFriend measures the social store's AddFriend.
func (g *Social) AddFriend(ctx context.Context, a, b string, at time.Time) error {
	return exec(g.add, func() error { return g.inner.AddFriend(ctx, a, b, at) })
}

// RemoveFriend measures the social store's RemoveFriend.
func (g *Social) RemoveFriend(ctx context.Context, a, b string) error {
	return exec(g.remove, func() error { return g.inner.RemoveFriend(ctx, a, b) })
}

// ListFriends measures the social store's ListFriends.
func (g *Social) ListFriends(ctx context.Context, player string, p gamedata.PageRequest) (gamedata.Page[gamedata.Friend], error) {
	return call(g.list, func() (gamedata.Page[gamedata.Friend], error) { return g.inner.ListFriends(ctx, player, p) })
}

// FriendCount measures the social store's FriendCount.
func (g *Social) FriendCount(ctx context.Context, player string) (int, error) {
	return call(g.count, func() (int, error) { return g.inner.FriendCount(ctx, player) })
}

// SetInterests measures the social store's SetInterests.
func (g *Social) SetInterests(ctx context.Context, player string, tags []string, at time.Time) error {
	return exec(g.setTags, func() error { return g.inner.SetInterests(ctx, player, tags, at) })
}

// GetInterests measures the social store's GetInterests.
func (g *Social) GetInterests(ctx context.Context, player string) (gamedata.Interests, error) {
	return call(g.getTags, func() (gamedata.Interests, error) { return g.inner.GetInterests(ctx, player) })
}

// Recs measures a gamedata.RecsStore.
type Recs struct {
	inner                         gamedata.RecsStore
	put, get, getBuild, saveBuild *op
}

var _ gamedata.RecsStore = (*Recs)(nil)

// Recs returns r measured under backend.
func (m *StoreMetrics) Recs(backend string, r gamedata.RecsStore) *Recs {
	return &Recs{inner: r, put: m.op(backend, "put_recs"), get: m.op(backend, "get_recs"),
		getBuild: m.op(backend, "recs_build"), saveBuild: m.op(backend, "save_recs_build")}
}

// PutRecs measures the store's PutRecs.
func (r *Recs) PutRecs(ctx context.Context, sets []gamedata.RecSet) error {
	return exec(r.put, func() error { return r.inner.PutRecs(ctx, sets) })
}

// GetRecs measures the store's GetRecs.
func (r *Recs) GetRecs(ctx context.Context, player string, kind gamedata.RecKind) (gamedata.RecSet, error) {
	return call(r.get, func() (gamedata.RecSet, error) { return r.inner.GetRecs(ctx, player, kind) })
}

// RecsBuild measures the store's RecsBuild.
func (r *Recs) RecsBuild(ctx context.Context) (gamedata.RecsBuild, error) {
	return call(r.getBuild, func() (gamedata.RecsBuild, error) { return r.inner.RecsBuild(ctx) })
}

// SaveRecsBuild measures the store's SaveRecsBuild.
func (r *Recs) SaveRecsBuild(ctx context.Context, b gamedata.RecsBuild) error {
	return exec(r.saveBuild, func() error { return r.inner.SaveRecsBuild(ctx, b) })
}

// RecsSource measures a gamedata.RecsSource: a scan is one call, however
// many rows it gives.
type RecsSource struct {
	inner                             gamedata.RecsSource
	orders, plays, friends, interests *op
}

var _ gamedata.RecsSource = (*RecsSource)(nil)

// RecsSource returns s measured under backend.
func (m *StoreMetrics) RecsSource(backend string, s gamedata.RecsSource) *RecsSource {
	return &RecsSource{inner: s, orders: m.op(backend, "scan_paid_orders"), plays: m.op(backend, "scan_plays"),
		friends: m.op(backend, "scan_friendships"), interests: m.op(backend, "scan_interests")}
}

// ScanPaidOrders measures the source's ScanPaidOrders.
func (s *RecsSource) ScanPaidOrders(ctx context.Context, fn func(gamedata.PaidOrderRow) error) error {
	return exec(s.orders, func() error { return s.inner.ScanPaidOrders(ctx, fn) })
}

// ScanPlays measures the source's ScanPlays.
func (s *RecsSource) ScanPlays(ctx context.Context, fn func(gamedata.PlayRow) error) error {
	return exec(s.plays, func() error { return s.inner.ScanPlays(ctx, fn) })
}

// ScanFriendships measures the source's ScanFriendships.
func (s *RecsSource) ScanFriendships(ctx context.Context, fn func(gamedata.FriendshipRow) error) error {
	return exec(s.friends, func() error { return s.inner.ScanFriendships(ctx, fn) })
}

// ScanInterests measures the source's ScanInterests.
func (s *RecsSource) ScanInterests(ctx context.Context, fn func(gamedata.InterestRow) error) error {
	return exec(s.interests, func() error { return s.inner.ScanInterests(ctx, fn) })
}

// Backup measures a gamedata.BackupReader: a scan is one call, however many
// rows it gives.
type Backup struct {
	inner                                                                       gamedata.BackupReader
	players, sessions, keys, orders, messages, events, meta, friends, interests *op
}

var _ gamedata.BackupReader = (*Backup)(nil)

// Backup returns r measured under backend.
func (m *StoreMetrics) Backup(backend string, r gamedata.BackupReader) *Backup {
	return &Backup{inner: r, players: m.op(backend, "backup_players"), sessions: m.op(backend, "backup_sessions"),
		keys: m.op(backend, "backup_api_keys"), orders: m.op(backend, "backup_orders"),
		messages: m.op(backend, "backup_messages"), events: m.op(backend, "backup_events"),
		meta: m.op(backend, "backup_meta"), friends: m.op(backend, "backup_friends"),
		interests: m.op(backend, "backup_interests")}
}

// BackupPlayers measures the scan of players.
func (b *Backup) BackupPlayers(ctx context.Context, fn func(gamedata.Player) error) error {
	return exec(b.players, func() error { return b.inner.BackupPlayers(ctx, fn) })
}

// BackupSessions measures the scan of sessions.
func (b *Backup) BackupSessions(ctx context.Context, fn func(gamedata.Session) error) error {
	return exec(b.sessions, func() error { return b.inner.BackupSessions(ctx, fn) })
}

// BackupAPIKeys measures the scan of server keys.
func (b *Backup) BackupAPIKeys(ctx context.Context, fn func(gamedata.APIKey) error) error {
	return exec(b.keys, func() error { return b.inner.BackupAPIKeys(ctx, fn) })
}

// BackupOrders measures the scan of orders.
func (b *Backup) BackupOrders(ctx context.Context, fn func(gamedata.BackupOrder) error) error {
	return exec(b.orders, func() error { return b.inner.BackupOrders(ctx, fn) })
}

// BackupMessages measures the scan of messages.
func (b *Backup) BackupMessages(ctx context.Context, fn func(gamedata.Message) error) error {
	return exec(b.messages, func() error { return b.inner.BackupMessages(ctx, fn) })
}

// BackupEvents measures the scan of events.
func (b *Backup) BackupEvents(ctx context.Context, fn func(gamedata.Event) error) error {
	return exec(b.events, func() error { return b.inner.BackupEvents(ctx, fn) })
}

// BackupMeta measures the scan of metadata.
func (b *Backup) BackupMeta(ctx context.Context, fn func(gamedata.MetaDoc) error) error {
	return exec(b.meta, func() error { return b.inner.BackupMeta(ctx, fn) })
}

// BackupFriends measures the scan of friendships.
func (b *Backup) BackupFriends(ctx context.Context, fn func(gamedata.BackupFriend) error) error {
	return exec(b.friends, func() error { return b.inner.BackupFriends(ctx, fn) })
}

// BackupInterests measures the scan of interests.
func (b *Backup) BackupInterests(ctx context.Context, fn func(gamedata.BackupInterests) error) error {
	return exec(b.interests, func() error { return b.inner.BackupInterests(ctx, fn) })
}
