package sqlite

import (
	"context"
	"database/sql"

	"github.com/gamedata-dev/gamedata"
)

func (s *Store) prepareIdempotency(p *preparer) {
	// An expired record is claimed over, as if it were gone.
	s.claimIdempotency = p.write(`INSERT INTO idempotency (key, fingerprint, request, status, response, expires)
		VALUES (:key, :fingerprint, :request, 0, NULL, :expires)
		ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, request = excluded.request,
			status = 0, response = NULL, expires = excluded.expires
		WHERE idempotency.expires <= :now`)
	s.getIdempotency = p.write(`SELECT fingerprint, request, status, response, expires FROM idempotency WHERE key = :key`)
	s.putIdempotency = p.write(`INSERT INTO idempotency (key, fingerprint, request, status, response, expires)
		VALUES (:key, :fingerprint, :request, :status, :response, :expires)
		ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint, request = excluded.request,
			status = excluded.status, response = excluded.response, expires = excluded.expires`)
}

// ClaimIdempotency stores r unless an unexpired record of r.Key exists,
// which it then returns. The check and the insert are one statement of the
// one writer, so of concurrent claims one wins.
func (s *Store) ClaimIdempotency(ctx context.Context, r gamedata.IdempotencyRecord) (gamedata.IdempotencyRecord, bool, error) {
	existing, claimed := gamedata.IdempotencyRecord{}, false
	key := sql.Named("key", r.Key)
	err := s.write(ctx, "claim idempotency key", func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.StmtContext(ctx, s.claimIdempotency).ExecContext(ctx, key, sql.Named("fingerprint", r.Fingerprint),
			sql.Named("request", r.Request), sql.Named("expires", expiry(r.ExpiresAt)), s.now())
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			claimed = true
			return err
		}
		existing.Key = r.Key
		return tx.StmtContext(ctx, s.getIdempotency).QueryRowContext(ctx, key).Scan(&existing.Fingerprint,
			&existing.Request, &existing.Status, &existing.Response, (*expiresNanos)(&existing.ExpiresAt))
	})
	return existing, claimed, err
}

// CompleteIdempotency stores r, with its answer.
func (s *Store) CompleteIdempotency(ctx context.Context, r gamedata.IdempotencyRecord) error {
	return s.write(ctx, "complete idempotency key", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.StmtContext(ctx, s.putIdempotency).ExecContext(ctx, sql.Named("key", r.Key),
			sql.Named("fingerprint", r.Fingerprint), sql.Named("request", r.Request), sql.Named("status", r.Status),
			sql.Named("response", r.Response), sql.Named("expires", expiry(r.ExpiresAt)))
		return err
	})
}
