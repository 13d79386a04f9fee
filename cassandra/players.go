package cassandra

import (
	"context"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
)

// Players are keyed by NameKey(name). A name is claimed by a lightweight
// transaction at the name's serial consistency (IF NOT EXISTS); a player,
// never deleted, is then changed by plain writes. Both change a row search
// may hold, so each writes an intent and a record after (see feed.go).
var (
	insertPlayer = lwt(namePaxos, `INSERT INTO players
		(name_key, id, name, email, phone, age, password_hash, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`)
	// An unset field is left alone, so one statement serves every update.
	updatePlayer = write(`UPDATE players SET email = ?, phone = ?, age = ?, password_hash = ?, updated = ?
		WHERE name_key = ?`)
	getPlayer = read(`SELECT id, name, email, phone, age, password_hash, created, updated
		FROM players WHERE name_key = ?`)
)

// key is the partition key of a player name: its NameKey, with invalid
// UTF-8 (which Cassandra refuses in a text column) replaced by U+FFFD, a
// character no valid name holds, so that such a name finds nobody.
func key(name string) string { return strings.ToValidUTF8(gamedata.NameKey(name), "\uFFFD") }

// orUnset binds a pointer's value, or leaves the column alone when nil (an
// unset value writes no tombstone, as null would).
func orUnset[T any](p *T) any {
	if p == nil {
		return gocql.UnsetValue
	}
	return *p
}

// CreatePlayer claims p's name; ErrConflict when it is taken ignoring case,
// in any region (the claim is SERIAL by default).
func (s *Store) CreatePlayer(ctx context.Context, p gamedata.Player) error {
	applied, err := s.changeByLWTAfter(ctx, playerChange(p.Name), s.logPrelude(playerLog(p)), func() (bool, error) {
		return s.query(insertPlayer, key(p.Name), [16]byte(p.ID), p.Name, p.Email, p.Phone,
			orUnset(p.Age), p.PasswordHash, p.CreatedAt, p.UpdatedAt).scanCAS(ctx, map[string]any{})
	})
	if err != nil {
		return s.fail("create player "+p.Name, err)
	}
	if !applied {
		return s.fail("create player "+p.Name, gamedata.ErrConflict)
	}
	return nil
}

// GetPlayer finds a player by name, in any case.
func (s *Store) GetPlayer(ctx context.Context, name string) (gamedata.Player, error) {
	var p gamedata.Player
	err := s.query(getPlayer, key(name)).scan(ctx, (*[16]byte)(&p.ID), &p.Name, &p.Email,
		&p.Phone, &p.Age, &p.PasswordHash, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return p, s.fail("get player "+name, err)
	}
	return p, nil
}

// UpdatePlayer changes the fields u sets and returns the player as this
// update left it; ErrNotFound, with nothing written, when there is no such
// player. Players are never deleted, so one read tells, and the update is a
// LOGGED batch of the row and its intent, not a transaction. Like an
// order's payment after its plain insert, it is ordered after the claim by
// timestamps: keep the clocks of servers and nodes in sync (NTP).
func (s *Store) UpdatePlayer(ctx context.Context, name string, u gamedata.PlayerUpdate) (gamedata.Player, error) {
	op := "update player " + name
	p, err := s.GetPlayer(ctx, name)
	if err != nil {
		return p, s.fail(op, err)
	}
	c := playerChange(name)
	b := s.batch(gocql.LoggedBatch)
	b.add(updatePlayer, orUnset(u.Email), orUnset(u.Phone), orUnset(u.Age), orUnset(u.PasswordHash), u.UpdatedAt, key(name))
	after := applyUpdate(p, u)
	logged, err := s.addLog(b, playerLog(after))
	if err != nil {
		return gamedata.Player{}, s.fail(op, err)
	}
	stored := s.addChange(b, c, true)
	if err := b.exec(ctx); err != nil {
		return gamedata.Player{}, s.fail(op, err)
	}
	stored()
	logged()
	s.recorded(ctx, c)
	return after, nil
}

// applyUpdate returns p with the fields u sets.
func applyUpdate(p gamedata.Player, u gamedata.PlayerUpdate) gamedata.Player {
	for _, f := range []struct{ to, from *string }{{&p.Email, u.Email}, {&p.Phone, u.Phone}, {&p.PasswordHash, u.PasswordHash}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if u.Age != nil {
		age := *u.Age
		p.Age = &age
	}
	p.UpdatedAt = asStored(u.UpdatedAt)
	return p
}
