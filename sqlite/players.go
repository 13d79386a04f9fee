package sqlite

import (
	"context"
	"database/sql"

	"github.com/gamedata-dev/gamedata"
)

const playerColumns = `id, name, email, phone, age, password_hash, created, updated`

func (s *Store) preparePlayers(p *preparer) {
	s.insertPlayer = p.write(`INSERT INTO players (name_key, ` + playerColumns + `)
		VALUES (:key, :id, :name, :email, :phone, :age, :hash, :created, :updated)`)
	// A NULL parameter leaves its column alone.
	s.updatePlayer = p.write(`UPDATE players SET
			email = coalesce(:email, email), phone = coalesce(:phone, phone), age = coalesce(:age, age),
			password_hash = coalesce(:hash, password_hash), updated = :updated
		WHERE name_key = :key
		RETURNING ` + playerColumns)
	s.getPlayer = p.read(`SELECT ` + playerColumns + ` FROM players WHERE name_key = :key`)
}

func scanPlayer(sc scanner) (p gamedata.Player, err error) {
	err = sc.Scan(&p.ID, &p.Name, &p.Email, &p.Phone, &p.Age, &p.PasswordHash,
		(*unixNanos)(&p.CreatedAt), (*unixNanos)(&p.UpdatedAt))
	return p, err
}

// CreatePlayer stores p and its change record; the unique name key makes a
// taken name ErrConflict.
func (s *Store) CreatePlayer(ctx context.Context, p gamedata.Player) error {
	key := gamedata.NameKey(p.Name)
	return s.write(ctx, "create player "+p.Name, func(tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, s.insertPlayer).ExecContext(ctx,
			sql.Named("key", key), sql.Named("id", blob(p.ID)), sql.Named("name", p.Name),
			sql.Named("email", p.Email), sql.Named("phone", p.Phone), sql.Named("age", p.Age),
			sql.Named("hash", p.PasswordHash), sql.Named("created", nanos(p.CreatedAt)),
			sql.Named("updated", nanos(p.UpdatedAt))); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gamedata.Change{Kind: gamedata.ChangePlayer, Player: key})
	})
}

// GetPlayer finds a player by name, ignoring case.
func (s *Store) GetPlayer(ctx context.Context, name string) (gamedata.Player, error) {
	p, err := scanPlayer(s.getPlayer.QueryRowContext(ctx, sql.Named("key", gamedata.NameKey(name))))
	if err != nil {
		return p, s.fail("get player "+name, err)
	}
	return p, nil
}

// UpdatePlayer applies the set fields of u and returns the stored player.
// Every update writes a change record, a password change too: the indexer
// then rewrites the same document, which is harmless.
func (s *Store) UpdatePlayer(ctx context.Context, name string, u gamedata.PlayerUpdate) (gamedata.Player, error) {
	var p gamedata.Player
	key := gamedata.NameKey(name)
	err := s.write(ctx, "update player "+name, func(tx *sql.Tx) (err error) {
		p, err = scanPlayer(tx.StmtContext(ctx, s.updatePlayer).QueryRowContext(ctx,
			sql.Named("key", key), sql.Named("email", u.Email), sql.Named("phone", u.Phone),
			sql.Named("age", u.Age), sql.Named("hash", u.PasswordHash), sql.Named("updated", nanos(u.UpdatedAt))))
		if err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gamedata.Change{Kind: gamedata.ChangePlayer, Player: key})
	})
	return p, err
}
