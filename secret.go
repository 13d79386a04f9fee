package gamedata

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
)

// Prefixes of the secrets gamedata hands out, so a leaked one is easy to
// recognise (and to grep for).
const (
	APIKeyPrefix  = "gdk_"
	SessionPrefix = "gds_"
)

// NewSecret returns prefix followed by 256 random bits, URL-safe.
func NewSecret(prefix string) string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("gamedata: crypto/rand failed: " + err.Error())
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// HashSecret is how API keys and session tokens are stored. They carry 256
// random bits, so a plain SHA-256 is enough (passwords, which carry little
// entropy, use argon2id instead).
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
