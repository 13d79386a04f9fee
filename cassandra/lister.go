package cassandra

import (
	"context"
	"errors"
	"math"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
)

// scanPlayers reads the players of one range of partition tokens. It is the
// store's only scan, for offline jobs (gamedata.PlayerLister): never on a
// request path.
var scanPlayers = scan(`SELECT id, name, email, phone, age, password_hash, created, updated FROM players
	WHERE token(name_key) > ? AND token(name_key) <= ?`)

const (
	// listRanges is how many ranges the token ring is split into: each is
	// read on its own, a driver page at a time, so that a failure or a slow
	// node holds up a small part.
	listRanges = 256
	// listParallel bounds the ranges read at once: the scan must not crowd
	// out the requests the cluster serves meanwhile.
	listParallel = 4
	// listPage is the driver's page size of the scan.
	listPage = 500
)

// ListAllPlayers calls fn with every player, in no particular order, from
// one goroutine at a time; an error of fn stops the scan and is returned.
// It scans the whole players table by token ranges (Murmur3 tokens, the
// partitioner gamedata's keyspaces use), listParallel at a time, each a
// page at a time. It is for offline jobs such as `gamedata reindex users`
// (gamedata.PlayerLister), never a request path. A player created
// during the scan may be missed, and one changed during it read in either
// state: the reindex covers those through the change feed.
func (s *Store) ListAllPlayers(ctx context.Context, fn func(gamedata.Player) error) error {
	// fn is called from one goroutine at a time, and never after it failed.
	var mu sync.Mutex
	var failed error
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listParallel)
	for _, r := range tokenRanges(listRanges) {
		g.Go(func() error {
			sc := s.query(scanPlayers, r[0], r[1]).pageSize(listPage).iter(gctx).Scanner()
			for sc.Next() {
				var p gamedata.Player
				if err := sc.Scan((*[16]byte)(&p.ID), &p.Name, &p.Email, &p.Phone, &p.Age, &p.PasswordHash,
					&p.CreatedAt, &p.UpdatedAt); err != nil {
					_ = sc.Err() // the scan error is the one to report
					return s.fail("list all players", err)
				}
				mu.Lock()
				err := errStopped
				if failed == nil {
					err = fn(p)
					failed = err
				}
				mu.Unlock()
				if err != nil {
					_ = sc.Err() // fn's error is the one to report
					return err
				}
			}
			if err := sc.Err(); err != nil {
				return s.fail("list all players", err)
			}
			return nil
		})
	}
	err := g.Wait()
	if failed != nil {
		return failed // not errStopped or a cancelled scan's error
	}
	return err
}

// errStopped ends the scans of ListAllPlayers once its callback failed.
var errStopped = errors.New("cassandra: list all players: stopped")

// tokenRanges splits the Murmur3 token ring into n ranges (lo, hi] that
// cover it. No key hashes to the smallest token (Murmur3Partitioner maps it
// to the largest), so the first range may leave it out.
func tokenRanges(n int) [][2]int64 {
	out := make([][2]int64, n)
	step := uint64(math.MaxUint64) / uint64(n)
	lo := int64(math.MinInt64)
	for i := range out {
		hi := int64(uint64(lo) + step)
		if i == n-1 {
			hi = math.MaxInt64
		}
		out[i] = [2]int64{lo, hi}
		lo = hi
	}
	return out
}
