package cassandra

import (
	"context"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// An idempotency record is one partition, claimed by a lightweight
// transaction and completed by a plain write (which may lose to the claim
// when the clocks disagree: the record then looks pending, and the API's
// retry repeats the request, which the store's writes make harmless). It
// carries its TTL; reads also hide it from the moment it expires by the
// store's clock.
var (
	claimIdempotency = lwt(localPaxos, `INSERT INTO idempotency (key, fingerprint, request, status, expires)
		VALUES (?, ?, ?, 0, ?) IF NOT EXISTS USING TTL ?`)
	// reclaimIdempotency claims a record that has expired by the store's
	// clock but not yet by its TTL.
	reclaimIdempotency = lwt(localPaxos, `UPDATE idempotency USING TTL ?
		SET fingerprint = ?, request = ?, status = 0, response = null, expires = ? WHERE key = ? IF expires = ?`)
	putIdempotency = write(`INSERT INTO idempotency (key, fingerprint, request, status, response, expires)
		VALUES (?, ?, ?, ?, ?, ?) USING TTL ?`)
)

// ClaimIdempotency stores r unless an unexpired record of r.Key exists,
// which it then returns.
func (s *Store) ClaimIdempotency(ctx context.Context, r gamedata.IdempotencyRecord) (gamedata.IdempotencyRecord, bool, error) {
	const op = "claim idempotency key"
	now := s.clock.Now()
	row := map[string]any{}
	applied, err := s.query(claimIdempotency, r.Key, r.Fingerprint, r.Request, r.ExpiresAt, ttl(r.ExpiresAt, now)).
		scanCAS(ctx, row)
	switch {
	case err != nil:
		return gamedata.IdempotencyRecord{}, false, s.fail(op, err)
	case applied:
		return gamedata.IdempotencyRecord{}, true, nil
	}
	existing := idempotencyFromRow(r.Key, row)
	if live(existing.ExpiresAt, now) {
		return existing, false, nil
	}
	row = map[string]any{}
	applied, err = s.query(reclaimIdempotency, ttl(r.ExpiresAt, now), r.Fingerprint, r.Request, r.ExpiresAt, r.Key,
		existing.ExpiresAt).scanCAS(ctx, row)
	switch {
	case err != nil:
		return gamedata.IdempotencyRecord{}, false, s.fail(op, err)
	case applied:
		return gamedata.IdempotencyRecord{}, true, nil
	}
	return idempotencyFromRow(r.Key, row), false, nil
}

// CompleteIdempotency stores r, with its answer.
func (s *Store) CompleteIdempotency(ctx context.Context, r gamedata.IdempotencyRecord) error {
	err := s.query(putIdempotency, r.Key, r.Fingerprint, r.Request, r.Status, r.Response, r.ExpiresAt,
		ttl(r.ExpiresAt, s.clock.Now())).exec(ctx)
	if err != nil {
		return s.fail("complete idempotency key", err)
	}
	return nil
}

// idempotencyFromRow rebuilds a record from the columns a lightweight
// transaction returned when it did not apply.
func idempotencyFromRow(key string, row map[string]any) gamedata.IdempotencyRecord {
	r := gamedata.IdempotencyRecord{Key: key}
	r.Fingerprint, _ = row["fingerprint"].(string)
	r.Request, _ = row["request"].([]byte)
	r.Status, _ = row["status"].(int)
	r.Response, _ = row["response"].([]byte)
	r.ExpiresAt, _ = row["expires"].(time.Time)
	return r
}
