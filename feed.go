package gamedata

import (
	"context"
	"time"

	"github.com/google/uuid"
)

// ChangeKind names the kind of row a change record points at.
type ChangeKind string

// Kinds of change.
const (
	ChangePlayer  ChangeKind = "player"
	ChangeOrder   ChangeKind = "order"
	ChangeMessage ChangeKind = "message"
)

// Change is one record of the change feed (the outbox). A store writes it in
// the same atomic write as the row it names (a LOGGED batch in Cassandra, a
// transaction in SQLite); where a write is a lightweight transaction, which
// Cassandra cannot batch with other tables, the record is written just
// before it, so a crash between the two can only leave a record too many,
// never one too few.
//
// A record names the row rather than carrying it: the indexer reads the
// row's current state (and skips a row that does not exist) and indexes it
// with its updated_at as the version, so replaying records is harmless.
// Messages never change, so their records carry the message itself.
type Change struct {
	ID   uuid.UUID // a timeuuid made at the write: the feed's order
	Kind ChangeKind
	// Player is the NameKey of the player; of the order's owner; of the
	// message's sender.
	Player  string
	OrderID uuid.UUID // for ChangeOrder
	Message *Message  // for ChangeMessage
}

// ChangeBatch is what one read of the feed returns. Cursor is an opaque
// position just after the batch; committing it acknowledges every change in
// it.
type ChangeBatch struct {
	Changes []Change
	Cursor  string
}

// FeedStatus describes how far a consumer is behind.
type FeedStatus struct {
	// Pending counts the changes not yet committed (an estimate where exact
	// counting would need a scan).
	Pending int64
	// Oldest is when the oldest pending change was made; zero when none.
	Oldest time.Time
}

// ChangeFeed is the store's side of the change feed. Each consumer (the
// search indexer of one region) keeps its own position in the store, so it
// resumes where it stopped after a restart. A change is removed only after
// every consumer that the store knows has committed past it.
type ChangeFeed interface {
	// ReadChanges returns up to max changes after the consumer's committed
	// position, oldest first. Until they are committed, a later read may
	// return them again: consumers must be idempotent.
	ReadChanges(ctx context.Context, consumer string, max int) (ChangeBatch, error)
	// CommitChanges moves the consumer's position to cursor.
	CommitChanges(ctx context.Context, consumer, cursor string) error
	FeedStatus(ctx context.Context, consumer string) (FeedStatus, error)
}
