package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/gamedata-dev/gamedata"
)

func (s *Store) prepareRecs(p *preparer) {
	s.putRecs = p.write(`INSERT INTO recommendations (player_key, kind, items, generated) VALUES (:key, :kind, :items, :generated)
		ON CONFLICT (player_key, kind) DO UPDATE SET items = excluded.items, generated = excluded.generated`)
	s.getRecs = p.read(`SELECT items, generated FROM recommendations WHERE player_key = :key AND kind = :kind`)
	s.getRecsBuild = p.read(`SELECT started, after, done, finished FROM recs_build WHERE id = 1`)
	s.putRecsBuild = p.write(`INSERT INTO recs_build (id, started, after, done, finished) VALUES (1, :started, :after, :done, :finished)
		ON CONFLICT (id) DO UPDATE SET started = excluded.started, after = excluded.after, done = excluded.done, finished = excluded.finished`)
	s.scanPaid = p.read(`SELECT user_key, item, amount FROM orders WHERE status = 'paid'`)
	s.scanPlays = p.read(`SELECT player_key, json_extract(data, '$.item'), json_extract(data, '$.hours') FROM events
		WHERE type = '` + gamedata.PlayEvent + `' AND expires > :now AND json_valid(data)`)
	s.scanFriends = p.read(`SELECT player_key, friend_key, friend FROM friends`)
	s.scanInterests = p.read(`SELECT player_key, tags FROM interests`)
}

// PutRecs stores the sets in one transaction.
func (s *Store) PutRecs(ctx context.Context, sets []gamedata.RecSet) error {
	return s.write(ctx, fmt.Sprintf("store %d recommendation sets", len(sets)), func(ctx context.Context, tx *sql.Tx) error {
		st := tx.StmtContext(ctx, s.putRecs)
		for _, set := range sets {
			js, err := json.Marshal(set.Items)
			if err != nil {
				return fmt.Errorf("encode recommendations of %s: %w", set.Player, err)
			}
			if _, err := st.ExecContext(ctx, sql.Named("key", set.Player), sql.Named("kind", string(set.Kind)),
				sql.Named("items", string(js)), sql.Named("generated", nanos(set.GeneratedAt))); err != nil {
				return err
			}
		}
		return nil
	})
}

// GetRecs reads one row.
func (s *Store) GetRecs(ctx context.Context, player string, kind gamedata.RecKind) (gamedata.RecSet, error) {
	set := gamedata.RecSet{Player: player, Kind: kind}
	var js string
	err := s.getRecs.QueryRowContext(ctx, sql.Named("key", player), sql.Named("kind", string(kind))).Scan(&js, (*unixNanos)(&set.GeneratedAt))
	if err != nil {
		return set, s.fail("recommendations of "+player, err)
	}
	if err := json.Unmarshal([]byte(js), &set.Items); err != nil {
		return set, fmt.Errorf("sqlite: recommendations of %s: %w", player, err)
	}
	return set, nil
}

// RecsBuild reads the build's state.
func (s *Store) RecsBuild(ctx context.Context) (gamedata.RecsBuild, error) {
	var b gamedata.RecsBuild
	var finished sql.NullInt64
	err := s.getRecsBuild.QueryRowContext(ctx).Scan((*unixNanos)(&b.Started), &b.After, &b.Done, &finished)
	if errors.Is(err, sql.ErrNoRows) {
		return gamedata.RecsBuild{}, nil
	}
	if err != nil {
		return b, s.fail("read the recommendation build", err)
	}
	if finished.Valid {
		b.Finished = fromNanos(finished.Int64)
	}
	return b, nil
}

// SaveRecsBuild stores the build's state.
func (s *Store) SaveRecsBuild(ctx context.Context, b gamedata.RecsBuild) error {
	finished := sql.NullInt64{Int64: nanos(b.Finished), Valid: !b.Finished.IsZero()}
	return s.write(ctx, "save the recommendation build", func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.StmtContext(ctx, s.putRecsBuild).ExecContext(ctx, sql.Named("started", nanos(b.Started)),
			sql.Named("after", b.After), sql.Named("done", b.Done), sql.Named("finished", finished))
		return err
	})
}

// scanRows runs a scan statement and calls each for every row.
func (s *Store) scanRows(ctx context.Context, op string, st *sql.Stmt, each func(*sql.Rows) error, args ...any) error {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// ScanPaidOrders gives every paid order.
func (s *Store) ScanPaidOrders(ctx context.Context, fn func(gamedata.PaidOrderRow) error) error {
	return s.scanRows(ctx, "scan paid orders", s.scanPaid, func(r *sql.Rows) error {
		var o gamedata.PaidOrderRow
		if err := r.Scan(&o.Player, &o.Item, &o.Amount); err != nil {
			return s.fail("scan paid orders", err)
		}
		return fn(o)
	})
}

// ScanPlays gives every unexpired play event that names an item.
func (s *Store) ScanPlays(ctx context.Context, fn func(gamedata.PlayRow) error) error {
	return s.scanRows(ctx, "scan plays", s.scanPlays, func(r *sql.Rows) error {
		var p gamedata.PlayRow
		var item, hours any
		if err := r.Scan(&p.Player, &item, &hours); err != nil {
			return s.fail("scan plays", err)
		}
		var ok bool
		if p.Item, ok = playItem(item); !ok {
			return nil
		}
		p.Hours = playHours(hours)
		return fn(p)
	}, s.now())
}

// playItem reads data.item of a play event: a string, or a number written
// as JSON would.
func playItem(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != ""
	case []byte:
		return string(x), len(x) > 0
	case int64:
		return strconv.FormatInt(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64), true
	}
	return "", false
}

// playHours reads data.hours: a number, else 0.
func playHours(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return 0
}

// ScanFriendships gives both sides of every friendship.
func (s *Store) ScanFriendships(ctx context.Context, fn func(gamedata.FriendshipRow) error) error {
	return s.scanRows(ctx, "scan friendships", s.scanFriends, func(r *sql.Rows) error {
		var f gamedata.FriendshipRow
		if err := r.Scan(&f.Player, &f.Friend, &f.FriendName); err != nil {
			return s.fail("scan friendships", err)
		}
		return fn(f)
	})
}

// ScanInterests gives every player's interests.
func (s *Store) ScanInterests(ctx context.Context, fn func(gamedata.InterestRow) error) error {
	return s.scanRows(ctx, "scan interests", s.scanInterests, func(r *sql.Rows) error {
		var in gamedata.InterestRow
		var js string
		if err := r.Scan(&in.Player, &js); err != nil {
			return s.fail("scan interests", err)
		}
		if err := json.Unmarshal([]byte(js), &in.Tags); err != nil {
			return fmt.Errorf("sqlite: interests of %s: %w", in.Player, err)
		}
		return fn(in)
	})
}
