package recs

import (
	"sync"
)

// EvalK is the cut-off of the offline metrics: recall@10 and NDCG@10.
const EvalK = 10

// Score is one model's mean metrics over the players with held-out items.
type Score struct {
	Recall, NDCG float64
	Users        int
}

type accum struct {
	mu           sync.Mutex
	recall, ndcg float64
	users        int
}

func (a *accum) add(recall, ndcg float64, users int) {
	a.mu.Lock()
	a.recall += recall
	a.ndcg += ndcg
	a.users += users
	a.mu.Unlock()
}

func (a *accum) score() Score {
	if a.users == 0 {
		return Score{}
	}
	return Score{Recall: a.recall / float64(a.users), NDCG: a.ndcg / float64(a.users), Users: a.users}
}

// ItemRanking returns, for one goroutine, a function that ranks the k best
// items for a history of raw values, never an item of the history.
type ItemRanking func() func(h []Entry, k int) []int32

// ScorerRanking ranks by s over the history weighted by w.
func ScorerRanking(s ItemScorer, w Weighting, cols int) ItemRanking {
	return func() func([]Entry, int) []int32 {
		scores := make([]float32, cols)
		owned := make([]bool, cols)
		var hist []Entry
		return func(h []Entry, k int) []int32 {
			hist = hist[:0]
			for _, e := range h {
				hist = append(hist, Entry{Col: e.Col, Weight: w.Apply(e.Weight)})
				owned[e.Col] = true
			}
			clear(scores)
			s.Scores(hist, scores)
			top := TopOf(scores, k, func(j int32) bool { return owned[j] })
			for _, e := range hist {
				owned[e.Col] = false
			}
			return ids(top)
		}
	}
}

// ModelRanking ranks by the served items model.
func ModelRanking(m *ItemsModel) ItemRanking {
	return func() func([]Entry, int) []int32 {
		var s ItemScratch
		return func(h []Entry, k int) []int32 {
			recs := m.Recommend(h, nil, k, &s)
			out := make([]int32, len(recs))
			for i, r := range recs {
				out[i] = r.Item
			}
			return out
		}
	}
}

func ids(top []Scored) []int32 {
	out := make([]int32, len(top))
	for i, t := range top {
		out[i] = t.ID
	}
	return out
}

// EvaluateItems ranks, for every player with held-out items, the top k of
// the items the player did not train on, and scores them against the
// held-out items.
func EvaluateItems(split ItemSplit, rank ItemRanking, k int) Score {
	var a accum
	train := split.Train
	parallelRange(train.Rows, func(lo, hi int) {
		next := rank()
		var recall, ndcg float64
		users := 0
		for r := lo; r < hi; r++ {
			if len(split.Test[r]) == 0 {
				continue
			}
			recall, ndcg = addMetrics(recall, ndcg, k, next(train.Row(r), k), split.Test[r])
			users++
		}
		a.add(recall, ndcg, users)
	})
	return a.score()
}

func addMetrics(recall, ndcg float64, k int, ranked []int32, test []int32) (float64, float64) {
	rel := make(map[int32]bool, len(test))
	for _, t := range test {
		rel[t] = true
	}
	return recall + RecallAt(k, ranked, rel), ndcg + NDCGAt(k, ranked, rel)
}

// EvaluateFriends ranks, for every node with held-out friendships, the
// candidates of the training graph by s and scores the top k against the
// held-out friends. A nil s ranks by popularity (friend count).
func EvaluateFriends(split GraphSplit, in *Interests, s FriendRanker, k int) Score {
	var a accum
	g := split.Train
	pop := NewPopularFriends(g)
	parallelRange(g.N, func(lo, hi int) {
		f := NewFriendFinder(g, in)
		f.WithPaths3 = s != nil && s.UsesPaths3()
		var recall, ndcg float64
		users := 0
		for u := lo; u < hi; u++ {
			if len(split.Test[u]) == 0 {
				continue
			}
			var ranked []int32
			if s == nil {
				ranked = ids(pop.Rank(g, int32(u), k))
			} else {
				for _, c := range s.Rank(g, int32(u), f.Candidates(int32(u)), k) {
					ranked = append(ranked, c.ID)
				}
			}
			recall, ndcg = addMetrics(recall, ndcg, k, ranked, split.Test[u])
			users++
		}
		a.add(recall, ndcg, users)
	})
	return a.score()
}
