package recs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// Settings of the build.
const (
	// StoredPerKind is how many suggestions of each kind are stored per
	// player: the most a request can ask for.
	StoredPerKind = 20
	// buildChunk is the default BuildConfig.ChunkSize.
	buildChunk = 512
	// buildSeed seeds the friends blend's own hold-out.
	buildSeed = 1
)

// Snapshot is what a build learns from, read whole into memory: every
// player (by NameKey, with display names), their paid orders and plays,
// friendships and interests.
type Snapshot struct {
	Players   []SnapshotPlayer // sorted by Key
	Orders    []gamedata.PaidOrderRow
	Plays     []gamedata.PlayRow
	Friends   []gamedata.FriendshipRow
	Interests []gamedata.InterestRow
}

// SnapshotPlayer is one player of a snapshot.
type SnapshotPlayer struct{ Key, Name string }

// ReadSnapshot reads a snapshot from the store's scans.
func ReadSnapshot(ctx context.Context, lister gamedata.PlayerLister, src gamedata.RecsSource) (*Snapshot, error) {
	s := &Snapshot{}
	if err := lister.ListAllPlayers(ctx, func(p gamedata.Player) error {
		s.Players = append(s.Players, SnapshotPlayer{Key: gamedata.NameKey(p.Name), Name: p.Name})
		return nil
	}); err != nil {
		return nil, fmt.Errorf("recs: list players: %w", err)
	}
	slices.SortFunc(s.Players, func(a, b SnapshotPlayer) int { return cmp.Compare(a.Key, b.Key) })
	if err := src.ScanPaidOrders(ctx, func(r gamedata.PaidOrderRow) error { s.Orders = append(s.Orders, r); return nil }); err != nil {
		return nil, fmt.Errorf("recs: scan orders: %w", err)
	}
	if err := src.ScanPlays(ctx, func(r gamedata.PlayRow) error { s.Plays = append(s.Plays, r); return nil }); err != nil {
		return nil, fmt.Errorf("recs: scan plays: %w", err)
	}
	if err := src.ScanFriendships(ctx, func(r gamedata.FriendshipRow) error { s.Friends = append(s.Friends, r); return nil }); err != nil {
		return nil, fmt.Errorf("recs: scan friendships: %w", err)
	}
	if err := src.ScanInterests(ctx, func(r gamedata.InterestRow) error { s.Interests = append(s.Interests, r); return nil }); err != nil {
		return nil, fmt.Errorf("recs: scan interests: %w", err)
	}
	return s, nil
}

// Models are the trained models of a build, over the snapshot's indices.
type Models struct {
	players  []SnapshotPlayer
	index    map[string]int32 // name key -> player index
	items    *Vocab           // item ids, then "#tag" columns
	numItems int
	tags     *Vocab
	history  *Matrix // players x (items + tags), raw values
	graph    *Graph
	inter    *Interests
	Items    *ItemsModel
	Friends  *FriendsModel
}

// tagColumn is how an interest tag is named among the item columns.
func tagColumn(tag string) string { return "#" + tag }

// Train builds the matrices of a snapshot and trains both models on them,
// through the same code the offline evaluation measures.
func Train(s *Snapshot) (*Models, error) {
	m := &Models{players: s.Players, index: make(map[string]int32, len(s.Players)), items: NewVocab(), tags: NewVocab()}
	for i, p := range s.Players {
		m.index[p.Key] = int32(i)
	}
	var cells []Triple
	add := func(player, item string, w float32) {
		if u, ok := m.index[player]; ok {
			cells = append(cells, Triple{Row: u, Col: m.items.ID(item), Weight: w})
		}
	}
	for _, o := range s.Orders {
		add(o.Player, o.Item, float32(o.Amount))
	}
	for _, p := range s.Plays {
		add(p.Player, p.Item, float32(p.Hours))
	}
	m.numItems = m.items.Len()
	byNode := make([][]int32, len(s.Players))
	for _, in := range s.Interests {
		u, ok := m.index[in.Player]
		if !ok {
			continue
		}
		for _, t := range in.Tags {
			byNode[u] = append(byNode[u], m.tags.ID(t))
			cells = append(cells, Triple{Row: u, Col: m.items.ID(tagColumn(t)), Weight: 1})
		}
		slices.Sort(byNode[u])
	}
	m.history = BuildMatrix(len(s.Players), m.items.Len(), cells)
	m.inter = NewInterests(byNode, m.tags.Len())
	var edges [][2]int32
	for _, f := range s.Friends {
		a, okA := m.index[f.Player]
		b, okB := m.index[f.Friend]
		if okA && okB {
			edges = append(edges, [2]int32{a, b})
		}
	}
	m.graph = NewGraph(len(s.Players), edges)
	var err error
	if m.Items, err = TrainItems(m.history, m.numItems, DefaultItemsConfig); err != nil {
		return nil, err
	}
	if m.Friends, err = TrainFriends(m.graph, m.inter, buildSeed); err != nil {
		return nil, err
	}
	return m, nil
}

// worker holds one goroutine's scratch space.
type worker struct {
	m       *Models
	items   ItemScratch
	finder  *FriendFinder
	friends map[int32]int
}

func (m *Models) newWorker() *worker {
	return &worker{m: m, finder: NewFriendFinder(m.graph, m.inter), friends: map[int32]int{}}
}

// sets returns player u's stored sets of both kinds.
func (w *worker) sets(u int32, at time.Time) [2]gamedata.RecSet {
	m := w.m
	key := m.players[u].Key
	clear(w.friends)
	for _, f := range m.graph.Friends(u) {
		for _, e := range m.history.Row(int(f)) {
			if int(e.Col) < m.numItems {
				w.friends[e.Col]++
			}
		}
	}
	items := gamedata.RecSet{Player: key, Kind: gamedata.RecItems, GeneratedAt: at}
	for _, r := range m.Items.Recommend(m.history.Row(int(u)), w.friends, StoredPerKind, &w.items) {
		rec := gamedata.StoredRec{ID: m.items.Name(r.Item), Score: float64(r.Score), Friends: r.Friends}
		if r.Because >= 0 {
			if int(r.Because) < m.numItems {
				rec.Because = m.items.Name(r.Because)
			} else {
				rec.Tag = m.items.Name(r.Because)[1:]
			}
		}
		items.Items = append(items.Items, rec)
	}
	friends := gamedata.RecSet{Player: key, Kind: gamedata.RecFriends, GeneratedAt: at}
	var mine []int32
	if int(u) < len(m.inter.ByNode) {
		mine = m.inter.ByNode[u]
	}
	for _, s := range m.Friends.Recommend(w.finder, u, StoredPerKind) {
		rec := gamedata.StoredRec{ID: m.players[s.ID].Name, Score: float64(s.Score), Friends: int(s.Common), Tags: int(s.SharedTags)}
		if s.SharedTags > 0 {
			rec.Tag = m.tags.Name(firstShared(mine, m.inter.ByNode[s.ID]))
		}
		friends.Items = append(friends.Items, rec)
	}
	return [2]gamedata.RecSet{items, friends}
}

// firstShared returns the first entry of two sorted lists that both hold
// (the caller knows there is one).
func firstShared(a, b []int32) int32 {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			return a[i]
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return -1
}

// popular is the set served to players the build did not see.
func (m *Models) popular(at time.Time) gamedata.RecSet {
	var s ItemScratch
	set := gamedata.RecSet{Player: gamedata.PopularKey, Kind: gamedata.RecItems, GeneratedAt: at}
	for _, r := range m.Items.Recommend(nil, nil, StoredPerKind, &s) {
		set.Items = append(set.Items, gamedata.StoredRec{ID: m.items.Name(r.Item), Score: float64(r.Score)})
	}
	return set
}

// Progress is what a build reports as it goes.
type Progress struct {
	Players, Done, Skipped int
	Elapsed                time.Duration
}

// BuildConfig sets a build.
type BuildConfig struct {
	Workers int
	// ChunkSize is how many players a worker takes at once (the resume
	// point moves a chunk at a time); default 512.
	ChunkSize int
	// Progress, when set, is called about every ProgressEvery.
	Progress      func(Progress)
	ProgressEvery time.Duration
	// Fresh starts a new build even when an earlier one was interrupted.
	Fresh bool
	Clock gamedata.Clock
}

// BuildSummary is what a build did.
type BuildSummary struct {
	Players, Stored, Skipped int
	Items, Tags, Friendships int
	Resumed                  bool
	Read, Trained, Wrote     time.Duration
}

// ErrInterrupted wraps the error of a build stopped before its end; its
// state is kept and the next build resumes it.
var ErrInterrupted = errors.New("recs: build interrupted")

// Build computes and stores every player's recommendations from snap. The
// players are taken in name key order, buildChunk at a time by Workers
// goroutines; the store's build state records how far every chunk before
// is stored, so an interrupted build (ctx cancelled, a store error) resumes
// after it, unless cfg.Fresh. A build resumed re-trains on snap: the
// players stored before keep their suggestions from the earlier data.
func Build(ctx context.Context, snap *Snapshot, store gamedata.RecsStore, cfg BuildConfig) (BuildSummary, error) {
	var sum BuildSummary
	clock := cfg.Clock
	if clock == nil {
		clock = gamedata.SystemClock{}
	}
	workers := max(cfg.Workers, 1)
	chunk := cmp.Or(max(cfg.ChunkSize, 0), buildChunk)
	state, err := store.RecsBuild(ctx)
	if err != nil {
		return sum, err
	}
	now := clock.Now()
	if cfg.Fresh || state.Started.IsZero() || !state.Finished.IsZero() {
		state = gamedata.RecsBuild{Started: now}
	} else {
		sum.Resumed = true
	}
	if err := store.SaveRecsBuild(ctx, state); err != nil {
		return sum, err
	}
	t0 := time.Now()
	m, err := Train(snap)
	if err != nil {
		return sum, err
	}
	sum.Trained = time.Since(t0)
	sum.Players, sum.Items, sum.Tags, sum.Friendships = len(snap.Players), m.numItems, m.tags.Len(), m.graph.NumEdges()
	start, _ := slices.BinarySearchFunc(m.players, state.After, func(p SnapshotPlayer, k string) int { return cmp.Compare(p.Key, k) })
	if start < len(m.players) && m.players[start].Key == state.After {
		start++
	}
	if state.After == "" {
		start = 0
	}
	sum.Skipped = start
	at := state.Started

	t1 := time.Now()
	chunks := (len(m.players) - start + chunk - 1) / chunk
	var next atomic.Int64
	done := make([]bool, chunks)
	var mu sync.Mutex
	watermark := 0 // chunks stored in order
	var stored atomic.Int64
	var firstErr error
	commit := func(c int) error {
		mu.Lock()
		defer mu.Unlock()
		done[c] = true
		moved := false
		for watermark < chunks && done[watermark] {
			watermark++
			moved = true
		}
		if !moved {
			return nil
		}
		last := min(start+watermark*chunk, len(m.players)) - 1
		state.After, state.Done = m.players[last].Key, last+1
		return store.SaveRecsBuild(ctx, state)
	}
	stop := make(chan struct{})
	var tick sync.WaitGroup
	if cfg.Progress != nil {
		every := cmp.Or(cfg.ProgressEvery, time.Second)
		tick.Go(func() {
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					cfg.Progress(Progress{Players: len(m.players), Done: start + int(stored.Load()), Skipped: start, Elapsed: time.Since(t0)})
				}
			}
		})
	}
	var wg sync.WaitGroup
	var errOnce sync.Once
	for range workers {
		wg.Go(func() {
			w := m.newWorker()
			batch := make([]gamedata.RecSet, 0, 2*chunk)
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks || ctx.Err() != nil {
					return
				}
				lo := start + c*chunk
				hi := min(lo+chunk, len(m.players))
				batch = batch[:0]
				for u := lo; u < hi; u++ {
					s := w.sets(int32(u), at)
					batch = append(batch, s[0], s[1])
				}
				err := store.PutRecs(ctx, batch)
				if err == nil {
					stored.Add(int64(hi - lo))
					err = commit(c)
				}
				if err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	tick.Wait()
	sum.Stored = int(stored.Load())
	sum.Wrote = time.Since(t1)
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return sum, fmt.Errorf("%w after %d of %d players: %w", ErrInterrupted, state.Done, len(m.players), firstErr)
	}
	if err := store.PutRecs(ctx, []gamedata.RecSet{m.popular(at)}); err != nil {
		return sum, err
	}
	state.Finished = clock.Now()
	if err := store.SaveRecsBuild(ctx, state); err != nil {
		return sum, err
	}
	return sum, nil
}
