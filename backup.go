package gamedata

import (
	"context"
	"time"
)

// BackupReader reads every row of the tables a backup keeps (`gamedata
// backup`; docs/operations.md): what players, game servers and operators
// wrote. What the store derives from it (the change feed, the archive's day
// log, recommendations, idempotency records, leases) is rebuilt instead.
//
// Each method is a scan of a whole table, for that offline job only, never a
// request path. It calls fn once per row, from one goroutine at a time, in
// no set order, and stops at fn's first error. A row that exists throughout
// the scan is given once; one written during it may be missed or given in
// either state. Rows past their expiry are left out.
type BackupReader interface {
	// BackupPlayers gives every player, with its password hash.
	BackupPlayers(ctx context.Context, fn func(Player) error) error
	BackupSessions(ctx context.Context, fn func(Session) error) error
	// BackupAPIKeys gives every server key, revoked or not, with its hash.
	BackupAPIKeys(ctx context.Context, fn func(APIKey) error) error
	BackupOrders(ctx context.Context, fn func(BackupOrder) error) error
	BackupMessages(ctx context.Context, fn func(Message) error) error
	BackupEvents(ctx context.Context, fn func(Event) error) error
	BackupMeta(ctx context.Context, fn func(MetaDoc) error) error
	// BackupFriends gives each side of every friendship.
	BackupFriends(ctx context.Context, fn func(BackupFriend) error) error
	// BackupInterests gives every player's interests that were ever set.
	BackupInterests(ctx context.Context, fn func(BackupInterests) error) error
}

// BackupOrder is an order with the idempotency key it was made with, if
// any.
type BackupOrder struct {
	Order
	IdempotencyKey string
}

// BackupFriend is one side of a friendship: Player's friend Friend.
type BackupFriend struct {
	// Player is the NameKey of the player whose side this is.
	Player string
	// Friend is the friend's display name.
	Friend string
	Since  time.Time
}

// BackupInterests are the interests of Player (a NameKey).
type BackupInterests struct {
	Player string
	Interests
}

// EachAPIKey calls fn with every key s lists: the BackupAPIKeys of a store
// whose keys are few enough to list at once.
func EachAPIKey(ctx context.Context, s APIKeyStore, fn func(APIKey) error) error {
	keys, err := s.ListAPIKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := fn(k); err != nil {
			return err
		}
	}
	return nil
}
