package recs

import (
	"cmp"
	"slices"
)

// Graph is an undirected friendship graph over nodes 0..N-1; each node's
// friends are sorted and unique.
type Graph struct {
	N   int
	adj [][]int32
}

// NewGraph makes a graph of n nodes from friendships given in either or both
// directions; self loops are dropped.
func NewGraph(n int, edges [][2]int32) *Graph {
	g := &Graph{N: n, adj: make([][]int32, n)}
	for _, e := range edges {
		if e[0] == e[1] {
			continue
		}
		g.adj[e[0]] = append(g.adj[e[0]], e[1])
		g.adj[e[1]] = append(g.adj[e[1]], e[0])
	}
	for i, a := range g.adj {
		slices.Sort(a)
		g.adj[i] = slices.Compact(a)
	}
	return g
}

// Friends returns u's friends, sorted (do not modify).
func (g *Graph) Friends(u int32) []int32 { return g.adj[u] }

// Degree is u's friend count.
func (g *Graph) Degree(u int32) int { return len(g.adj[u]) }

// Has reports whether u and v are friends.
func (g *Graph) Has(u, v int32) bool {
	_, ok := slices.BinarySearch(g.adj[u], v)
	return ok
}

// Edges lists every friendship once, lower id first, sorted.
func (g *Graph) Edges() [][2]int32 {
	var out [][2]int32
	for u, a := range g.adj {
		for _, v := range a {
			if int32(u) < v {
				out = append(out, [2]int32{int32(u), v})
			}
		}
	}
	slices.SortFunc(out, func(a, b [2]int32) int {
		if c := cmp.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return cmp.Compare(a[1], b[1])
	})
	return out
}

// NumEdges is the number of friendships.
func (g *Graph) NumEdges() int {
	n := 0
	for _, a := range g.adj {
		n += len(a)
	}
	return n / 2
}
