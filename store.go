package gamedata

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// Every method below takes player names in any case and matches them by
// NameKey. Errors wrap ErrNotFound, ErrConflict, ErrInvalid (a bad page
// token), ErrUnavailable (the backend is down; nothing was written) or, for
// a write, ErrUnknownOutcome (it may have been applied: retry it with the
// same values, which every write below makes harmless).

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

// IdempotencyRecord is what a request made with an idempotency key did:
// pending (Status 0) from the moment it claims the key, then its answer.
// The API keeps it for IdempotencyTTL, so that a retry of the request
// answers what the first one did (see docs/api.md). A record stays pending
// when its request failed or its outcome is unknown: a retry then repeats
// the request as first resolved, which every write of the Store makes
// harmless.
type IdempotencyRecord struct {
	// Key names the caller, the operation and the client's key together.
	Key string
	// Fingerprint tells the request apart from another one with the same
	// key.
	Fingerprint string
	// Request is the request as the first call resolved it (its ids and
	// times), so that a retry of a pending record repeats the same write.
	Request []byte
	// Status and Response are the answer once there is one.
	Status   int
	Response []byte
	// ExpiresAt is when the record is gone.
	ExpiresAt time.Time
}

// IdempotencyTTL is how long a retry with the same idempotency key gets the
// first answer.
const IdempotencyTTL = 24 * time.Hour

// IdempotencyStore keeps the idempotency records of the API.
type IdempotencyStore interface {
	// ClaimIdempotency stores r unless an unexpired record of r.Key
	// exists: then it returns that record and claimed == false. Of
	// concurrent claims of one key exactly one is claimed.
	ClaimIdempotency(ctx context.Context, r IdempotencyRecord) (existing IdempotencyRecord, claimed bool, err error)
	// CompleteIdempotency stores r, a claimed record now with its answer
	// (Status and Response), until r.ExpiresAt.
	CompleteIdempotency(ctx context.Context, r IdempotencyRecord) error
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
	IdempotencyStore
	// Ping reports whether the backend is reachable (ErrUnavailable if not).
	Ping(ctx context.Context) error
	Close() error
}
