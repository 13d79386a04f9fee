package gamedata

import (
	"time"

	"github.com/google/uuid"
)

// Limits of messages.
const TextMaxLen = 4000

// DefaultRetention is how long messages and events stay in the hot store.
const DefaultRetention = 365 * 24 * time.Hour

// Message is a private message between two players. From and To are display
// names. A message is kept until ExpiresAt (retention travels with the
// write: it becomes a TTL in Cassandra) and is never returned after it.
type Message struct {
	ID        uuid.UUID `json:"id"`
	From      string    `json:"from"`
	To        string    `json:"to"`
	Text      string    `json:"text"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"-"`
}
