// Package cache is the cache-aside layer of gamedata: a gamedata.Store that
// serves player profiles, metadata documents and sessions from a Backend
// (Redis in production, this process's memory in the embedded life) and
// reads the primary store only on a miss.
//
// The rules that keep it correct:
//   - a write goes to the primary store first, then invalidates its key, even
//     when the write failed (a timed-out write may have been applied);
//   - a miss fills the cache only if the key was not invalidated since the
//     miss was seen (Backend versions), so a read that raced a write never
//     puts the older value back;
//   - concurrent misses for one key on one node share one store read, but a
//     read that starts after a write on this node never joins a load that
//     started before it, so it sees that write;
//   - a Backend that fails is bypassed: the read goes to the store, and a
//     Redis outage costs latency, never an answer.
//
// The TTLs bound how long another node may serve a value after a write only
// when an invalidation is lost (see package redis) or, with in-process
// caches on several nodes, always: there the TTL is the staleness.
package cache

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/singleflight"

	"github.com/gamedata-dev/gamedata"
)

// Backend holds cached values by key, each for its own TTL.
type Backend interface {
	// Get returns key's value; on a miss (a nil value), the version to hand
	// to Fill.
	Get(ctx context.Context, key string) (value []byte, version uint64, err error)
	// Fill stores value under key for ttl, unless key was invalidated since
	// the Get that returned version: then it does nothing.
	Fill(ctx context.Context, key string, version uint64, value []byte, ttl time.Duration) error
	// Invalidate drops key and voids every Fill of a version read before.
	Invalidate(ctx context.Context, key string) error
}

// Config is what New needs. Backend is required.
type Config struct {
	Backend Backend
	// TTL is how long a player profile or a metadata document is cached;
	// 0: they are not.
	TTL time.Duration
	// SessionTTL is the longest a session is cached (never past its
	// expiry); 0: sessions are not. Cache sessions in a node's memory only
	// when that node is the only one: another node's logout could not
	// reach it.
	SessionTTL time.Duration
	// Clock tells whether a cached session has expired; default the system clock.
	Clock  gamedata.Clock
	Logger *slog.Logger
	// Registerer receives the cache metrics; nil: they are not exported.
	Registerer prometheus.Registerer
}

// Store is a gamedata.Store that reads players, metadata and sessions
// through a cache. Every other method goes straight to the store it wraps.
type Store struct {
	gamedata.Store
	backend Backend
	clock   gamedata.Clock
	log     *slog.Logger

	players  *kind[gamedata.Player]
	meta     *kind[gamedata.MetaDoc]
	sessions *kind[gamedata.Session]

	// writes counts this node's writes per key, so that a read that starts
	// after one never joins a load that started before it.
	writes generations
	flight singleflight.Group
}

var _ gamedata.Store = (*Store)(nil)

// New wraps store with the cache cfg describes. The Store does not own
// store: closing it is still its opener's job.
func New(store gamedata.Store, cfg Config) (*Store, error) {
	if store == nil || cfg.Backend == nil {
		return nil, errors.New("cache: a store and a backend are required")
	}
	if cfg.TTL < 0 || cfg.SessionTTL < 0 {
		return nil, fmt.Errorf("cache: negative TTL (%s, sessions %s)", cfg.TTL, cfg.SessionTTL)
	}
	s := &Store{Store: store, backend: cfg.Backend, clock: cfg.Clock, log: cfg.Logger}
	if s.clock == nil {
		s.clock = gamedata.SystemClock{}
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	s.players = &kind[gamedata.Player]{
		s: s, name: "player", cached: cfg.TTL > 0, metrics: m.of("player"),
		ttl: func(gamedata.Player) time.Duration { return cfg.TTL },
		// The profile is cached with its password hash, which login reads
		// through here too (see docs/redis.md).
		encode: func(p gamedata.Player) ([]byte, error) { return json.Marshal(wirePlayer{p, p.PasswordHash}) },
		decode: func(b []byte) (gamedata.Player, error) {
			var w wirePlayer
			err := json.Unmarshal(b, &w)
			w.Player.PasswordHash = w.PasswordHash
			return w.Player, err
		},
	}
	s.meta = &kind[gamedata.MetaDoc]{
		s: s, name: "meta", cached: cfg.TTL > 0, metrics: m.of("meta"),
		ttl:    func(gamedata.MetaDoc) time.Duration { return cfg.TTL },
		encode: jsonEncode[gamedata.MetaDoc], decode: jsonDecode[gamedata.MetaDoc],
	}
	s.sessions = &kind[gamedata.Session]{
		s: s, name: "session", cached: cfg.SessionTTL > 0, metrics: m.of("session"),
		ttl: func(ses gamedata.Session) time.Duration {
			return min(cfg.SessionTTL, ses.ExpiresAt.Sub(s.clock.Now()))
		},
		encode: jsonEncode[gamedata.Session], decode: jsonDecode[gamedata.Session],
	}
	return s, nil
}

// wirePlayer is a cached player: unlike its JSON form in the API, it keeps
// the password hash.
type wirePlayer struct {
	gamedata.Player
	PasswordHash string `json:"password_hash"`
}

func jsonEncode[T any](v T) ([]byte, error) { return json.Marshal(v) }

func jsonDecode[T any](b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}

// GetPlayer reads a player through the cache.
func (s *Store) GetPlayer(ctx context.Context, name string) (gamedata.Player, error) {
	return s.players.read(ctx, gamedata.NameKey(name), func(ctx context.Context) (gamedata.Player, error) {
		return s.Store.GetPlayer(ctx, name)
	})
}

// UpdatePlayer updates the player in the store, then drops it from the cache.
func (s *Store) UpdatePlayer(ctx context.Context, name string, u gamedata.PlayerUpdate) (gamedata.Player, error) {
	p, err := s.Store.UpdatePlayer(ctx, name, u)
	s.players.invalidate(ctx, gamedata.NameKey(name))
	return p, err
}

// GetMeta reads a metadata document through the cache.
func (s *Store) GetMeta(ctx context.Context, key string) (gamedata.MetaDoc, error) {
	return s.meta.read(ctx, key, func(ctx context.Context) (gamedata.MetaDoc, error) {
		return s.Store.GetMeta(ctx, key)
	})
}

// PutMeta writes the document to the store, then drops it from the cache.
func (s *Store) PutMeta(ctx context.Context, d gamedata.MetaDoc) error {
	err := s.Store.PutMeta(ctx, d)
	s.meta.invalidate(ctx, d.Key)
	return err
}

// GetSession reads a session through the cache; a cached session that has
// expired since is not found, as in the store.
func (s *Store) GetSession(ctx context.Context, tokenHash string) (gamedata.Session, error) {
	ses, err := s.sessions.read(ctx, tokenHash, func(ctx context.Context) (gamedata.Session, error) {
		return s.Store.GetSession(ctx, tokenHash)
	})
	if err == nil && !ses.ExpiresAt.After(s.clock.Now()) {
		return gamedata.Session{}, fmt.Errorf("session: %w", gamedata.ErrNotFound)
	}
	return ses, err
}

// DeleteSession deletes the session from the store, then from the cache,
// before it returns: the token is refused at once wherever the cache is
// shared.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	err := s.Store.DeleteSession(ctx, tokenHash)
	s.sessions.invalidate(ctx, tokenHash)
	return err
}

// kind is one kind of cached value: its key space, TTL, encoding and
// metrics.
type kind[T any] struct {
	s    *Store
	name string
	// cached is false for a kind this node does not cache: its reads go
	// straight to the store (its writes still invalidate).
	cached bool
	// ttl says how long v may be cached; <= 0: not at all.
	ttl    func(v T) time.Duration
	encode func(T) ([]byte, error)
	decode func([]byte) (T, error)
	metrics
}

func (k *kind[T]) key(id string) string { return k.name + ":" + id }

// loaded is what a shared load hands to every reader that joined it.
type loaded[T any] struct {
	v   T
	err error
}

// read serves id from the cache, else from load, which runs once for every
// concurrent reader of id on this node; its value fills the cache unless a
// write invalidated id meanwhile.
func (k *kind[T]) read(ctx context.Context, id string, load func(context.Context) (T, error)) (T, error) {
	if !k.cached {
		return load(ctx)
	}
	s, key := k.s, k.key(id)
	written := s.writes.of(key)
	value, version, err := s.backend.Get(ctx, key)
	switch {
	case err != nil:
		k.errors.Inc()
		s.log.LogAttrs(ctx, slog.LevelDebug, "cache read failed; reading the store", slog.String("key", key), slog.String("err", err.Error()))
	case value != nil:
		v, derr := k.decode(value)
		if derr == nil {
			k.hits.Inc()
			return v, nil
		}
		// A value this version cannot read (say, written by another one):
		// read the store and let the fill replace it.
		k.errors.Inc()
		s.log.LogAttrs(ctx, slog.LevelWarn, "cached value unreadable; reading the store", slog.String("key", key), slog.String("err", derr.Error()))
	default:
		k.misses.Inc()
	}
	fill := err == nil
	ch := s.flight.DoChan(key+"\x00"+strconv.FormatUint(written, 10), func() (any, error) {
		// The load serves every reader that joins it, so one that gives
		// up must not cancel it; the store bounds it with its own timeouts.
		lctx := context.WithoutCancel(ctx)
		v, err := load(lctx)
		if err == nil && fill {
			k.fill(lctx, key, version, v)
		}
		return loaded[T]{v, err}, nil
	})
	select {
	case r := <-ch:
		l := r.Val.(loaded[T])
		return l.v, l.err
	case <-ctx.Done():
		var zero T
		return zero, fmt.Errorf("read %s: %w", key, ctx.Err())
	}
}

// fill caches v, just read from the store, if it may be cached.
func (k *kind[T]) fill(ctx context.Context, key string, version uint64, v T) {
	ttl := k.ttl(v)
	if ttl <= 0 {
		return
	}
	b, err := k.encode(v)
	if err == nil {
		err = k.s.backend.Fill(ctx, key, version, b, ttl)
	}
	if err != nil {
		k.s.log.LogAttrs(ctx, slog.LevelDebug, "cache fill failed", slog.String("key", key), slog.String("err", err.Error()))
	}
}

// invalidate drops id after a write. Even a kind that is not cached here
// is invalidated: another node (say, during a rolling change of settings)
// may cache it.
func (k *kind[T]) invalidate(ctx context.Context, id string) {
	s, key := k.s, k.key(id)
	s.writes.bump(key)
	// The write is done: the invalidation must happen even if the caller
	// has gone.
	if err := s.backend.Invalidate(context.WithoutCancel(ctx), key); err != nil {
		k.invalidationErrors.Inc()
		s.log.LogAttrs(ctx, slog.LevelWarn, "cache invalidation failed", slog.String("key", key), slog.String("err", err.Error()))
		return
	}
	k.invalidations.Inc()
}

// genSlots is the size of a generations table.
const genSlots = 4096

var genSeed = maphash.MakeSeed()

// generations counts writes per key in a fixed table: keys that share a
// slot share a count, which makes a fill or a shared load a little more
// cautious, never wrong.
type generations [genSlots]atomic.Uint64

func (g *generations) of(key string) uint64 { return g[maphash.String(genSeed, key)%genSlots].Load() }
func (g *generations) bump(key string)      { g[maphash.String(genSeed, key)%genSlots].Add(1) }
