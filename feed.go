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

// Change is one record of the change feed (the outbox). A record names a
// row rather than carrying it: the indexer reads the row's current state
// when it gets the record (and skips a row that does not exist) and indexes
// it with its updated_at as the version, so replaying records is harmless.
// Messages never change, so their records carry the message itself.
//
// Search may lag a write but must never lose it, so a record must not be
// delivered before the row holds the write. A store writes the record in
// the same atomic write as the row where that suffices: a transaction in
// SQLite; in Cassandra a LOGGED batch, for a new row or a message (a batch
// is not isolated: a reader may get the record first, but then finds no
// row and waits for it). Where a write changes a row that may exist through
// a lightweight transaction or a batch, Cassandra writes an intent before
// it, which no read returns before the write has surely ended, and a record
// after it, delivered at once (see package cassandra). A write that fails
// may leave a record too many, never one too few.
type Change struct {
	// ID is a timeuuid of when the record may be delivered (the write, or
	// the end of an intent's grace): the feed's order.
	ID   uuid.UUID
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
	// Oldest is when the oldest pending change was made (for an intent,
	// when its grace ended: before, it is not pending); zero when none.
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

// FeedConsumer is a consumer that a change feed keeps records for.
type FeedConsumer struct {
	Name string
	// Position is where it stands, in the store's terms (a sequence number
	// in SQLite, a watermark time in Cassandra); empty for a consumer that
	// is expected but has not read yet.
	Position string
	// Saved is when its position was last stored: a consumer whose indexer
	// has stopped for good stays behind; zero when never.
	Saved time.Time
	FeedStatus
}

// FeedAdmin is the operator's side of a change feed: how far each consumer
// is, and retiring one (a region whose indexer is gone for good), which
// otherwise keeps every record it has not committed for ever.
type FeedAdmin interface {
	// FeedConsumers lists the consumers the store keeps records for, by
	// name.
	FeedConsumers(ctx context.Context) ([]FeedConsumer, error)
	// DropFeedConsumer forgets a consumer: records no longer wait for it.
	// ErrNotFound when the store does not know it. A consumer that reads
	// again becomes known again, from the oldest record kept.
	DropFeedConsumer(ctx context.Context, name string) error
}

// Kinds of change of the social graph: search does not index them; the
// recommendation build reads them to know whose suggestions changed.
const (
	// ChangeFriendship: a friendship of Player was made or ended (each
	// side has its own record).
	ChangeFriendship ChangeKind = "friendship"
	// ChangeInterests: Player's interests were set.
	ChangeInterests ChangeKind = "interests"
)
