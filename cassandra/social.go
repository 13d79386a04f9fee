package cassandra

import (
	"cmp"
	"context"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"slices"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// The social graph. Each player's friends are one partition of friends,
// keyed by the friend's name key and bounded by Config.MaxFriends, so every
// read of a player's friends is one bounded partition. A friendship is both
// its rows, written (or deleted) together in one LOGGED batch with their
// change records. A batch stamps all its rows with one write time, so when
// adds and removes of one friendship race, from either side, the write that
// wins (the latest) wins on both rows alike: both sides agree.
var (
	friendExists = read(`SELECT friend_key FROM friends WHERE player_key = ? AND friend_key = ?`)
	countFriends = read(`SELECT COUNT(*) FROM friends WHERE player_key = ?`)
	listFriends  = read(`SELECT friend, since, id FROM friends WHERE player_key = ?`)
	insertFriend = write(`INSERT INTO friends (player_key, friend_key, friend, since, id) VALUES (?, ?, ?, ?, ?)`)
	deleteFriend = write(`DELETE FROM friends WHERE player_key = ? AND friend_key = ?`)
	putInterests = write(`INSERT INTO interests (player_key, tags, updated) VALUES (?, ?, ?)`)
	getInterests = read(`SELECT tags, updated FROM interests WHERE player_key = ?`)
)

// AddFriend writes both sides of the friendship of a and b, after checking
// that both players exist, that they are not friends yet and that neither
// is at the cap. The cap is checked by a count before the batch: friendships
// added at once to one player can pass it by as many as race.
func (s *Store) AddFriend(ctx context.Context, a, b string, at time.Time) error {
	op := "befriend " + a + " and " + b
	if err := gamedata.CheckFriends(a, b); err != nil {
		return err
	}
	ka, kb := key(a), key(b)
	var names [2]string
	for i, name := range [2]string{a, b} {
		p, err := s.GetPlayer(ctx, name)
		if err != nil {
			return err // already wrapped
		}
		names[i] = p.Name
	}
	var known string
	err := s.query(friendExists, ka, kb).scan(ctx, &known)
	switch {
	case err == nil:
		return nil // friends already: nothing changes
	case !errors.Is(err, gocql.ErrNotFound):
		return s.fail(op, err)
	}
	for i, k := range [2]string{ka, kb} {
		var n int64
		if err := s.query(countFriends, k).scan(ctx, &n); err != nil {
			return s.fail(op, err)
		}
		if n >= int64(s.cfg.MaxFriends) {
			return s.fail(op, gamedata.FriendLimit(names[i], s.cfg.MaxFriends))
		}
	}
	id := [16]byte(gamedata.NewID(at))
	batch := s.batch(gocql.LoggedBatch)
	batch.add(insertFriend, ka, kb, names[1], at, id)
	batch.add(insertFriend, kb, ka, names[0], at, id)
	stored := []func(){
		s.addChange(batch, gamedata.Change{Kind: gamedata.ChangeFriendship, Player: ka}, false),
		s.addChange(batch, gamedata.Change{Kind: gamedata.ChangeFriendship, Player: kb}, false),
	}
	if err := batch.exec(ctx); err != nil {
		return s.fail(op, err)
	}
	for _, f := range stored {
		f()
	}
	return nil
}

// RemoveFriend deletes both sides in one LOGGED batch, with a change record
// for each (also when they were not friends: a record too many is
// harmless, and reading first would not make the delete safer).
func (s *Store) RemoveFriend(ctx context.Context, a, b string) error {
	ka, kb := key(a), key(b)
	batch := s.batch(gocql.LoggedBatch)
	batch.add(deleteFriend, ka, kb)
	batch.add(deleteFriend, kb, ka)
	stored := []func(){
		s.addChange(batch, gamedata.Change{Kind: gamedata.ChangeFriendship, Player: ka}, false),
		s.addChange(batch, gamedata.Change{Kind: gamedata.ChangeFriendship, Player: kb}, false),
	}
	if err := batch.exec(ctx); err != nil {
		return s.fail("unfriend "+a+" and "+b, err)
	}
	for _, f := range stored {
		f()
	}
	return nil
}

// friendRow is one side of a friendship as read.
type friendRow struct {
	gamedata.Friend
	id uuid.UUID
}

// newerFriend orders friends newest friendship first.
func newerFriend(x, y friendRow) int {
	if c := y.Since.Compare(x.Since); c != 0 {
		return c
	}
	return compareIDs(y.id, x.id)
}

// friendCursorLen is the size of a friends page token: 8 bytes of time in
// nanoseconds, 16 of the friendship's id.
const friendCursorLen = 8 + 16

func friendToken(f friendRow) string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, friendCursorLen), uint64(f.Since.UnixNano()))
	return base64.RawURLEncoding.EncodeToString(append(b, f.id[:]...))
}

func parseFriendToken(token string) (friendRow, error) {
	var f friendRow
	b, ok := gamedata.DecodeToken(token)
	if !ok || len(b) != friendCursorLen {
		return f, gamedata.Invalid("page_token", "is not a page token of this list")
	}
	f.Since = time.Unix(0, int64(binary.BigEndian.Uint64(b))).UTC()
	copy(f.id[:], b[8:])
	return f, nil
}

// ListFriends reads player's partition (bounded by the cap), orders it
// newest first and returns the page after the token.
func (s *Store) ListFriends(ctx context.Context, player string, p gamedata.PageRequest) (gamedata.Page[gamedata.Friend], error) {
	op := "friends of " + player
	var page gamedata.Page[gamedata.Friend]
	var after *friendRow
	if p.Token != "" {
		f, err := parseFriendToken(p.Token)
		if err != nil {
			return page, s.fail(op, err)
		}
		after = &f
	}
	iter := s.query(listFriends, key(player)).pageSize(friendsReadPage).iter(ctx)
	var rows []friendRow
	var f friendRow
	for iter.Scan(&f.Name, &f.Since, (*[16]byte)(&f.id)) {
		if after == nil || newerFriend(*after, f) < 0 {
			rows = append(rows, f)
		}
	}
	if err := iter.Close(); err != nil {
		return page, s.fail(op, err)
	}
	slices.SortFunc(rows, newerFriend)
	limit := p.PageLimit()
	if len(rows) > limit {
		page.NextToken = friendToken(rows[limit-1])
		rows = rows[:limit]
	}
	page.Items = make([]gamedata.Friend, len(rows))
	for i, r := range rows {
		page.Items[i] = r.Friend
	}
	return page, nil
}

// friendsReadPage is the driver's page size for a friends partition.
const friendsReadPage = 1000

// FriendCount counts player's partition.
func (s *Store) FriendCount(ctx context.Context, player string) (int, error) {
	var n int64
	if err := s.query(countFriends, key(player)).scan(ctx, &n); err != nil {
		return 0, s.fail("count friends of "+player, err)
	}
	return int(n), nil
}

// SetInterests writes player's tags and the change record in one LOGGED
// batch, once the player is known to exist.
func (s *Store) SetInterests(ctx context.Context, player string, tags []string, at time.Time) error {
	if _, err := s.GetPlayer(ctx, player); err != nil {
		return err
	}
	k := key(player)
	batch := s.batch(gocql.LoggedBatch)
	batch.add(putInterests, k, slices.Clone(tags), at)
	stored := s.addChange(batch, gamedata.Change{Kind: gamedata.ChangeInterests, Player: k}, false)
	if err := batch.exec(ctx); err != nil {
		return s.fail("set interests of "+player, err)
	}
	stored()
	return nil
}

// GetInterests reads player's tags; none when never set.
func (s *Store) GetInterests(ctx context.Context, player string) (gamedata.Interests, error) {
	var in gamedata.Interests
	err := s.query(getInterests, key(player)).scan(ctx, &in.Tags, &in.UpdatedAt)
	switch {
	case errors.Is(err, gocql.ErrNotFound):
		return gamedata.Interests{Tags: []string{}}, nil
	case err != nil:
		return in, s.fail("get interests of "+player, err)
	}
	if in.Tags == nil {
		in.Tags = []string{}
	}
	slices.SortFunc(in.Tags, cmp.Compare[string])
	return in, nil
}
