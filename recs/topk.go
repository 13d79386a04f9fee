package recs

import (
	"container/heap"
	"slices"
)

// Scored is one candidate and its score.
type Scored struct {
	ID    int32
	Score float32
}

// better orders candidates: higher score first, then lower id, so that
// every ranking is deterministic.
func better(a, b Scored) bool {
	if a.Score != b.Score {
		return a.Score > b.Score
	}
	return a.ID < b.ID
}

// minHeap keeps the k best candidates seen, the worst on top.
type minHeap []Scored

func (h minHeap) Len() int           { return len(h) }
func (h minHeap) Less(i, j int) bool { return better(h[j], h[i]) }
func (h minHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)        { *h = append(*h, x.(Scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// TopK collects the k best candidates offered to it.
type TopK struct {
	k int
	h minHeap
}

// NewTopK returns a collector of the k best.
func NewTopK(k int) *TopK { return &TopK{k: k, h: make(minHeap, 0, k)} }

// Offer considers one candidate.
func (t *TopK) Offer(s Scored) {
	if t.k <= 0 {
		return
	}
	if len(t.h) < t.k {
		heap.Push(&t.h, s)
		return
	}
	if better(s, t.h[0]) {
		t.h[0] = s
		heap.Fix(&t.h, 0)
	}
}

// Sorted returns the collected candidates, best first, and resets t.
func (t *TopK) Sorted() []Scored {
	out := slices.Clone(t.h)
	slices.SortFunc(out, func(a, b Scored) int {
		if better(a, b) {
			return -1
		}
		if better(b, a) {
			return 1
		}
		return 0
	})
	t.h = t.h[:0]
	return out
}

// TopOf returns the k best of scores, skipping ids for which skip is true.
func TopOf(scores []float32, k int, skip func(int32) bool) []Scored {
	t := NewTopK(k)
	for i, s := range scores {
		if skip != nil && skip(int32(i)) {
			continue
		}
		t.Offer(Scored{ID: int32(i), Score: s})
	}
	return t.Sorted()
}
