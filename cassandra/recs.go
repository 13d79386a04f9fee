package cassandra

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
)

// The built recommendations: one row per player and kind, in the player's
// partition, so serving a kind is a read of one row. The build's state is
// one row of recs_build.
var (
	putRecs      = write(`INSERT INTO recommendations (player_key, kind, items, generated) VALUES (?, ?, ?, ?)`)
	getRecs      = read(`SELECT items, generated FROM recommendations WHERE player_key = ? AND kind = ?`)
	getRecsBuild = read(`SELECT started, after, done, finished FROM recs_build WHERE name = ?`)
	putRecsBuild = write(`INSERT INTO recs_build (name, started, after, done, finished) VALUES (?, ?, ?, ?, ?)`)

	scanPaid = scan(`SELECT user_key, item, amount, status FROM orders
		WHERE token(user_key) > ? AND token(user_key) <= ?`)
	scanPlays = scan(`SELECT player_key, event_type, data, expires FROM events
		WHERE token(player_key, day) > ? AND token(player_key, day) <= ?`)
	scanFriends = scan(`SELECT player_key, friend_key, friend FROM friends
		WHERE token(player_key) > ? AND token(player_key) <= ?`)
	scanInterests = scan(`SELECT player_key, tags FROM interests
		WHERE token(player_key) > ? AND token(player_key) <= ?`)
)

// recsBuildName is the row of recs_build the build uses.
const recsBuildName = "recs"

// putRecsParallel bounds the writes of PutRecs in flight: each set is its
// own partition, so they are separate writes, not a batch.
const putRecsParallel = 32

// PutRecs writes each set, putRecsParallel at a time.
func (s *Store) PutRecs(ctx context.Context, sets []gamedata.RecSet) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(putRecsParallel)
	for _, set := range sets {
		g.Go(func() error {
			js, err := json.Marshal(set.Items)
			if err != nil {
				return fmt.Errorf("cassandra: encode recommendations of %s: %w", set.Player, err)
			}
			if err := s.query(putRecs, set.Player, string(set.Kind), string(js), set.GeneratedAt).exec(gctx); err != nil {
				return s.fail("store recommendations of "+set.Player, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// GetRecs reads one row.
func (s *Store) GetRecs(ctx context.Context, player string, kind gamedata.RecKind) (gamedata.RecSet, error) {
	set := gamedata.RecSet{Player: player, Kind: kind}
	var js string
	if err := s.query(getRecs, player, string(kind)).scan(ctx, &js, &set.GeneratedAt); err != nil {
		return set, s.fail("recommendations of "+player, err)
	}
	if err := json.Unmarshal([]byte(js), &set.Items); err != nil {
		return set, fmt.Errorf("cassandra: recommendations of %s: %w", player, err)
	}
	return set, nil
}

// RecsBuild reads the build's state.
func (s *Store) RecsBuild(ctx context.Context) (gamedata.RecsBuild, error) {
	var b gamedata.RecsBuild
	var done int
	err := s.query(getRecsBuild, recsBuildName).scan(ctx, &b.Started, &b.After, &done, &b.Finished)
	if errors.Is(err, gocql.ErrNotFound) {
		return gamedata.RecsBuild{}, nil
	}
	if err != nil {
		return b, s.fail("read the recommendation build", err)
	}
	b.Done = done
	return b, nil
}

// SaveRecsBuild stores the build's state.
func (s *Store) SaveRecsBuild(ctx context.Context, b gamedata.RecsBuild) error {
	var finished any
	if !b.Finished.IsZero() {
		finished = b.Finished
	}
	if err := s.query(putRecsBuild, recsBuildName, b.Started, b.After, b.Done, finished).exec(ctx); err != nil {
		return s.fail("save the recommendation build", err)
	}
	return nil
}

// scanTable reads st over the whole token ring, listParallel ranges at a
// time, and calls each with every row from one goroutine at a time.
func (s *Store) scanTable(ctx context.Context, op string, st *statement, each func(gocql.Scanner) error) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listParallel)
	for _, r := range tokenRanges(listRanges) {
		g.Go(func() error {
			sc := s.query(st, r[0], r[1]).pageSize(listPage).iter(gctx).Scanner()
			for sc.Next() {
				mu.Lock()
				err := each(sc)
				mu.Unlock()
				if err != nil {
					_ = sc.Err() // each's error is the one to report
					return err
				}
			}
			if err := sc.Err(); err != nil {
				return s.fail(op, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// ScanPaidOrders gives every paid order.
func (s *Store) ScanPaidOrders(ctx context.Context, fn func(gamedata.PaidOrderRow) error) error {
	return s.scanTable(ctx, "scan paid orders", scanPaid, func(sc gocql.Scanner) error {
		var o gamedata.PaidOrderRow
		var status string
		if err := sc.Scan(&o.Player, &o.Item, &o.Amount, &status); err != nil {
			return s.fail("scan paid orders", err)
		}
		if status != string(gamedata.OrderPaid) {
			return nil
		}
		return fn(o)
	})
}

// playData is the data of a play event.
type playData struct {
	Item  json.RawMessage `json:"item"`
	Hours float64         `json:"hours"`
}

// ScanPlays gives every unexpired play event that names an item.
func (s *Store) ScanPlays(ctx context.Context, fn func(gamedata.PlayRow) error) error {
	now := s.clock.Now()
	return s.scanTable(ctx, "scan plays", scanPlays, func(sc gocql.Scanner) error {
		var p gamedata.PlayRow
		var typ, data string
		var expires time.Time
		if err := sc.Scan(&p.Player, &typ, &data, &expires); err != nil {
			return s.fail("scan plays", err)
		}
		if typ != gamedata.PlayEvent || (!expires.IsZero() && !expires.After(now)) {
			return nil
		}
		var d playData
		if json.Unmarshal([]byte(data), &d) != nil || len(d.Item) == 0 {
			return nil
		}
		var item string
		if json.Unmarshal(d.Item, &item) != nil {
			var n float64
			if json.Unmarshal(d.Item, &n) != nil {
				return nil
			}
			item = strconv.FormatFloat(n, 'g', -1, 64)
		}
		if item == "" {
			return nil
		}
		p.Item, p.Hours = item, d.Hours
		return fn(p)
	})
}

// ScanFriendships gives both sides of every friendship.
func (s *Store) ScanFriendships(ctx context.Context, fn func(gamedata.FriendshipRow) error) error {
	return s.scanTable(ctx, "scan friendships", scanFriends, func(sc gocql.Scanner) error {
		var f gamedata.FriendshipRow
		if err := sc.Scan(&f.Player, &f.Friend, &f.FriendName); err != nil {
			return s.fail("scan friendships", err)
		}
		return fn(f)
	})
}

// ScanInterests gives every player's interests.
func (s *Store) ScanInterests(ctx context.Context, fn func(gamedata.InterestRow) error) error {
	return s.scanTable(ctx, "scan interests", scanInterests, func(sc gocql.Scanner) error {
		var in gamedata.InterestRow
		if err := sc.Scan(&in.Player, &in.Tags); err != nil {
			return s.fail("scan interests", err)
		}
		return fn(in)
	})
}
