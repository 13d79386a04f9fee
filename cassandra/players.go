package cassandra

import (
	"context"
	"strings"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
)

// Players are keyed by NameKey(name). Every write of a player row is a
// lightweight transaction at the name's serial consistency, so that the
// claim (IF NOT EXISTS) and later changes (IF EXISTS) are ordered by Paxos
// alone, never against a plain write's client timestamp. Their change
// record is therefore written just before them (see feed.go).
var (
	insertPlayer = lwt(namePaxos, `INSERT INTO players
		(name_key, id, name, email, phone, age, password_hash, created, updated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`)
	// An unset field is left alone, so one statement serves every update.
	updatePlayer = lwt(namePaxos, `UPDATE players SET email = ?, phone = ?, age = ?, password_hash = ?, updated = ?
		WHERE name_key = ? IF EXISTS`)
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
	if err := s.recordChange(ctx, playerChange(p.Name)); err != nil {
		return s.fail("create player "+p.Name, err)
	}
	applied, err := s.query(insertPlayer, key(p.Name), [16]byte(p.ID), p.Name, p.Email, p.Phone,
		orUnset(p.Age), p.PasswordHash, p.CreatedAt, p.UpdatedAt).MapScanCASContext(ctx, map[string]any{})
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
	err := s.query(getPlayer, key(name)).ScanContext(ctx, (*[16]byte)(&p.ID), &p.Name, &p.Email,
		&p.Phone, &p.Age, &p.PasswordHash, &p.CreatedAt, &p.UpdatedAt)
	if err != nil {
		return p, s.fail("get player "+name, err)
	}
	return p, nil
}

// UpdatePlayer changes the fields u sets and returns the player as stored;
// ErrNotFound (and no player written: the change record written before
// names nobody, and the indexer skips it) when there is no such player.
func (s *Store) UpdatePlayer(ctx context.Context, name string, u gamedata.PlayerUpdate) (gamedata.Player, error) {
	if err := s.recordChange(ctx, playerChange(name)); err != nil {
		return gamedata.Player{}, s.fail("update player "+name, err)
	}
	applied, err := s.query(updatePlayer, orUnset(u.Email), orUnset(u.Phone), orUnset(u.Age),
		orUnset(u.PasswordHash), u.UpdatedAt, key(name)).MapScanCASContext(ctx, map[string]any{})
	switch {
	case err != nil:
		return gamedata.Player{}, s.fail("update player "+name, err)
	case !applied:
		return gamedata.Player{}, s.fail("update player "+name, gamedata.ErrNotFound)
	}
	return s.GetPlayer(ctx, name)
}
