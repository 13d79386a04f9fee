package sqlite

import (
	"context"
	"database/sql"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

const apiKeyColumns = `id, name, prefix, hash, created, revoked`

func (s *Store) prepareAuth(p *preparer) {
	s.insertSession = p.write(`INSERT INTO sessions (token_hash, player_id, player_name, created, expires)
		VALUES (:hash, :player_id, :player_name, :created, :expires)`)
	s.deleteSession = p.write(`DELETE FROM sessions WHERE token_hash = :hash`)
	s.getSession = p.read(`SELECT token_hash, player_id, player_name, created, expires
		FROM sessions WHERE token_hash = :hash AND expires > :now`)

	s.insertAPIKey = p.write(`INSERT INTO api_keys (` + apiKeyColumns + `)
		VALUES (:id, :name, :prefix, :hash, :created, NULL)`)
	// Revoking twice keeps the first time.
	s.revokeAPIKey = p.write(`UPDATE api_keys SET revoked = coalesce(revoked, :at) WHERE id = :id`)
	s.getAPIKey = p.read(`SELECT ` + apiKeyColumns + ` FROM api_keys WHERE hash = :hash`)
	s.listAPIKeys = p.read(`SELECT ` + apiKeyColumns + ` FROM api_keys ORDER BY created, id`)
}

// CreateSession stores a session until its ExpiresAt.
func (s *Store) CreateSession(ctx context.Context, ses gamedata.Session) error {
	return s.write(ctx, "create session", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.StmtContext(ctx, s.insertSession).ExecContext(ctx,
			sql.Named("hash", ses.TokenHash), sql.Named("player_id", blob(ses.PlayerID)),
			sql.Named("player_name", ses.PlayerName), sql.Named("created", nanos(ses.CreatedAt)),
			sql.Named("expires", expiry(ses.ExpiresAt)))
		return err
	})
}

// GetSession finds an unexpired session by the hash of its token.
func (s *Store) GetSession(ctx context.Context, tokenHash string) (gamedata.Session, error) {
	var ses gamedata.Session
	err := s.getSession.QueryRowContext(ctx, sql.Named("hash", tokenHash), s.now()).Scan(&ses.TokenHash,
		&ses.PlayerID, &ses.PlayerName, (*unixNanos)(&ses.CreatedAt), (*expiresNanos)(&ses.ExpiresAt))
	if err != nil {
		return ses, s.fail("get session", err)
	}
	return ses, nil
}

// DeleteSession ends a session at once. Deleting an unknown one is no
// error: the caller wanted it gone, and it is.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	return s.write(ctx, "delete session", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.StmtContext(ctx, s.deleteSession).ExecContext(ctx, sql.Named("hash", tokenHash))
		return err
	})
}

// CreateAPIKey stores a server key.
func (s *Store) CreateAPIKey(ctx context.Context, k gamedata.APIKey) error {
	return s.write(ctx, "create api key "+k.Name, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.StmtContext(ctx, s.insertAPIKey).ExecContext(ctx,
			sql.Named("id", blob(k.ID)), sql.Named("name", k.Name), sql.Named("prefix", k.Prefix),
			sql.Named("hash", k.Hash), sql.Named("created", nanos(k.CreatedAt)))
		return err
	})
}

func scanAPIKey(sc scanner) (gamedata.APIKey, error) {
	var k gamedata.APIKey
	var revoked sql.Null[int64]
	if err := sc.Scan(&k.ID, &k.Name, &k.Prefix, &k.Hash, (*unixNanos)(&k.CreatedAt), &revoked); err != nil {
		return k, err
	}
	if revoked.Valid {
		at := fromNanos(revoked.V)
		k.RevokedAt = &at
	}
	return k, nil
}

// GetAPIKey finds a key by the hash of its secret, revoked or not.
func (s *Store) GetAPIKey(ctx context.Context, hash string) (gamedata.APIKey, error) {
	k, err := scanAPIKey(s.getAPIKey.QueryRowContext(ctx, sql.Named("hash", hash)))
	if err != nil {
		return k, s.fail("get api key", err)
	}
	return k, nil
}

// ListAPIKeys lists every key, oldest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]gamedata.APIKey, error) {
	rows, err := s.listAPIKeys.QueryContext(ctx)
	if err != nil {
		return nil, s.fail("list api keys", err)
	}
	defer rows.Close()
	var keys []gamedata.APIKey
	for rows.Next() {
		k, err := scanAPIKey(rows)
		if err != nil {
			return nil, s.fail("list api keys", err)
		}
		keys = append(keys, k)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail("list api keys", err)
	}
	return keys, nil
}

// RevokeAPIKey marks a key revoked at at.
func (s *Store) RevokeAPIKey(ctx context.Context, id uuid.UUID, at time.Time) error {
	return s.write(ctx, "revoke api key "+id.String(), func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.revokeAPIKey).ExecContext(ctx, sql.Named("id", blob(id)), sql.Named("at", nanos(at)))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = gamedata.ErrNotFound
		}
		return err
	})
}
