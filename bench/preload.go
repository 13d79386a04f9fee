package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// PreloadConfig grows a store's data before a run. Store and PasswordHash
// are required.
type PreloadConfig struct {
	Store gamedata.Store
	// Players is how many players the population should have in the end:
	// PlayerName(Prefix, i) for i < Players.
	Players int
	Prefix  string // default DefaultPrefix
	// PasswordHash is the one encoded hash every preloaded player gets
	// (password.Hash of the bench password), so that preloading hashes once
	// rather than once per player.
	PasswordHash string
	// OrdersPerPlayer (the first one paid) and MessagesPerPlayer (sent to
	// other players of the population); default 3 each.
	OrdersPerPlayer   int
	MessagesPerPlayer int
	// Workers write players at once; default 32.
	Workers int
	// Retention is how long the messages are kept; default
	// gamedata.DefaultRetention.
	Retention time.Duration
	// Progress receives a line a second; nil: none.
	Progress io.Writer
}

// PreloadResult says what a preload did.
type PreloadResult struct {
	// From is how many players the checkpoint counted at the start, To how
	// many it counts now.
	From, To int
	// What this run wrote; players found complete are not counted.
	Players, Orders, Messages int64
	Took                      time.Duration
	Interrupted               bool
}

// maxChunk bounds the players a worker takes at once; the checkpoint
// advances a chunk at a time.
const maxChunk = 500

// checkpointEvery bounds how often the checkpoint is written.
const checkpointEvery = 2 * time.Second

// Preload writes the players of the population that the checkpoint does
// not count yet, each with its orders and messages, through the store in
// parallel, and records its progress in the store (a metadata document per
// prefix), so that a preload that stopped resumes where it was: the players
// after the checkpoint that exist are completed, not written twice.
func Preload(ctx context.Context, cfg PreloadConfig) (PreloadResult, error) {
	start := time.Now()
	if err := cfg.defaults(); err != nil {
		return PreloadResult{}, err
	}
	p := &preloader{cfg: cfg}
	cp, err := p.readCheckpoint(ctx)
	if err != nil {
		return PreloadResult{}, err
	}
	res := PreloadResult{From: cp.Players, To: cp.Players}
	if cp.Players >= cfg.Players {
		return res, nil
	}
	p.done = cp.Players
	// Chunks small enough to keep every worker busy to the end; the
	// checkpoint counts players, so a resumed preload may cut them anew.
	p.chunk = min(max((cfg.Players-cp.Players)/(8*cfg.Workers), 1), maxChunk)
	p.nextChunk.Store(int64(cp.Players / p.chunk))
	p.finished = map[int]bool{}

	stop := p.progress(start, cp.Players)
	errs := make([]error, cfg.Workers)
	var wg sync.WaitGroup
	for w := range cfg.Workers {
		wg.Go(func() { errs[w] = p.work(ctx) })
	}
	wg.Wait()
	stop()
	err = errors.Join(errs...)
	if cerr := p.saveCheckpoint(context.WithoutCancel(ctx), true); cerr != nil {
		err = errors.Join(err, cerr)
	}
	res.To = p.done
	res.Players, res.Orders, res.Messages = p.players.Load(), p.orders.Load(), p.messages.Load()
	res.Took = time.Since(start)
	res.Interrupted = ctx.Err() != nil
	if res.Interrupted {
		return res, nil // stopped by the caller: the checkpoint holds what was done
	}
	return res, err
}

func (c *PreloadConfig) defaults() error {
	if c.Store == nil || c.PasswordHash == "" {
		return errors.New("bench: preload needs a store and a password hash")
	}
	if c.Prefix == "" {
		c.Prefix = DefaultPrefix
	}
	if c.OrdersPerPlayer == 0 {
		c.OrdersPerPlayer = 3
	}
	if c.MessagesPerPlayer == 0 {
		c.MessagesPerPlayer = 3
	}
	if c.Workers == 0 {
		c.Workers = 32
	}
	if c.Retention <= 0 {
		c.Retention = gamedata.DefaultRetention
	}
	var v gamedata.ValidationError
	gamedata.ValidateName(&v, "prefix", PlayerName(c.Prefix, 0))
	switch {
	case v.Err() != nil:
		return fmt.Errorf("bench: %w", v.Err())
	case c.Players < 2 || c.OrdersPerPlayer < 1 || c.MessagesPerPlayer < 0 || c.Workers < 1:
		return fmt.Errorf("bench: preload wants at least 2 players (not %d), 1 order each (not %d), 0 messages (not %d) and 1 worker (not %d)",
			c.Players, c.OrdersPerPlayer, c.MessagesPerPlayer, c.Workers)
	}
	return nil
}

type preloader struct {
	cfg       PreloadConfig
	chunk     int // players
	nextChunk atomic.Int64

	mu       sync.Mutex
	done     int          // players 0..done-1 are complete
	finished map[int]bool // chunks complete beyond done
	savedAt  time.Time

	players, orders, messages atomic.Int64
}

func (p *preloader) readCheckpoint(ctx context.Context) (checkpoint, error) {
	var cp checkpoint
	doc, err := p.cfg.Store.GetMeta(ctx, populationKey(p.cfg.Prefix))
	switch {
	case errors.Is(err, gamedata.ErrNotFound):
		return checkpoint{OrdersPerPlayer: p.cfg.OrdersPerPlayer, MessagesPerPlayer: p.cfg.MessagesPerPlayer}, nil
	case err != nil:
		return cp, fmt.Errorf("bench: read the preload checkpoint: %w", err)
	}
	if err := json.Unmarshal(doc.Value, &cp); err != nil {
		return cp, fmt.Errorf("bench: the preload checkpoint %s: %w", doc.Key, err)
	}
	if cp.OrdersPerPlayer != p.cfg.OrdersPerPlayer || cp.MessagesPerPlayer != p.cfg.MessagesPerPlayer {
		return cp, fmt.Errorf("bench: the players of prefix %q were preloaded with %d orders and %d messages each, not %d and %d: "+
			"use the same numbers, or another prefix", p.cfg.Prefix, cp.OrdersPerPlayer, cp.MessagesPerPlayer,
			p.cfg.OrdersPerPlayer, p.cfg.MessagesPerPlayer)
	}
	return cp, nil
}

// saveCheckpoint writes how many players are complete, at most every
// checkpointEvery unless force.
func (p *preloader) saveCheckpoint(ctx context.Context, force bool) error {
	p.mu.Lock()
	if !force && time.Since(p.savedAt) < checkpointEvery {
		p.mu.Unlock()
		return nil
	}
	p.savedAt = time.Now()
	cp := checkpoint{Players: p.done, OrdersPerPlayer: p.cfg.OrdersPerPlayer, MessagesPerPlayer: p.cfg.MessagesPerPlayer,
		UpdatedAt: time.Now().UTC()}
	p.mu.Unlock()
	value, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	if err := p.cfg.Store.PutMeta(ctx, gamedata.MetaDoc{Key: populationKey(p.cfg.Prefix), Value: value, UpdatedAt: cp.UpdatedAt}); err != nil {
		return fmt.Errorf("bench: save the preload checkpoint: %w", err)
	}
	return nil
}

// work preloads chunks until none is left or ctx ends.
func (p *preloader) work(ctx context.Context) error {
	for ctx.Err() == nil {
		chunk := int(p.nextChunk.Add(1) - 1)
		first := chunk * p.chunk
		if first >= p.cfg.Players {
			return nil
		}
		for i := max(first, p.doneSnapshot()); i < min(first+p.chunk, p.cfg.Players); i++ {
			if err := p.player(ctx, i); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
		p.finish(chunk)
		if err := p.saveCheckpoint(ctx, false); err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

func (p *preloader) doneSnapshot() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.done
}

// finish marks chunk complete and moves done past every complete chunk
// that follows it.
func (p *preloader) finish(chunk int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.finished[chunk] = true
	for p.finished[p.done/p.chunk] && p.done < p.cfg.Players {
		delete(p.finished, p.done/p.chunk)
		p.done = min((p.done/p.chunk+1)*p.chunk, p.cfg.Players)
	}
}

// player writes player i with its orders and messages, or completes what
// an earlier, interrupted preload left of them.
func (p *preloader) player(ctx context.Context, i int) error {
	s := p.cfg.Store
	name := PlayerName(p.cfg.Prefix, i)
	now := time.Now().UTC()
	age := 10 + i%70
	err := s.CreatePlayer(ctx, gamedata.Player{
		ID: gamedata.NewID(now), Name: name, Email: name + "@bench.example", Age: &age,
		CreatedAt: now, UpdatedAt: now, PasswordHash: p.cfg.PasswordHash,
	})
	haveOrders, haveMessages, paid := 0, 0, false
	switch {
	case errors.Is(err, gamedata.ErrConflict):
		// Written by an interrupted preload: see what it got to.
		orders, err := s.ListOrders(ctx, name, gamedata.PageRequest{Limit: p.cfg.OrdersPerPlayer})
		if err != nil {
			return fmt.Errorf("bench: preload %s: %w", name, err)
		}
		for _, o := range orders.Items {
			if o.Status == gamedata.OrderPaid {
				paid = true
			}
		}
		haveOrders = len(orders.Items)
		if !paid && haveOrders > 0 {
			if _, err := s.PayOrder(ctx, name, orders.Items[0].ID, now); err != nil && !errors.Is(err, gamedata.ErrConflict) {
				return fmt.Errorf("bench: preload %s: %w", name, err)
			}
			paid = true
		}
		sent, err := s.Sent(ctx, name, gamedata.PageRequest{Limit: max(p.cfg.MessagesPerPlayer, 1)})
		if err != nil {
			return fmt.Errorf("bench: preload %s: %w", name, err)
		}
		haveMessages = len(sent.Items)
	case err != nil:
		return fmt.Errorf("bench: preload %s: %w", name, err)
	default:
		p.players.Add(1)
	}
	for j := haveOrders; j < p.cfg.OrdersPerPlayer; j++ {
		o := gamedata.Order{
			ID: gamedata.NewID(now), UserName: name, Item: "item-" + strconv.Itoa((i+j)%100), Amount: 1 + j,
			Price: gamedata.Money(99 + (i*7+j*13)%10000), Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now,
		}
		if _, _, err := s.CreateOrder(ctx, o, ""); err != nil {
			return fmt.Errorf("bench: preload %s: %w", name, err)
		}
		p.orders.Add(1)
		if !paid {
			if _, err := s.PayOrder(ctx, name, o.ID, now); err != nil {
				return fmt.Errorf("bench: preload %s: %w", name, err)
			}
			paid = true
		}
	}
	for j := haveMessages; j < p.cfg.MessagesPerPlayer; j++ {
		m := gamedata.Message{
			ID: gamedata.NewID(now), From: name, To: PlayerName(p.cfg.Prefix, p.partner(i, j)),
			Text: "gg, rematch? " + strconv.Itoa(j), CreatedAt: now, ExpiresAt: now.Add(p.cfg.Retention),
		}
		if err := s.SendMessage(ctx, m); err != nil {
			return fmt.Errorf("bench: preload %s: %w", name, err)
		}
		p.messages.Add(1)
	}
	return nil
}

// partner is the receiver of player i's message j: spread over the whole
// population, never i.
func (p *preloader) partner(i, j int) int {
	n := p.cfg.Players
	return (i + 1 + (i*7919+j*104729)%(n-1)) % n
}

// progress shows how far the preload got, until the returned func is
// called.
func (p *preloader) progress(start time.Time, from int) func() {
	return showProgress(p.cfg.Progress, func(time.Time) string {
		written := p.players.Load()
		at := from + int(written)
		rate := float64(written) / time.Since(start).Seconds()
		eta := "?"
		if rate > 0 {
			eta = (time.Duration(float64(p.cfg.Players-at)/rate) * time.Second).Round(time.Second).String()
		}
		return fmt.Sprintf("preload: %d/%d players (%.1f%%), %.0f players/s, %d orders, %d messages, ETA %s",
			at, p.cfg.Players, 100*float64(at)/float64(p.cfg.Players), rate, p.orders.Load(), p.messages.Load(), eta)
	})
}
