package storetest

import (
	"github.com/gamedata-dev/gamedata"
)

var apiKeyTests = []testCase{
	{"CreateGetListRevoke", testAPIKeyLifecycle},
	{"Unknown", testAPIKeyUnknown},
}

func equalAPIKey(a, b gamedata.APIKey) bool {
	sameRevoked := (a.RevokedAt == nil && b.RevokedAt == nil) ||
		(a.RevokedAt != nil && b.RevokedAt != nil && a.RevokedAt.Equal(*b.RevokedAt))
	return a.ID == b.ID && a.Name == b.Name && a.Prefix == b.Prefix && a.Hash == b.Hash &&
		a.CreatedAt.Equal(b.CreatedAt) && sameRevoked
}

// checkAPIKey finds want both by its hash and in the list of keys.
func (e *env) checkAPIKey(want gamedata.APIKey) {
	e.Helper()
	got, err := e.s.GetAPIKey(e.ctx, want.Hash)
	check(e, "get api key", got, err, want, equalAPIKey)
	keys, err := e.s.ListAPIKeys(e.ctx)
	e.must(err, "list api keys")
	found := 0
	for _, k := range keys {
		if k.ID == want.ID {
			found++
			check(e, "listed api key", k, nil, want, equalAPIKey)
		}
	}
	if found != 1 {
		e.Errorf("the list of %d api keys holds key %s %d times, want once", len(keys), want.ID, found)
	}
}

func testAPIKeyLifecycle(e *env) {
	secret := gamedata.NewSecret(gamedata.APIKeyPrefix)
	now := e.tick()
	k := gamedata.APIKey{
		ID: gamedata.NewID(now), Name: "game server " + randomHex(4) + " 🎮",
		Prefix: secret[:8], Hash: gamedata.HashSecret(secret), CreatedAt: now,
	}
	e.must(e.s.CreateAPIKey(e.ctx, k), "create api key")
	e.checkAPIKey(k)

	at := e.tick()
	e.must(e.s.RevokeAPIKey(e.ctx, k.ID, at), "revoke api key")
	k.RevokedAt = &at
	e.checkAPIKey(k) // still found, so the caller can tell "revoked" from "unknown"
}

func testAPIKeyUnknown(e *env) {
	_, err := e.s.GetAPIKey(e.ctx, gamedata.HashSecret(gamedata.NewSecret(gamedata.APIKeyPrefix)))
	e.wantErr(err, gamedata.ErrNotFound, "get unknown api key")
	e.wantErr(e.s.RevokeAPIKey(e.ctx, gamedata.NewID(e.tick()), e.tick()), gamedata.ErrNotFound, "revoke unknown api key")
}
