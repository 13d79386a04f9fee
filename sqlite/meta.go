package sqlite

import (
	"context"
	"database/sql"

	"github.com/gamedata-dev/gamedata"
)

func (s *Store) prepareMeta(p *preparer) {
	s.putMeta = p.write(`INSERT INTO meta (key, value, updated) VALUES (:key, :value, :updated)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated = excluded.updated`)
	s.getMeta = p.read(`SELECT value, updated FROM meta WHERE key = :key`)
}

// PutMeta stores d, replacing the document under its key.
func (s *Store) PutMeta(ctx context.Context, d gamedata.MetaDoc) error {
	return s.write(ctx, "put meta "+d.Key, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.StmtContext(ctx, s.putMeta).ExecContext(ctx,
			sql.Named("key", d.Key), sql.Named("value", string(d.Value)), sql.Named("updated", nanos(d.UpdatedAt)))
		return err
	})
}

// GetMeta returns the document under key.
func (s *Store) GetMeta(ctx context.Context, key string) (gamedata.MetaDoc, error) {
	d := gamedata.MetaDoc{Key: key}
	var value []byte
	if err := s.getMeta.QueryRowContext(ctx, sql.Named("key", key)).Scan(&value, (*unixNanos)(&d.UpdatedAt)); err != nil {
		return d, s.fail("get meta "+key, err)
	}
	d.Value = value
	return d, nil
}
