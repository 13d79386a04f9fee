package sqlite

import (
	"context"
	"database/sql"

	"github.com/gamedata-dev/gamedata"
)

const playerColumns = `id, name, email, phone, age, password_hash, created, updated`

func (s *Store) preparePlayers(p *preparer) {
	s.insertPlayer = p.write(`INSERT INTO players (name_key, email_key, ` + playerColumns + `)
		VALUES (:key, :email_key, :id, :name, :email, :phone, :age, :hash, :created, :updated)`)
	// A NULL parameter leaves its column alone.
	s.updatePlayer = p.write(`UPDATE players SET
			email = coalesce(:email, email), email_key = coalesce(:email_key, email_key),
			phone = coalesce(:phone, phone), age = coalesce(:age, age),
			password_hash = coalesce(:hash, password_hash), updated = :updated
		WHERE name_key = :key
		RETURNING ` + playerColumns)
	s.getPlayer = p.read(`SELECT ` + playerColumns + ` FROM players WHERE name_key = :key`)
	// Pages in the order of the name key's UNIQUE index, each after the last.
	s.listAllPlayers = p.read(`SELECT name_key, ` + playerColumns + ` FROM players
		WHERE name_key > :after ORDER BY name_key LIMIT :limit`)
}

// listPage is how many players one read of ListAllPlayers takes.
const listPage = 500

func scanPlayer(sc scanner) (p gamedata.Player, err error) {
	err = sc.Scan(&p.ID, &p.Name, &p.Email, &p.Phone, &p.Age, &p.PasswordHash,
		(*unixNanos)(&p.CreatedAt), (*unixNanos)(&p.UpdatedAt))
	return p, err
}

// CreatePlayer stores p and its change record; the unique name key makes a
// taken name ErrConflict.
func (s *Store) CreatePlayer(ctx context.Context, p gamedata.Player) error {
	key := gamedata.NameKey(p.Name)
	return s.write(ctx, "create player "+p.Name, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.StmtContext(ctx, s.insertPlayer).ExecContext(ctx,
			sql.Named("key", key), sql.Named("id", blob(p.ID)), sql.Named("name", p.Name),
			sql.Named("email", p.Email), sql.Named("email_key", emailKey(p.Email)), sql.Named("phone", p.Phone), sql.Named("age", p.Age),
			sql.Named("hash", p.PasswordHash), sql.Named("created", nanos(p.CreatedAt)),
			sql.Named("updated", nanos(p.UpdatedAt))); err != nil {
			return err
		}
		if err := s.recordPlayerChange(ctx, tx, p); err != nil {
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
	mailKey := sql.Named("email_key", nil)
	if u.Email != nil {
		mailKey.Value = emailKey(*u.Email)
	}
	err := s.write(ctx, "update player "+name, func(ctx context.Context, tx *sql.Tx) (err error) {
		p, err = scanPlayer(tx.StmtContext(ctx, s.updatePlayer).QueryRowContext(ctx,
			sql.Named("key", key), sql.Named("email", u.Email), mailKey, sql.Named("phone", u.Phone),
			sql.Named("age", u.Age), sql.Named("hash", u.PasswordHash), sql.Named("updated", nanos(u.UpdatedAt))))
		if err != nil {
			return err
		}
		if err := s.recordPlayerChange(ctx, tx, p); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, gamedata.Change{Kind: gamedata.ChangePlayer, Player: key})
	})
	return p, err
}

// ListAllPlayers calls fn with every player, by name key, and stops at the
// first error of fn, which it returns. It reads a page of players at a time
// (never holding the table, or more than a page in memory) and calls fn
// between reads, so fn may take its time: it is for offline jobs such as
// `gamedata reindex users` (gamedata.PlayerLister). A player created
// during the scan may be missed, and one changed during it read in either
// state: the reindex covers those through the change feed.
func (s *Store) ListAllPlayers(ctx context.Context, fn func(gamedata.Player) error) error {
	after := ""
	for {
		page, last, err := s.playersAfter(ctx, after)
		if err != nil {
			return s.fail("list all players", err)
		}
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(page) < listPage {
			return nil
		}
		after = last
	}
}

// playersAfter reads the page of players whose name key follows after, and
// the key of its last.
func (s *Store) playersAfter(ctx context.Context, after string) (page []gamedata.Player, last string, err error) {
	rows, err := s.listAllPlayers.QueryContext(ctx, sql.Named("after", after), sql.Named("limit", listPage))
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	for rows.Next() {
		p, err := scanPlayer(keyed{rows, &last})
		if err != nil {
			return nil, "", err
		}
		page = append(page, p)
	}
	return page, last, rows.Err()
}

// keyed scans a row that starts with a key column into key, the rest as sc.
type keyed struct {
	sc  scanner
	key *string
}

func (k keyed) Scan(dest ...any) error { return k.sc.Scan(append([]any{k.key}, dest...)...) }
