package gamedata

import (
	"encoding/json"
	"time"

	"github.com/google/uuid"
)

// Limits of events.
const (
	EventTypeMaxLen  = 64
	EventDataMaxSize = 8 << 10
	EventBatchMax    = 1000
)

// Event is one entry of a player's event log (log data, kept for the
// retention period). Data is a JSON object or empty.
type Event struct {
	ID        uuid.UUID       `json:"id"`
	Player    string          `json:"player"`
	Type      string          `json:"type"`
	At        time.Time       `json:"at"`
	Data      json.RawMessage `json:"data,omitempty"`
	ExpiresAt time.Time       `json:"-"`
}

// EventRange selects a player's events with From <= At < To. A zero bound is
// open.
type EventRange struct {
	From, To time.Time
}
