package recs

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"

	"gonum.org/v1/gonum/optimize"
)

// Settings of the blend's training.
const (
	// blendHoldOut is the share of the graph's friendships hidden to learn
	// from: the blend learns to find them again.
	blendHoldOut = 0.1
	// blendMaxUsers bounds how many players lend training lists.
	blendMaxUsers = 3000
	// blendPool is how many of a player's candidates, the best by resource
	// allocation, the blend re-ranks.
	blendPool = 100
	// blendMinLists is the fewest training lists worth fitting; below it
	// the default blend is used.
	blendMinLists = 50
	// blendL2 regularises the standardised weights.
	blendL2 = 1e-3
)

// DefaultFriendBlend ranks by resource allocation, then shared interests:
// the blend of a graph too small to learn from.
var DefaultFriendBlend = FriendBlend{Weights: [FeatureCount]float64{2: 1, 7: 0.05}}

// trainList is one player's pool with which of it are hidden friends.
type trainList struct {
	x   [][FeatureCount]float64
	pos []int
}

// TrainFriendBlend learns the blend's weights from g itself: it hides a share
// of g's friendships (with seed), gathers each player's pool on the rest, and
// fits a listwise softmax loss (ListNet) so that the hidden friends come
// first. A graph too small to learn from gets DefaultFriendBlend.
func TrainFriendBlend(g *Graph, in *Interests, seed uint64) (*FriendBlend, error) {
	split := SplitEdges(g, blendHoldOut, seed)
	var users []int32
	for u, t := range split.Test {
		if len(t) > 0 {
			users = append(users, int32(u))
		}
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	rng.Shuffle(len(users), func(i, j int) { users[i], users[j] = users[j], users[i] })
	users = users[:min(len(users), blendMaxUsers)]

	// Each range of users keeps its lists apart, joined in order after, so
	// that the fit sums them in the same order on every run.
	var mu sync.Mutex
	byStart := map[int][]trainList{}
	parallelRange(len(users), func(lo, hi int) {
		f := NewFriendFinder(split.Train, in)
		var local []trainList
		for _, u := range users[lo:hi] {
			held := map[int32]bool{}
			for _, v := range split.Test[u] {
				held[v] = true
			}
			cands := pool(f.Candidates(u))
			l := trainList{x: features(split.Train, u, cands)}
			for i, c := range cands {
				if held[c.ID] {
					l.pos = append(l.pos, i)
				}
			}
			if len(l.pos) > 0 && len(l.pos) < len(cands) {
				local = append(local, l)
			}
		}
		mu.Lock()
		byStart[lo] = local
		mu.Unlock()
	})
	var lists []trainList
	for _, lo := range slices.Sorted(maps.Keys(byStart)) {
		lists = append(lists, byStart[lo]...)
	}
	if len(lists) < blendMinLists {
		b := DefaultFriendBlend
		return &b, nil
	}
	w, err := fitListwise(lists)
	if err != nil {
		return nil, err
	}
	return &FriendBlend{Weights: w}, nil
}

// fitListwise minimises, over standardised features, the mean over lists of
// -mean(s_pos) + ln Σ exp(s) plus λ/2 |w|², with L-BFGS, and returns w in
// the original units.
func fitListwise(lists []trainList) ([FeatureCount]float64, error) {
	const n = FeatureCount
	var mean, sd [n]float64
	count := 0.0
	for _, l := range lists {
		for _, x := range l.x {
			for i, v := range x {
				mean[i] += v
				sd[i] += v * v
			}
			count++
		}
	}
	for i := range n {
		mean[i] /= count
		sd[i] = math.Sqrt(max(sd[i]/count-mean[i]*mean[i], 0))
		if sd[i] == 0 {
			sd[i] = 1
		}
	}
	std := func(x *[n]float64, i int) float64 { return (x[i] - mean[i]) / sd[i] }
	loss := func(w, grad []float64) float64 {
		total := 0.0
		if grad != nil {
			clear(grad)
		}
		s := []float64{}
		for _, l := range lists {
			s = s[:0]
			top := math.Inf(-1)
			for _, x := range l.x {
				v := 0.0
				for i := range n {
					v += w[i] * std(&x, i)
				}
				s = append(s, v)
				top = max(top, v)
			}
			z := 0.0
			for _, v := range s {
				z += math.Exp(v - top)
			}
			lse := top + math.Log(z)
			inv := 1 / float64(len(l.pos))
			for _, p := range l.pos {
				total -= s[p] * inv
			}
			total += lse
			if grad != nil {
				for j, x := range l.x {
					pj := math.Exp(s[j]-lse) / float64(len(lists))
					for i := range n {
						grad[i] += pj * std(&x, i)
					}
				}
				for _, p := range l.pos {
					for i := range n {
						grad[i] -= inv * std(&l.x[p], i) / float64(len(lists))
					}
				}
			}
		}
		total /= float64(len(lists))
		for i := range n {
			total += blendL2 / 2 * w[i] * w[i]
			if grad != nil {
				grad[i] += blendL2 * w[i]
			}
		}
		return total
	}
	p := optimize.Problem{
		Func: func(w []float64) float64 { return loss(w, nil) },
		Grad: func(grad, w []float64) { loss(w, grad) },
	}
	res, err := optimize.Minimize(p, make([]float64, n), &optimize.Settings{MajorIterations: 200}, &optimize.LBFGS{})
	if err != nil && res == nil {
		return [n]float64{}, fmt.Errorf("recs: friend blend: %w", err)
	}
	var out [n]float64
	for i := range n {
		out[i] = res.X[i] / sd[i] // the mean shifts every score alike
	}
	return out, nil
}
