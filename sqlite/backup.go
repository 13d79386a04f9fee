package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/gamedata-dev/gamedata"
)

// backupStatements read whole tables, for gamedata.BackupReader.
type backupStatements struct {
	players, sessions, orders, messages, events, meta, friends, interests *sql.Stmt
}

func (s *Store) prepareBackup(p *preparer) {
	b := &s.backup
	b.players = p.read(`SELECT ` + playerColumns + ` FROM players`)
	b.sessions = p.read(`SELECT token_hash, player_id, player_name, created, expires FROM sessions WHERE expires > :now`)
	b.orders = p.read(`SELECT ` + orderColumns + `, idempotency_key FROM orders`)
	b.messages = p.read(`SELECT id, sender, receiver, text, created, expires FROM messages WHERE expires > :now`)
	b.events = p.read(`SELECT id, player, type, at, data, expires FROM events WHERE expires > :now`)
	b.meta = p.read(`SELECT key, value, updated FROM meta`)
	b.friends = p.read(`SELECT player_key, friend, created FROM friends`)
	b.interests = p.read(`SELECT player_key, tags, updated FROM interests`)
}

// BackupPlayers gives every player, with its password hash.
func (s *Store) BackupPlayers(ctx context.Context, fn func(gamedata.Player) error) error {
	return s.scanRows(ctx, "back up players", s.backup.players, func(r *sql.Rows) error {
		p, err := scanPlayer(r)
		if err != nil {
			return s.fail("back up players", err)
		}
		return fn(p)
	})
}

// BackupSessions gives every unexpired session.
func (s *Store) BackupSessions(ctx context.Context, fn func(gamedata.Session) error) error {
	return s.scanRows(ctx, "back up sessions", s.backup.sessions, func(r *sql.Rows) error {
		var ses gamedata.Session
		if err := r.Scan(&ses.TokenHash, &ses.PlayerID, &ses.PlayerName, (*unixNanos)(&ses.CreatedAt),
			(*unixNanos)(&ses.ExpiresAt)); err != nil {
			return s.fail("back up sessions", err)
		}
		return fn(ses)
	}, s.now())
}

// BackupAPIKeys gives every server key: there are few.
func (s *Store) BackupAPIKeys(ctx context.Context, fn func(gamedata.APIKey) error) error {
	return gamedata.EachAPIKey(ctx, s, fn)
}

// BackupOrders gives every order, with its idempotency key.
func (s *Store) BackupOrders(ctx context.Context, fn func(gamedata.BackupOrder) error) error {
	return s.scanRows(ctx, "back up orders", s.backup.orders, func(r *sql.Rows) error {
		var o gamedata.BackupOrder
		var key sql.NullString
		if err := r.Scan(&o.ID, &o.UserName, &o.Item, &o.Amount, &o.Price, &o.Status,
			(*unixNanos)(&o.CreatedAt), (*unixNanos)(&o.UpdatedAt), &key); err != nil {
			return s.fail("back up orders", err)
		}
		o.IdempotencyKey = key.String
		return fn(o)
	})
}

// BackupMessages gives every unexpired message.
func (s *Store) BackupMessages(ctx context.Context, fn func(gamedata.Message) error) error {
	return s.scanRows(ctx, "back up messages", s.backup.messages, func(r *sql.Rows) error {
		m, err := scanMessage(r)
		if err != nil {
			return s.fail("back up messages", err)
		}
		return fn(m)
	}, s.now())
}

// BackupEvents gives every unexpired event.
func (s *Store) BackupEvents(ctx context.Context, fn func(gamedata.Event) error) error {
	return s.scanRows(ctx, "back up events", s.backup.events, func(r *sql.Rows) error {
		e, err := scanEvent(r)
		if err != nil {
			return s.fail("back up events", err)
		}
		return fn(e)
	}, s.now())
}

// BackupMeta gives every metadata document.
func (s *Store) BackupMeta(ctx context.Context, fn func(gamedata.MetaDoc) error) error {
	return s.scanRows(ctx, "back up metadata", s.backup.meta, func(r *sql.Rows) error {
		var d gamedata.MetaDoc
		var value string
		if err := r.Scan(&d.Key, &value, (*unixNanos)(&d.UpdatedAt)); err != nil {
			return s.fail("back up metadata", err)
		}
		d.Value = json.RawMessage(value)
		return fn(d)
	})
}

// BackupFriends gives each side of every friendship.
func (s *Store) BackupFriends(ctx context.Context, fn func(gamedata.BackupFriend) error) error {
	return s.scanRows(ctx, "back up friends", s.backup.friends, func(r *sql.Rows) error {
		var f gamedata.BackupFriend
		if err := r.Scan(&f.Player, &f.Friend, (*unixNanos)(&f.Since)); err != nil {
			return s.fail("back up friends", err)
		}
		return fn(f)
	})
}

// BackupInterests gives every player's interests.
func (s *Store) BackupInterests(ctx context.Context, fn func(gamedata.BackupInterests) error) error {
	return s.scanRows(ctx, "back up interests", s.backup.interests, func(r *sql.Rows) error {
		var in gamedata.BackupInterests
		var js string
		if err := r.Scan(&in.Player, &js, (*unixNanos)(&in.UpdatedAt)); err != nil {
			return s.fail("back up interests", err)
		}
		if err := json.Unmarshal([]byte(js), &in.Tags); err != nil {
			return fmt.Errorf("sqlite: interests of %s: %w", in.Player, err)
		}
		return fn(in)
	})
}
