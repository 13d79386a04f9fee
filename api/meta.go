package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamedata-dev/gamedata"
)

// MetaKey is the key of a metadata document, in a path.
type MetaKey struct {
	Key string `path:"key" minLength:"1" maxLength:"128" pattern:"^[A-Za-z0-9_.:-]+$" doc:"letters, digits, '_', '.', ':', '-'"`
}

type putMetaIn struct {
	MetaKey
	Body json.RawMessage `doc:"any JSON document of at most 256 KiB"`
}

type putMetaOut struct {
	Body struct {
		Key       string    `json:"key"`
		UpdatedAt time.Time `json:"updated_at"`
	}
}

type metaOut struct {
	Body json.RawMessage
}

func (s *Server) registerMeta() {
	handle(s, serverOnly, huma.Operation{
		OperationID: "put-meta", Method: http.MethodPut, Path: "/v1/meta/{key}", Tags: []string{"metadata"},
		Summary: "Store a metadata document (game configuration, catalogue)", MaxBodyBytes: maxMetaBody,
		Errors: []int{http.StatusRequestEntityTooLarge},
	}, s.putMeta)
	handle(s, limited, huma.Operation{
		OperationID: "get-meta", Method: http.MethodGet, Path: "/v1/meta/{key}", Tags: []string{"metadata"},
		Summary:     "Read a metadata document",
		Description: "Answers the document itself. Served from a cache: a write shows at once on the node that took it, within seconds on the others.",
		Errors:      []int{http.StatusNotFound},
	}, s.getMeta)
}

func (s *Server) putMeta(ctx context.Context, in *putMetaIn) (*putMetaOut, error) {
	var doc bytes.Buffer
	if err := json.Compact(&doc, in.Body); err != nil {
		return nil, invalid("body", "is not valid JSON")
	}
	d := gamedata.MetaDoc{Key: in.Key, Value: doc.Bytes(), UpdatedAt: s.clock.Now()}
	if err := s.store.PutMeta(ctx, d); err != nil {
		return nil, err
	}
	s.meta.put(d)
	out := &putMetaOut{}
	out.Body.Key, out.Body.UpdatedAt = d.Key, d.UpdatedAt
	return out, nil
}

func (s *Server) getMeta(ctx context.Context, in *MetaKey) (*metaOut, error) {
	if d, ok := s.meta.get(in.Key); ok {
		return &metaOut{Body: d.Value}, nil
	}
	d, err := s.store.GetMeta(ctx, in.Key)
	if err != nil {
		return nil, err
	}
	s.meta.fill(d)
	return &metaOut{Body: d.Value}, nil
}

// metaCacheMax bounds the documents cached: there are few keys, and
// readers cannot fill the cache with keys that do not exist (only found
// documents are kept).
const metaCacheMax = 1024

// metaCache keeps metadata documents for a short time, so that the many
// reads of the same few documents do not each reach the store.
type metaCache struct {
	ttl  time.Duration
	mu   sync.RWMutex
	docs map[string]cachedDoc
}

type cachedDoc struct {
	doc     gamedata.MetaDoc
	expires time.Time
}

func newMetaCache(ttl time.Duration) *metaCache {
	return &metaCache{ttl: ttl, docs: map[string]cachedDoc{}}
}

func (c *metaCache) get(key string) (gamedata.MetaDoc, bool) {
	if c.ttl <= 0 {
		return gamedata.MetaDoc{}, false
	}
	c.mu.RLock()
	e, ok := c.docs[key]
	c.mu.RUnlock()
	if !ok || time.Now().After(e.expires) {
		return gamedata.MetaDoc{}, false
	}
	return e.doc, true
}

// put caches a document just written.
func (c *metaCache) put(d gamedata.MetaDoc) { c.store(d, true) }

// fill caches a document just read, unless a write cached a newer one
// while it was read.
func (c *metaCache) fill(d gamedata.MetaDoc) { c.store(d, false) }

func (c *metaCache) store(d gamedata.MetaDoc, written bool) {
	if c.ttl <= 0 {
		return
	}
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.docs[d.Key]
	if !written && ok && now.Before(e.expires) {
		return
	}
	if !ok && len(c.docs) >= metaCacheMax {
		clear(c.docs)
	}
	c.docs[d.Key] = cachedDoc{doc: d, expires: now.Add(c.ttl)}
}
