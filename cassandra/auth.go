package cassandra

import (
	"context"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// Sessions live in their own partition each, keyed by token hash, with a
// TTL: Cassandra purges them, and reads hide them from the moment they
// expire by the store's clock.
var (
	insertSession = write(`INSERT INTO sessions (token_hash, player_id, player_name, created, expires)
		VALUES (?, ?, ?, ?, ?) USING TTL ?`)
	getSession    = read(`SELECT player_id, player_name, created, expires FROM sessions WHERE token_hash = ?`)
	deleteSession = write(`DELETE FROM sessions WHERE token_hash = ?`)
)

// CreateSession stores a session until its ExpiresAt.
func (s *Store) CreateSession(ctx context.Context, ses gamedata.Session) error {
	err := s.query(insertSession, ses.TokenHash, [16]byte(ses.PlayerID), ses.PlayerName, ses.CreatedAt,
		expiresValue(ses.ExpiresAt), ttl(ses.ExpiresAt, s.clock.Now())).exec(ctx)
	if err != nil {
		return s.fail("create session", err)
	}
	return nil
}

// GetSession finds a live session by the hash of its token.
func (s *Store) GetSession(ctx context.Context, tokenHash string) (gamedata.Session, error) {
	ses := gamedata.Session{TokenHash: tokenHash}
	err := s.query(getSession, tokenHash).scan(ctx, (*[16]byte)(&ses.PlayerID), &ses.PlayerName,
		&ses.CreatedAt, &ses.ExpiresAt)
	if err == nil && !live(ses.ExpiresAt, s.clock.Now()) {
		err = gamedata.ErrNotFound
	}
	if err != nil {
		return gamedata.Session{}, s.fail("get session", err)
	}
	return ses, nil
}

// DeleteSession ends a session at once.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if err := s.query(deleteSession, tokenHash).exec(ctx); err != nil {
		return s.fail("delete session", err)
	}
	return nil
}

// API keys are few. Each is kept twice, written together in a LOGGED
// batch: by hash, for the lookup of every authenticated request, and in the
// one small partition of api_key_list (keyed by the constant apiKeyList),
// for listing them and finding one by id.
const apiKeyList = "all"

var (
	insertAPIKey     = write(`INSERT INTO api_keys (hash, id, name, prefix, created) VALUES (?, ?, ?, ?, ?)`)
	insertAPIKeyList = write(`INSERT INTO api_key_list (list_name, id, name, prefix, hash, created) VALUES (?, ?, ?, ?, ?, ?)`)
	getAPIKey        = read(`SELECT id, name, prefix, created, revoked FROM api_keys WHERE hash = ?`)
	listAPIKeys      = read(`SELECT id, name, prefix, hash, created, revoked FROM api_key_list WHERE list_name = ?`)
	apiKeyHash       = read(`SELECT hash FROM api_key_list WHERE list_name = ? AND id = ?`)
	revokeAPIKey     = write(`UPDATE api_keys SET revoked = ? WHERE hash = ?`)
	revokeAPIKeyList = write(`UPDATE api_key_list SET revoked = ? WHERE list_name = ? AND id = ?`)
)

// CreateAPIKey stores a server key.
func (s *Store) CreateAPIKey(ctx context.Context, k gamedata.APIKey) error {
	b := s.batch(gocql.LoggedBatch)
	b.add(insertAPIKey, k.Hash, [16]byte(k.ID), k.Name, k.Prefix, k.CreatedAt)
	b.add(insertAPIKeyList, apiKeyList, [16]byte(k.ID), k.Name, k.Prefix, k.Hash, k.CreatedAt)
	if err := b.exec(ctx); err != nil {
		return s.fail("create api key "+k.Name, err)
	}
	return nil
}

// GetAPIKey finds a key by the hash of its secret, revoked or not.
func (s *Store) GetAPIKey(ctx context.Context, hash string) (gamedata.APIKey, error) {
	k := gamedata.APIKey{Hash: hash}
	var revoked time.Time
	err := s.query(getAPIKey, hash).scan(ctx, (*[16]byte)(&k.ID), &k.Name, &k.Prefix, &k.CreatedAt, &revoked)
	if err != nil {
		return gamedata.APIKey{}, s.fail("get api key", err)
	}
	k.RevokedAt = revokedAt(revoked)
	return k, nil
}

// ListAPIKeys lists every key, newest first.
func (s *Store) ListAPIKeys(ctx context.Context) ([]gamedata.APIKey, error) {
	sc := s.query(listAPIKeys, apiKeyList).iter(ctx).Scanner()
	var keys []gamedata.APIKey
	for sc.Next() {
		var k gamedata.APIKey
		var revoked time.Time
		if err := sc.Scan((*[16]byte)(&k.ID), &k.Name, &k.Prefix, &k.Hash, &k.CreatedAt, &revoked); err != nil {
			_ = sc.Err() // the scan error is the one to report
			return nil, s.fail("list api keys", err)
		}
		k.RevokedAt = revokedAt(revoked)
		keys = append(keys, k)
	}
	if err := sc.Err(); err != nil {
		return nil, s.fail("list api keys", err)
	}
	return keys, nil
}

func revokedAt(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// RevokeAPIKey marks a key revoked in both its rows at once; ErrNotFound for
// an unknown id.
func (s *Store) RevokeAPIKey(ctx context.Context, id uuid.UUID, at time.Time) error {
	op := "revoke api key " + id.String()
	if !isTimeUUID(id) {
		return s.fail(op, gamedata.ErrNotFound)
	}
	var hash string
	if err := s.query(apiKeyHash, apiKeyList, [16]byte(id)).scan(ctx, &hash); err != nil {
		return s.fail(op, err)
	}
	b := s.batch(gocql.LoggedBatch)
	b.add(revokeAPIKey, at, hash)
	b.add(revokeAPIKeyList, at, apiKeyList, [16]byte(id))
	if err := b.exec(ctx); err != nil {
		return s.fail(op, err)
	}
	return nil
}
