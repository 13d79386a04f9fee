package cassandra

import (
	"context"
	"encoding/json"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// The scans of gamedata.BackupReader: whole tables by token ranges (see
// scanTable), for `gamedata backup` only. A message is read from its
// sender's copy: each message once.
var (
	backupSessions = scan(`SELECT token_hash, player_id, player_name, created, expires FROM sessions
		WHERE token(token_hash) > ? AND token(token_hash) <= ?`)
	backupOrders = scan(`SELECT ` + orderColumns + ` FROM orders
		WHERE token(user_key) > ? AND token(user_key) <= ?`)
	backupOrderKeys = scan(`SELECT idempotency_key, id FROM order_keys
		WHERE token(user_key, idempotency_key) > ? AND token(user_key, idempotency_key) <= ?`)
	backupMessages = scan(`SELECT id, sender, receiver, body, created, expires FROM messages_sent
		WHERE token(player_key, bucket) > ? AND token(player_key, bucket) <= ?`)
	backupEvents = scan(`SELECT id, player, event_type, at, data, expires FROM events
		WHERE token(player_key, day) > ? AND token(player_key, day) <= ?`)
	backupMeta = scan(`SELECT key, value, updated FROM meta
		WHERE token(key) > ? AND token(key) <= ?`)
	backupFriends = scan(`SELECT player_key, friend, since FROM friends
		WHERE token(player_key) > ? AND token(player_key) <= ?`)
	backupInterests = scan(`SELECT player_key, tags, updated FROM interests
		WHERE token(player_key) > ? AND token(player_key) <= ?`)
)

// BackupPlayers gives every player, with its password hash.
func (s *Store) BackupPlayers(ctx context.Context, fn func(gamedata.Player) error) error {
	return s.ListAllPlayers(ctx, fn)
}

// BackupSessions gives every unexpired session.
func (s *Store) BackupSessions(ctx context.Context, fn func(gamedata.Session) error) error {
	now := s.clock.Now()
	return s.scanTable(ctx, "back up sessions", backupSessions, func(sc gocql.Scanner) error {
		var ses gamedata.Session
		if err := sc.Scan(&ses.TokenHash, (*[16]byte)(&ses.PlayerID), &ses.PlayerName, &ses.CreatedAt, &ses.ExpiresAt); err != nil {
			return s.fail("back up sessions", err)
		}
		if !live(ses.ExpiresAt, now) {
			return nil
		}
		return fn(ses)
	})
}

// BackupAPIKeys gives every server key: there are few.
func (s *Store) BackupAPIKeys(ctx context.Context, fn func(gamedata.APIKey) error) error {
	return gamedata.EachAPIKey(ctx, s, fn)
}

// BackupOrders gives every order, with the idempotency key it was made
// with: the keys' claims are read first (they are fewer than the orders).
func (s *Store) BackupOrders(ctx context.Context, fn func(gamedata.BackupOrder) error) error {
	keys := map[uuid.UUID]string{}
	err := s.scanTable(ctx, "back up order keys", backupOrderKeys, func(sc gocql.Scanner) error {
		var key string
		var id uuid.UUID
		if err := sc.Scan(&key, (*[16]byte)(&id)); err != nil {
			return s.fail("back up order keys", err)
		}
		keys[id] = key
		return nil
	})
	if err != nil {
		return err
	}
	return s.scanTable(ctx, "back up orders", backupOrders, func(sc gocql.Scanner) error {
		o, err := scanOrder(sc.Scan)
		if err != nil {
			return s.fail("back up orders", err)
		}
		return fn(gamedata.BackupOrder{Order: o, IdempotencyKey: keys[o.ID]})
	})
}

// BackupMessages gives every unexpired message.
func (s *Store) BackupMessages(ctx context.Context, fn func(gamedata.Message) error) error {
	now := s.clock.Now()
	return s.scanTable(ctx, "back up messages", backupMessages, func(sc gocql.Scanner) error {
		m, _, expires, err := scanMessage(sc)
		if err != nil {
			return s.fail("back up messages", err)
		}
		if !live(expires, now) {
			return nil
		}
		return fn(m)
	})
}

// BackupEvents gives every unexpired event.
func (s *Store) BackupEvents(ctx context.Context, fn func(gamedata.Event) error) error {
	now := s.clock.Now()
	return s.scanTable(ctx, "back up events", backupEvents, func(sc gocql.Scanner) error {
		e, _, expires, err := scanEvent(sc)
		if err != nil {
			return s.fail("back up events", err)
		}
		if !live(expires, now) {
			return nil
		}
		return fn(e)
	})
}

// BackupMeta gives every metadata document.
func (s *Store) BackupMeta(ctx context.Context, fn func(gamedata.MetaDoc) error) error {
	return s.scanTable(ctx, "back up metadata", backupMeta, func(sc gocql.Scanner) error {
		var d gamedata.MetaDoc
		var value string
		if err := sc.Scan(&d.Key, &value, &d.UpdatedAt); err != nil {
			return s.fail("back up metadata", err)
		}
		d.Value = json.RawMessage(value)
		return fn(d)
	})
}

// BackupFriends gives each side of every friendship.
func (s *Store) BackupFriends(ctx context.Context, fn func(gamedata.BackupFriend) error) error {
	return s.scanTable(ctx, "back up friends", backupFriends, func(sc gocql.Scanner) error {
		var f gamedata.BackupFriend
		if err := sc.Scan(&f.Player, &f.Friend, &f.Since); err != nil {
			return s.fail("back up friends", err)
		}
		return fn(f)
	})
}

// BackupInterests gives every player's interests.
func (s *Store) BackupInterests(ctx context.Context, fn func(gamedata.BackupInterests) error) error {
	return s.scanTable(ctx, "back up interests", backupInterests, func(sc gocql.Scanner) error {
		var in gamedata.BackupInterests
		if err := sc.Scan(&in.Player, &in.Tags, &in.UpdatedAt); err != nil {
			return s.fail("back up interests", err)
		}
		return fn(in)
	})
}
