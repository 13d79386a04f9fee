package api

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
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
		Description: "Answers the document itself. Served from a cache: a write shows at once on the node that took it, and on every node when they share Redis; with a cache in each node's memory, within seconds on the others.",
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
	out := &putMetaOut{}
	out.Body.Key, out.Body.UpdatedAt = d.Key, d.UpdatedAt
	return out, nil
}

func (s *Server) getMeta(ctx context.Context, in *MetaKey) (*metaOut, error) {
	d, err := s.store.GetMeta(ctx, in.Key)
	if err != nil {
		return nil, err
	}
	return &metaOut{Body: d.Value}, nil
}
