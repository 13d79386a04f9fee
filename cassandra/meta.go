package cassandra

import (
	"context"
	"unicode/utf8"

	"github.com/gamedata-dev/gamedata"
)

// Metadata documents are kept by key, one partition each.
var (
	putMeta = write(`INSERT INTO meta (key, value, updated) VALUES (?, ?, ?)`)
	getMeta = read(`SELECT value, updated FROM meta WHERE key = ?`)
)

// PutMeta stores d, replacing the document of its key.
func (s *Store) PutMeta(ctx context.Context, d gamedata.MetaDoc) error {
	if !utf8.ValidString(d.Key) {
		return s.fail("put meta", gamedata.Invalid("key", "is not UTF-8"))
	}
	if err := s.query(putMeta, d.Key, string(d.Value), d.UpdatedAt).exec(ctx); err != nil {
		return s.fail("put meta "+d.Key, err)
	}
	return nil
}

// GetMeta finds the document of key.
func (s *Store) GetMeta(ctx context.Context, key string) (gamedata.MetaDoc, error) {
	if !utf8.ValidString(key) {
		return gamedata.MetaDoc{}, s.fail("get meta", gamedata.ErrNotFound) // Cassandra keeps no such key
	}
	d := gamedata.MetaDoc{Key: key}
	var value string
	if err := s.query(getMeta, key).scan(ctx, &value, &d.UpdatedAt); err != nil {
		return gamedata.MetaDoc{}, s.fail("get meta "+key, err)
	}
	d.Value = []byte(value)
	return d, nil
}
