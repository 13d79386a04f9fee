package recs

import (
	"math"
	"math/rand/v2"
)

// Split of the item evaluation: each player with at least MinItems items
// lends a HoldOut share of them, chosen at random with a fixed seed, to the
// test; the rest train.
type ItemSplit struct {
	Train *Matrix
	Test  [][]int32 // per row, the held-out items (nil for most)
}

// SplitItems holds out share of each row's entries for rows with at least
// minItems entries. The choice depends only on seed and the row, so the split
// is the same on every run.
func SplitItems(m *Matrix, share float64, minItems int, seed uint64) ItemSplit {
	var cells []Triple
	test := make([][]int32, m.Rows)
	for r := range m.Rows {
		row := m.Row(r)
		held := map[int]bool{}
		if len(row) >= minItems {
			rng := rand.New(rand.NewPCG(seed, uint64(r)))
			n := max(1, int(math.Round(share*float64(len(row)))))
			for _, i := range rng.Perm(len(row))[:n] {
				held[i] = true
			}
		}
		for i, e := range row {
			if held[i] {
				test[r] = append(test[r], e.Col)
				continue
			}
			cells = append(cells, Triple{Row: int32(r), Col: e.Col, Weight: e.Weight})
		}
	}
	return ItemSplit{Train: BuildMatrix(m.Rows, m.Cols, cells), Test: test}
}

// GraphSplit holds out a share of a graph's friendships.
type GraphSplit struct {
	Train *Graph
	Test  [][]int32 // per node, its held-out friends
}

// SplitEdges holds out share of g's friendships, chosen at random with a
// fixed seed; each held-out friendship is a test item of both its ends.
func SplitEdges(g *Graph, share float64, seed uint64) GraphSplit {
	edges := g.Edges()
	rng := rand.New(rand.NewPCG(seed, 0))
	rng.Shuffle(len(edges), func(i, j int) { edges[i], edges[j] = edges[j], edges[i] })
	n := int(math.Round(share * float64(len(edges))))
	test := make([][]int32, g.N)
	for _, e := range edges[:n] {
		test[e[0]] = append(test[e[0]], e[1])
		test[e[1]] = append(test[e[1]], e[0])
	}
	return GraphSplit{Train: NewGraph(g.N, edges[n:]), Test: test}
}
