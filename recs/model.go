package recs

import (
	"math"
	"time"
)

// ItemsConfig chooses the items model. DefaultItemsConfig is what the
// offline evaluation measured best (docs/recommendations.md).
type ItemsConfig struct {
	Weighting Weighting
	EASE      EASEConfig
}

// Settings of the served items model.
const (
	// easeLambda was the best of 20..400 on a validation split drawn from
	// the Steam training part.
	easeLambda = 100
	// easeMinSupport drops items held by one player: they teach EASE
	// nothing and cost n³.
	easeMinSupport = 2
	// easeMaxItems bounds the inverse to 4096² (128 MiB of float64).
	easeMaxItems = 4096
	// FriendPurchaseBoost is what each friend who bought an item adds to
	// its score (EASE scores of a good match are about 0.1 to 1); no
	// public dataset pairs purchases with friendships, so it is a prior.
	FriendPurchaseBoost = 0.05
	// KNNNeighbours is item-kNN's neighbourhood, the best of 50..400 on the
	// validation split.
	KNNNeighbours = 400
)

// DefaultItemsConfig is EASE over binary interactions.
var DefaultItemsConfig = ItemsConfig{
	Weighting: Binary,
	EASE:      EASEConfig{Lambda: easeLambda, MinSupport: easeMinSupport, MaxItems: easeMaxItems},
}

// ItemsModel is the served items model: EASE over players' items and their
// interest tags (tags are input columns only: they are never recommended,
// and say "players who like rpg play this"), with the popularity of each
// item for reasons and for players with no history.
type ItemsModel struct {
	cfg      ItemsConfig
	numItems int // columns below numItems are items, the rest tags
	scorer   ItemScorer
	pop      *Popularity
}

// TrainItems trains the items model on m, whose first numItems columns are
// items and whose other columns are interest tags; weights are raw values
// (hours played, units bought).
func TrainItems(m *Matrix, numItems int, cfg ItemsConfig) (*ItemsModel, error) {
	weighted := cfg.Weighting.Weigh(m)
	ease, err := NewEASE(weighted, cfg.EASE)
	if err != nil {
		return nil, err
	}
	return &ItemsModel{cfg: cfg, numItems: numItems, scorer: ease, pop: NewPopularity(weighted)}, nil
}

// ItemRec is one recommended item and why.
type ItemRec struct {
	Item  int32
	Score float32
	// Because is the history column (an item or a tag) that adds most to
	// the score, -1 when none does.
	Because int32
	// Friends is how many friends hold the item.
	Friends int
	// Popular is how many players hold it.
	Popular int
}

// ItemScratch is per-goroutine scratch space for Recommend.
type ItemScratch struct {
	scores []float32
	owned  []bool
	hist   []Entry
}

// Recommend returns the k best items for a player whose history is h (raw
// values; item and tag columns) and whose friends hold friends[item] items.
// Items in h are never recommended.
func (m *ItemsModel) Recommend(h []Entry, friends map[int32]int, k int, s *ItemScratch) []ItemRec {
	if len(s.scores) < m.pop.Len() {
		s.scores = make([]float32, m.pop.Len())
		s.owned = make([]bool, m.pop.Len())
	}
	scores, owned := s.scores[:m.pop.Len()], s.owned[:m.pop.Len()]
	clear(scores)
	s.hist = s.hist[:0]
	for _, e := range h {
		if int(e.Col) < len(owned) {
			s.hist = append(s.hist, Entry{Col: e.Col, Weight: m.cfg.Weighting.Apply(e.Weight)})
			owned[e.Col] = true
		}
	}
	m.scorer.Scores(s.hist, scores)
	for item, n := range friends {
		if int(item) < m.numItems {
			scores[item] += FriendPurchaseBoost * float32(n)
		}
	}
	// Popularity breaks ties and fills the list of a player the model
	// knows nothing about, far below any real match.
	total := float32(max(m.pop.Total(), 1))
	for j := range m.numItems {
		scores[j] += popularityTieBreak * m.pop.counts[j] / total
	}
	top := TopOf(scores[:m.numItems], k, func(j int32) bool { return owned[j] })
	for _, e := range s.hist {
		owned[e.Col] = false
	}
	out := make([]ItemRec, len(top))
	for i, t := range top {
		r := ItemRec{Item: t.ID, Score: t.Score, Because: -1, Friends: friends[t.ID], Popular: int(m.pop.counts[t.ID])}
		best := float32(0)
		for _, e := range s.hist {
			if l := e.Weight * m.scorer.Link(e.Col, t.ID); l > best {
				best, r.Because = l, e.Col
			}
		}
		out[i] = r
	}
	return out
}

// popularityTieBreak scales an item's share of players into its score.
const popularityTieBreak = 1e-3

// Len is the number of columns.
func (p *Popularity) Len() int { return len(p.counts) }

// Total is the number of interactions counted.
func (p *Popularity) Total() float32 { return p.total }

// FriendsModel is the served friends model: the learned blend.
type FriendsModel struct {
	Blend *FriendBlend
}

// TrainFriends learns the blend on g and interests (maybe nil).
func TrainFriends(g *Graph, in *Interests, seed uint64) (*FriendsModel, error) {
	b, err := TrainFriendBlend(g, in, seed)
	if err != nil {
		return nil, err
	}
	return &FriendsModel{Blend: b}, nil
}

// Recommend returns the k people u most likely knows and is not friends
// with yet.
func (m *FriendsModel) Recommend(f *FriendFinder, u int32, k int) []Suggestion {
	return m.Blend.Rank(f.g, u, f.Candidates(u), k)
}

// Result is one row of an evaluation table.
type Result struct {
	Model string
	Score
	Train time.Duration
}

// round3 keeps three decimals for a table.
func round3(v float64) float64 { return math.Round(v*1000) / 1000 }
