package gamedata

import (
	"encoding/json"
	"time"
)

// Limits of metadata.
const (
	MetaKeyMaxLen  = 128
	MetaDocMaxSize = 256 << 10
)

// MetaDoc is one document of game configuration or catalogue, any JSON.
type MetaDoc struct {
	Key       string
	Value     json.RawMessage
	UpdatedAt time.Time
}
