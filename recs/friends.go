package recs

import (
	"cmp"
	"math"
	"slices"
)

// Candidate is someone a player may know, with the evidence for it.
type Candidate struct {
	ID int32
	// Common is how many friends the two share; AA and RA weigh each common
	// friend w by 1/ln(deg w) (Adamic-Adar) and 1/deg w (resource
	// allocation); Paths3 is resource allocation over the paths of length
	// three, Σ 1/(deg a · deg b) over paths u-a-b-v.
	Common int32
	AA, RA float32
	Paths3 float32
	// SharedTags is how many interests the two share.
	SharedTags int32
}

// Interests are each node's interest tags, as sorted tag ids, and for each
// tag some of the nodes that hold it (nil when no node has interests).
type Interests struct {
	ByNode [][]int32
	ByTag  [][]int32
}

// NewInterests indexes per-node sorted tag ids over tags distinct tags.
func NewInterests(byNode [][]int32, tags int) *Interests {
	in := &Interests{ByNode: byNode, ByTag: make([][]int32, tags)}
	for u, ts := range byNode {
		for _, t := range ts {
			in.ByTag[t] = append(in.ByTag[t], int32(u))
		}
	}
	return in
}

// shared counts the common entries of two sorted lists.
func shared(a, b []int32) int32 {
	n, i, j := int32(0), 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] == b[j]:
			n++
			i++
			j++
		case a[i] < b[j]:
			i++
		default:
			j++
		}
	}
	return n
}

// tagCandidatesPerTag bounds how many holders of one interest become
// candidates, so that a tag everyone likes costs no more than a rare one.
const tagCandidatesPerTag = 64

// FriendFinder gathers candidates over a graph; one per goroutine (it keeps
// scratch space the size of the graph).
type FriendFinder struct {
	g         *Graph
	interests *Interests
	// WithPaths3 counts the paths of length three (the blend uses them).
	WithPaths3 bool

	seen    []int32 // index+1 into cands, 0 when not a candidate
	p2      []float32
	touched []int32
	cands   []Candidate
}

// NewFriendFinder returns a finder over g and (maybe nil) interests.
func NewFriendFinder(g *Graph, in *Interests) *FriendFinder {
	return &FriendFinder{g: g, interests: in, seen: make([]int32, g.N), p2: make([]float32, g.N), WithPaths3: true}
}

func (f *FriendFinder) cand(u, v int32) *Candidate {
	if v == u {
		return nil
	}
	if f.seen[v] == 0 {
		if f.g.Has(u, v) {
			return nil
		}
		f.cands = append(f.cands, Candidate{ID: v})
		f.seen[v] = int32(len(f.cands))
	}
	return &f.cands[f.seen[v]-1]
}

// Candidates lists the people u may know: friends of friends, people at
// three steps (when WithPaths3) and people who share an interest; never u
// nor a friend of u. The slice is reused by the next call.
func (f *FriendFinder) Candidates(u int32) []Candidate {
	g := f.g
	f.cands = f.cands[:0]
	for _, w := range g.Friends(u) {
		dw := float64(g.Degree(w))
		aa, ra := float32(1/math.Log(max(dw, 2))), float32(1/dw)
		for _, v := range g.Friends(w) {
			if f.WithPaths3 {
				if f.p2[v] == 0 {
					f.touched = append(f.touched, v)
				}
				f.p2[v] += ra
			}
			if c := f.cand(u, v); c != nil {
				c.Common++
				c.AA += aa
				c.RA += ra
			}
		}
	}
	if f.WithPaths3 {
		for _, x := range f.touched {
			p := f.p2[x] / float32(g.Degree(x))
			for _, v := range g.Friends(x) {
				if c := f.cand(u, v); c != nil {
					c.Paths3 += p
				}
			}
			f.p2[x] = 0
		}
		f.touched = f.touched[:0]
	}
	if in := f.interests; in != nil && int(u) < len(in.ByNode) {
		mine := in.ByNode[u]
		for _, t := range mine {
			holders := in.ByTag[t]
			for _, v := range holders[:min(len(holders), tagCandidatesPerTag)] {
				f.cand(u, v)
			}
		}
		for i := range f.cands {
			c := &f.cands[i]
			if int(c.ID) < len(in.ByNode) {
				c.SharedTags = shared(mine, in.ByNode[c.ID])
			}
		}
	}
	for _, c := range f.cands {
		f.seen[c.ID] = 0
	}
	return f.cands
}

// FriendRanker orders u's candidates, best first.
type FriendRanker interface {
	Rank(g *Graph, u int32, cands []Candidate, k int) []Suggestion
	// UsesPaths3 says whether the candidates need Paths3 (it costs a
	// third step).
	UsesPaths3() bool
}

// Suggestion is a ranked candidate.
type Suggestion struct {
	Candidate
	Score float32
}

// rankBy keeps the k best candidates by score, ties to the lower id.
func rankBy(cands []Candidate, k int, score func(i int) float32) []Suggestion {
	t := NewTopK(k)
	for i := range cands {
		t.Offer(Scored{ID: cands[i].ID, Score: score(i)})
	}
	top := t.Sorted()
	at := make(map[int32]int, len(top))
	for i, s := range top {
		at[s.ID] = i
	}
	out := make([]Suggestion, len(top))
	for _, c := range cands {
		if i, ok := at[c.ID]; ok {
			out[i] = Suggestion{Candidate: c, Score: top[i].Score}
		}
	}
	return out
}

// CommonNeighbours ranks by the number of common friends.
type CommonNeighbours struct{}

func (CommonNeighbours) UsesPaths3() bool { return false }

func (CommonNeighbours) Rank(_ *Graph, _ int32, c []Candidate, k int) []Suggestion {
	return rankBy(c, k, func(i int) float32 { return float32(c[i].Common) })
}

// AdamicAdar ranks by Σ 1/ln(deg w) over common friends w.
type AdamicAdar struct{}

func (AdamicAdar) UsesPaths3() bool { return false }

func (AdamicAdar) Rank(_ *Graph, _ int32, c []Candidate, k int) []Suggestion {
	return rankBy(c, k, func(i int) float32 { return c[i].AA })
}

// ResourceAllocation ranks by Σ 1/deg w over common friends w.
type ResourceAllocation struct{}

func (ResourceAllocation) UsesPaths3() bool { return false }

func (ResourceAllocation) Rank(_ *Graph, _ int32, c []Candidate, k int) []Suggestion {
	return rankBy(c, k, func(i int) float32 { return c[i].RA })
}

// FeatureCount is the length of a feature vector of the blend.
const FeatureCount = 13

// features returns the inputs of the learned blend for each of u's
// candidates. Some are scaled by the best value among u's candidates, so that
// one linear blend suits players with few friends and with many.
func features(g *Graph, u int32, cands []Candidate) [][FeatureCount]float64 {
	var top struct{ cn, aa, ra, ra3 float64 }
	for _, c := range cands {
		top.cn = max(top.cn, float64(c.Common))
		top.aa = max(top.aa, float64(c.AA))
		top.ra = max(top.ra, float64(c.RA))
		top.ra3 = max(top.ra3, float64(c.Paths3))
	}
	rel := func(v, best float64) float64 {
		if best == 0 {
			return 0
		}
		return v / best
	}
	du := float64(g.Degree(u))
	out := make([][FeatureCount]float64, len(cands))
	for i, c := range cands {
		dv := float64(g.Degree(c.ID))
		cn := float64(c.Common)
		jac, share := 0.0, 0.0
		if union := du + dv - cn; union > 0 {
			jac = cn / union
		}
		if du > 0 {
			share = cn / du
		}
		out[i] = [FeatureCount]float64{
			math.Log1p(cn),
			float64(c.AA),
			float64(c.RA),
			jac,
			share,
			math.Log(float64(c.Paths3) + 1e-4),
			math.Log1p(dv),
			math.Log1p(float64(c.SharedTags)),
			math.Log(float64(c.RA) + 1e-3),
			rel(float64(c.RA), top.ra),
			rel(float64(c.AA), top.aa),
			rel(cn, top.cn),
			rel(float64(c.Paths3), top.ra3),
		}
	}
	return out
}

// FriendBlend is a learned linear blend of graph and interest features that
// re-ranks the head of a resource-allocation ranking (TrainFriendBlend).
type FriendBlend struct {
	Weights [FeatureCount]float64
}

// pool returns the head of u's candidates by resource allocation, then
// shared interests, then id: what the blend re-ranks. It reorders cands.
func pool(cands []Candidate) []Candidate {
	if len(cands) > blendPool {
		// Select the head first: a player three steps from many has
		// thousands of candidates, and only the head is re-ranked.
		selectHead(cands, blendPool, poolOrder)
		cands = cands[:blendPool]
	}
	slices.SortFunc(cands, poolOrder)
	return cands
}

func poolOrder(a, b Candidate) int {
	if c := cmp.Compare(b.RA, a.RA); c != 0 {
		return c
	}
	if c := cmp.Compare(b.SharedTags, a.SharedTags); c != 0 {
		return c
	}
	return cmp.Compare(a.ID, b.ID)
}

// selectHead moves the k first of xs under order to xs[:k], in no order
// (quickselect, with a middle pivot).
func selectHead[T any](xs []T, k int, order func(a, b T) int) {
	lo, hi := 0, len(xs)-1
	for lo < hi {
		pivot := xs[lo+(hi-lo)/2]
		i, j := lo, hi
		for i <= j {
			for order(xs[i], pivot) < 0 {
				i++
			}
			for order(xs[j], pivot) > 0 {
				j--
			}
			if i <= j {
				xs[i], xs[j] = xs[j], xs[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

// UsesPaths3 is true: the blend weighs the paths of length three.
func (b *FriendBlend) UsesPaths3() bool { return true }

// Rank re-ranks the pool by the blend.
func (b *FriendBlend) Rank(g *Graph, u int32, cands []Candidate, k int) []Suggestion {
	cands = pool(cands)
	x := features(g, u, cands)
	return rankBy(cands, k, func(i int) float32 { return float32(b.score(&x[i])) })
}

func (b *FriendBlend) score(x *[FeatureCount]float64) float64 {
	s := 0.0
	for i, w := range b.Weights {
		s += w * x[i]
	}
	return s
}

// PopularFriends ranks everyone by friend count: the baseline.
type PopularFriends struct{ order []int32 }

// NewPopularFriends orders g's nodes by degree, most connected first.
func NewPopularFriends(g *Graph) *PopularFriends {
	order := make([]int32, g.N)
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortStableFunc(order, func(a, b int32) int { return g.Degree(b) - g.Degree(a) })
	return &PopularFriends{order: order}
}

// Rank returns the k most connected people who are neither u nor u's friends.
func (p *PopularFriends) Rank(g *Graph, u int32, k int) []Scored {
	var out []Scored
	for _, v := range p.order {
		if len(out) == k {
			break
		}
		if v != u && !g.Has(u, v) {
			out = append(out, Scored{ID: v, Score: float32(g.Degree(v))})
		}
	}
	return out
}
