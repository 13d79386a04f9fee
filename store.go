package gamedata

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Every method below takes player names in any case and matches them by
// NameKey. Errors wrap ErrNotFound, ErrConflict, ErrInvalid (a bad page
// token) or ErrUnavailable (the backend is down; nothing was half written).

// PlayerStore keeps players, keyed by NameKey(name).
type PlayerStore interface {
	// CreatePlayer stores a new player; ErrConflict when the name is taken
	// ignoring case, in any region.
	CreatePlayer(ctx context.Context, p Player) error
	GetPlayer(ctx context.Context, name string) (Player, error)
	// UpdatePlayer applies u and returns the player as stored afterwards.
	UpdatePlayer(ctx context.Context, name string, u PlayerUpdate) (Player, error)
}

// SessionStore keeps player sessions by token hash. A session is gone once
// it expires (its TTL is ExpiresAt, carried in the write) or is deleted.
type SessionStore interface {
	CreateSession(ctx context.Context, s Session) error
	GetSession(ctx context.Context, tokenHash string) (Session, error)
	DeleteSession(ctx context.Context, tokenHash string) error
}

// APIKeyStore keeps server keys by hash. There are few keys: listing them
// reads one small partition.
type APIKeyStore interface {
	CreateAPIKey(ctx context.Context, k APIKey) error
	// GetAPIKey finds a key by the hash of its secret, revoked or not.
	GetAPIKey(ctx context.Context, hash string) (APIKey, error)
	ListAPIKeys(ctx context.Context) ([]APIKey, error)
	// RevokeAPIKey marks a key revoked; ErrNotFound for an unknown id.
	RevokeAPIKey(ctx context.Context, id uuid.UUID, at time.Time) error
}

// OrderStore keeps orders by (user, id), newest first.
type OrderStore interface {
	// CreateOrder stores o unless idempotencyKey (when not empty) was already
	// used by this user: then it returns the order first made with that key
	// and created == false. Concurrent callers with one key make one order.
	CreateOrder(ctx context.Context, o Order, idempotencyKey string) (stored Order, created bool, err error)
	GetOrder(ctx context.Context, user string, id uuid.UUID) (Order, error)
	ListOrders(ctx context.Context, user string, p PageRequest) (Page[Order], error)
	// PayOrder moves an unpaid order to paid at time at. Of any number of
	// concurrent calls exactly one succeeds; the others get ErrConflict.
	PayOrder(ctx context.Context, user string, id uuid.UUID, at time.Time) (Order, error)
}

// MessageStore keeps messages for the sender, the receiver and their
// conversation, until each message's ExpiresAt.
type MessageStore interface {
	SendMessage(ctx context.Context, m Message) error
	Inbox(ctx context.Context, player string, p PageRequest) (Page[Message], error)
	Sent(ctx context.Context, player string, p PageRequest) (Page[Message], error)
	// Conversation lists the messages between a and b, both directions,
	// newest first.
	Conversation(ctx context.Context, a, b string, p PageRequest) (Page[Message], error)
}

// EventStore keeps each player's event log until each event's ExpiresAt.
type EventStore interface {
	AppendEvents(ctx context.Context, events []Event) error
	// ListEvents lists a player's events in r, newest first.
	ListEvents(ctx context.Context, player string, r EventRange, p PageRequest) (Page[Event], error)
}

// MetaStore keeps metadata documents by key.
type MetaStore interface {
	PutMeta(ctx context.Context, d MetaDoc) error
	GetMeta(ctx context.Context, key string) (MetaDoc, error)
}

// Store is a whole primary store: the embedded SQLite store and the
// Cassandra store both implement it, and both pass the same conformance
// suite (package storetest).
type Store interface {
	PlayerStore
	SessionStore
	APIKeyStore
	OrderStore
	MessageStore
	EventStore
	MetaStore
	// Ping reports whether the backend is reachable (ErrUnavailable if not).
	Ping(ctx context.Context) error
	Close() error
}
