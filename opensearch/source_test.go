package opensearch_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/opensearch"
)

// source is what the indexer tests write through: a primary store with its
// change feed.
type source interface {
	opensearch.RowReader
	gamedata.ChangeFeed
	CreatePlayer(ctx context.Context, p gamedata.Player) error
	UpdatePlayer(ctx context.Context, name string, u gamedata.PlayerUpdate) (gamedata.Player, error)
	CreateOrder(ctx context.Context, o gamedata.Order, idempotencyKey string) (gamedata.Order, bool, error)
	PayOrder(ctx context.Context, user string, id uuid.UUID, at time.Time) (gamedata.Order, error)
	SendMessage(ctx context.Context, m gamedata.Message) error
}

// memSource is an in-memory source: rows and a change log in one lock, so
// a row and its change record are written together, as a store does.
type memSource struct {
	mu        sync.Mutex
	players   map[string]gamedata.Player
	orders    map[uuid.UUID]gamedata.Order
	log       []gamedata.Change
	logTimes  []time.Time
	committed map[string]int
	// readErr, when set, fails every row read (a store outage).
	readErr error
}

var _ source = (*memSource)(nil)

func newMemSource() *memSource {
	return &memSource{players: map[string]gamedata.Player{}, orders: map[uuid.UUID]gamedata.Order{}, committed: map[string]int{}}
}

func (s *memSource) change(ch gamedata.Change, at time.Time) {
	ch.ID = gamedata.NewID(at)
	s.log = append(s.log, ch)
	s.logTimes = append(s.logTimes, at)
}

func (s *memSource) CreatePlayer(_ context.Context, p gamedata.Player) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := gamedata.NameKey(p.Name)
	if _, ok := s.players[key]; ok {
		return gamedata.ErrConflict
	}
	s.players[key] = p
	s.change(gamedata.Change{Kind: gamedata.ChangePlayer, Player: key}, p.UpdatedAt)
	return nil
}

func (s *memSource) UpdatePlayer(_ context.Context, name string, u gamedata.PlayerUpdate) (gamedata.Player, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := gamedata.NameKey(name)
	p, ok := s.players[key]
	if !ok {
		return p, gamedata.ErrNotFound
	}
	if u.Email != nil {
		p.Email = *u.Email
	}
	if u.Phone != nil {
		p.Phone = *u.Phone
	}
	if u.Age != nil {
		p.Age = u.Age
	}
	p.UpdatedAt = u.UpdatedAt
	s.players[key] = p
	s.change(gamedata.Change{Kind: gamedata.ChangePlayer, Player: key}, p.UpdatedAt)
	return p, nil
}

func (s *memSource) CreateOrder(_ context.Context, o gamedata.Order, _ string) (gamedata.Order, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders[o.ID] = o
	s.change(gamedata.Change{Kind: gamedata.ChangeOrder, Player: gamedata.NameKey(o.UserName), OrderID: o.ID}, o.UpdatedAt)
	return o, true, nil
}

func (s *memSource) PayOrder(_ context.Context, _ string, id uuid.UUID, at time.Time) (gamedata.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return o, gamedata.ErrNotFound
	}
	if o.Status == gamedata.OrderPaid {
		return o, gamedata.ErrConflict
	}
	o.Status, o.UpdatedAt = gamedata.OrderPaid, at
	s.orders[id] = o
	s.change(gamedata.Change{Kind: gamedata.ChangeOrder, Player: gamedata.NameKey(o.UserName), OrderID: id}, at)
	return o, nil
}

// announce writes a change record without its row (a record written before
// its row, or whose row has not replicated yet); putOrder writes the row.
func (s *memSource) announce(o gamedata.Order, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.change(gamedata.Change{Kind: gamedata.ChangeOrder, Player: gamedata.NameKey(o.UserName), OrderID: o.ID}, at)
}

func (s *memSource) putOrder(o gamedata.Order) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders[o.ID] = o
}

func (s *memSource) SendMessage(_ context.Context, m gamedata.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.change(gamedata.Change{Kind: gamedata.ChangeMessage, Player: gamedata.NameKey(m.From), Message: &m}, m.CreatedAt)
	return nil
}

func (s *memSource) GetPlayer(_ context.Context, name string) (gamedata.Player, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readErr != nil {
		return gamedata.Player{}, s.readErr
	}
	p, ok := s.players[gamedata.NameKey(name)]
	if !ok {
		return p, gamedata.ErrNotFound
	}
	return p, nil
}

func (s *memSource) GetOrder(_ context.Context, _ string, id uuid.UUID) (gamedata.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.readErr != nil {
		return gamedata.Order{}, s.readErr
	}
	o, ok := s.orders[id]
	if !ok {
		return o, gamedata.ErrNotFound
	}
	return o, nil
}

// ListAllPlayers makes memSource a PlayerLister.
func (s *memSource) ListAllPlayers(ctx context.Context, fn func(gamedata.Player) error) error {
	s.mu.Lock()
	all := make([]gamedata.Player, 0, len(s.players))
	for _, p := range s.players {
		all = append(all, p)
	}
	s.mu.Unlock()
	for _, p := range all {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

func (s *memSource) ReadChanges(_ context.Context, consumer string, max int) (gamedata.ChangeBatch, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from := s.committed[consumer]
	to := min(len(s.log), from+max)
	return gamedata.ChangeBatch{Changes: append([]gamedata.Change(nil), s.log[from:to]...), Cursor: strconv.Itoa(to)}, nil
}

func (s *memSource) CommitChanges(_ context.Context, consumer, cursor string) error {
	n, err := strconv.Atoi(cursor)
	if err != nil {
		return fmt.Errorf("cursor %q: %w", cursor, gamedata.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.committed[consumer] = max(s.committed[consumer], n)
	return nil
}

func (s *memSource) FeedStatus(_ context.Context, consumer string) (gamedata.FeedStatus, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from := s.committed[consumer]
	st := gamedata.FeedStatus{Pending: int64(len(s.log) - from)}
	if from < len(s.log) {
		st.Oldest = s.logTimes[from]
	}
	return st, nil
}
