package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/gamedata-dev/gamedata"
)

func (s *Store) prepareSocial(p *preparer) {
	s.playerName = p.write(`SELECT name FROM players WHERE name_key = :key`)
	s.countFriendsW = p.write(`SELECT count(*) FROM friends WHERE player_key = :key`)
	s.countFriends = p.read(`SELECT count(*) FROM friends WHERE player_key = :key`)
	s.isFriend = p.write(`SELECT count(*) FROM friends WHERE player_key = :key AND friend_key = :friend_key`)
	s.insertFriend = p.write(`INSERT INTO friends (player_key, friend_key, friend, created, id)
		VALUES (:key, :friend_key, :friend, :created, :id) ON CONFLICT DO NOTHING`)
	s.deleteFriend = p.write(`DELETE FROM friends WHERE player_key = :key AND friend_key = :friend_key`)
	s.listFriends = p.read(`SELECT friend, created, id FROM friends
		WHERE player_key = :key AND (created, id) < (:at, :id) ORDER BY created DESC, id DESC LIMIT :limit`)
	s.putInterests = p.write(`INSERT INTO interests (player_key, tags, updated) VALUES (:key, :tags, :updated)
		ON CONFLICT (player_key) DO UPDATE SET tags = excluded.tags, updated = excluded.updated`)
	s.getInterests = p.read(`SELECT tags, updated FROM interests WHERE player_key = :key`)
}

// friendRow is one side of a friendship as listed.
type friendRow struct {
	gamedata.Friend
	id []byte
}

// AddFriend stores both sides of the friendship of a and b, and a change
// record for each, in one transaction (the writer connection serialises
// every write, so concurrent calls from both sides cannot leave one side).
func (s *Store) AddFriend(ctx context.Context, a, b string, at time.Time) error {
	if err := gamedata.CheckFriends(a, b); err != nil {
		return err
	}
	ka, kb := gamedata.NameKey(a), gamedata.NameKey(b)
	id := blob(gamedata.NewID(at))
	return s.write(ctx, "befriend "+a+" and "+b, func(ctx context.Context, tx *sql.Tx) error {
		names := [2]string{}
		for i, k := range [2]string{ka, kb} {
			err := tx.StmtContext(ctx, s.playerName).QueryRowContext(ctx, sql.Named("key", k)).Scan(&names[i])
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("player %s: %w", []string{a, b}[i], gamedata.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		var known int
		if err := tx.StmtContext(ctx, s.isFriend).QueryRowContext(ctx, sql.Named("key", ka), sql.Named("friend_key", kb)).Scan(&known); err != nil {
			return err
		}
		if known > 0 {
			return nil // friends already: nothing changes
		}
		for i, k := range [2]string{ka, kb} {
			var n int
			if err := tx.StmtContext(ctx, s.countFriendsW).QueryRowContext(ctx, sql.Named("key", k)).Scan(&n); err != nil {
				return err
			}
			if n >= s.maxFriends {
				return gamedata.FriendLimit(names[i], s.maxFriends)
			}
		}
		for _, side := range [2][3]string{{ka, kb, names[1]}, {kb, ka, names[0]}} {
			if _, err := tx.StmtContext(ctx, s.insertFriend).ExecContext(ctx, sql.Named("key", side[0]),
				sql.Named("friend_key", side[1]), sql.Named("friend", side[2]), sql.Named("created", nanos(at)), sql.Named("id", id)); err != nil {
				return err
			}
			if err := s.recordChange(ctx, tx, gamedata.Change{Kind: gamedata.ChangeFriendship, Player: side[0]}); err != nil {
				return err
			}
		}
		return nil
	})
}

// RemoveFriend deletes both sides of the friendship, recording each side
// that existed.
func (s *Store) RemoveFriend(ctx context.Context, a, b string) error {
	ka, kb := gamedata.NameKey(a), gamedata.NameKey(b)
	return s.write(ctx, "unfriend "+a+" and "+b, func(ctx context.Context, tx *sql.Tx) error {
		for _, side := range [2][2]string{{ka, kb}, {kb, ka}} {
			res, err := tx.StmtContext(ctx, s.deleteFriend).ExecContext(ctx, sql.Named("key", side[0]), sql.Named("friend_key", side[1]))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				if err != nil {
					return err
				}
				continue
			}
			if err := s.recordChange(ctx, tx, gamedata.Change{Kind: gamedata.ChangeFriendship, Player: side[0]}); err != nil {
				return err
			}
		}
		return nil
	})
}

// ListFriends lists player's friends, newest friendship first.
func (s *Store) ListFriends(ctx context.Context, player string, p gamedata.PageRequest) (gamedata.Page[gamedata.Friend], error) {
	page, err := list(ctx, s, "friends of "+player, s.listFriends, p, top,
		func(sc scanner) (f friendRow, err error) {
			err = sc.Scan(&f.Name, (*unixNanos)(&f.Since), &f.id)
			return f, err
		},
		func(f friendRow) cursor { return cursor{at: nanos(f.Since), id: f.id} },
		sql.Named("key", gamedata.NameKey(player)))
	out := gamedata.Page[gamedata.Friend]{NextToken: page.NextToken, Items: make([]gamedata.Friend, len(page.Items))}
	for i, f := range page.Items {
		out.Items[i] = f.Friend
	}
	return out, err
}

// FriendCount counts player's friends.
func (s *Store) FriendCount(ctx context.Context, player string) (int, error) {
	var n int
	if err := s.countFriends.QueryRowContext(ctx, sql.Named("key", gamedata.NameKey(player))).Scan(&n); err != nil {
		return 0, s.fail("count friends of "+player, err)
	}
	return n, nil
}

// SetInterests replaces player's tags, with a change record.
func (s *Store) SetInterests(ctx context.Context, player string, tags []string, at time.Time) error {
	key := gamedata.NameKey(player)
	js, err := json.Marshal(tags)
	if err != nil {
		return fmt.Errorf("sqlite: encode tags: %w", err)
	}
	return s.write(ctx, "set interests of "+player, func(ctx context.Context, tx *sql.Tx) error {
		var name string
		if err := tx.StmtContext(ctx, s.playerName).QueryRowContext(ctx, sql.Named("key", key)).Scan(&name); err != nil {
			return err // no row: ErrNotFound
		}
		if _, err := tx.StmtContext(ctx, s.putInterests).ExecContext(ctx, sql.Named("key", key),
			sql.Named("tags", string(js)), sql.Named("updated", nanos(at))); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gamedata.Change{Kind: gamedata.ChangeInterests, Player: key})
	})
}

// GetInterests returns player's tags, none when never set.
func (s *Store) GetInterests(ctx context.Context, player string) (gamedata.Interests, error) {
	var in gamedata.Interests
	var js string
	err := s.getInterests.QueryRowContext(ctx, sql.Named("key", gamedata.NameKey(player))).Scan(&js, (*unixNanos)(&in.UpdatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return gamedata.Interests{Tags: []string{}}, nil
	}
	if err != nil {
		return in, s.fail("get interests of "+player, err)
	}
	if err := json.Unmarshal([]byte(js), &in.Tags); err != nil {
		return in, fmt.Errorf("sqlite: interests of %s: %w", player, err)
	}
	return in, nil
}
