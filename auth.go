package gamedata

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Session is a player's login. Only the hash of its token is stored; the
// token itself is shown once, to the player.
type Session struct {
	TokenHash string
	PlayerID  uuid.UUID
	// PlayerName is the display name; the session acts for NameKey(PlayerName).
	PlayerName string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// APIKey is a server key: it may act for any player. Only its hash is
// stored; Prefix (the first characters of the secret) helps an operator tell
// keys apart.
type APIKey struct {
	ID        uuid.UUID  `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	Hash      string     `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// PasswordHasher hashes and checks player passwords (password.Pool). A call
// may refuse at once with a *BusyError when too many hashes wait already.
type PasswordHasher interface {
	Hash(ctx context.Context, password string) (string, error)
	// Verify reports whether password matches encoded, and whether encoded
	// should be replaced by a fresh Hash (older parameters, a wrapped v1 hash).
	Verify(ctx context.Context, password, encoded string) (ok, needsRehash bool, err error)
}
