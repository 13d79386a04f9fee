package cache

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// entryOverhead is what an entry costs besides its key and value (list
// element, map slot, header words), for the memory bound.
const entryOverhead = 128

// Local is the in-process Backend of the embedded life: an LRU bounded in
// bytes whose entries also expire by their TTL. It never fails. It is safe
// for concurrent use.
type Local struct {
	mu      sync.Mutex
	lru     *simplelru.LRU[string, localEntry]
	size    int64
	maxSize int64
	gens    generations
	now     func() time.Time
}

type localEntry struct {
	value   []byte
	expires time.Time
}

var _ Backend = (*Local)(nil)

// NewLocal returns a Local holding at most about maxBytes of keys and
// values. A value bigger than an eighth of that is not cached, so that one
// document cannot push out everything else.
func NewLocal(maxBytes int64) *Local {
	l := &Local{maxSize: max(maxBytes, entryOverhead), now: time.Now}
	// The count never binds before the bytes do.
	lru, err := simplelru.NewLRU(int(l.maxSize/entryOverhead), func(k string, e localEntry) {
		l.size -= cost(k, e.value)
	})
	if err != nil {
		panic("cache: " + err.Error()) // only for a size < 1, which maxSize rules out
	}
	l.lru = lru
	return l
}

func cost(key string, value []byte) int64 { return int64(len(key)+len(value)) + entryOverhead }

// Get returns key's value unless it expired.
func (l *Local) Get(_ context.Context, key string) ([]byte, uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.lru.Get(key)
	if ok && l.now().Before(e.expires) {
		return e.value, 0, nil
	}
	if ok {
		l.lru.Remove(key)
	}
	return nil, l.gens.of(key), nil
}

// Fill caches value unless key was invalidated since version was read.
func (l *Local) Fill(_ context.Context, key string, version uint64, value []byte, ttl time.Duration) error {
	c := cost(key, value)
	if c > l.maxSize/8 || ttl <= 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gens.of(key) != version {
		return nil
	}
	l.lru.Remove(key) // Add would replace it without telling the size
	l.lru.Add(key, localEntry{value: value, expires: l.now().Add(ttl)})
	l.size += c
	for l.size > l.maxSize {
		l.lru.RemoveOldest()
	}
	return nil
}

// Invalidate drops key.
func (l *Local) Invalidate(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.gens.bump(key)
	l.lru.Remove(key)
	return nil
}

// Size returns the bytes held, by the measure of the bound.
func (l *Local) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.size
}
