package recs

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Weighting turns an interaction's raw value (hours played, units bought)
// into the weight a model trains on.
type Weighting int

const (
	// Binary counts an interaction once, however large.
	Binary Weighting = iota
	// LogValue weighs an interaction by 1 + ln(1 + value): more hours count
	// more, with diminishing returns.
	LogValue
)

func (w Weighting) String() string {
	if w == LogValue {
		return "log"
	}
	return "binary"
}

// Apply returns the weight of a raw value.
func (w Weighting) Apply(v float32) float32 {
	if w == LogValue {
		return 1 + float32(math.Log1p(math.Max(float64(v), 0)))
	}
	return 1
}

// Weigh returns a copy of m with every weight passed through w.
func (w Weighting) Weigh(m *Matrix) *Matrix {
	out := &Matrix{Rows: m.Rows, Cols: m.Cols, indptr: m.indptr, entries: make([]Entry, len(m.entries))}
	for i, e := range m.entries {
		out.entries[i] = Entry{Col: e.Col, Weight: w.Apply(e.Weight)}
	}
	return out
}

// ItemScorer scores every item for one player's history. Implementations are
// read-only once trained and safe for concurrent use.
type ItemScorer interface {
	// Scores adds to scores (one per column) the score of each item for a
	// player whose weighted history is h.
	Scores(h []Entry, scores []float32)
	// Link is how much history item i adds, per unit of weight, to item
	// j's score: the reasons name the history item with the largest link.
	Link(i, j int32) float32
}

// Popularity scores an item by how many players hold it: the baseline.
type Popularity struct {
	counts []float32
	total  float32
}

// NewPopularity counts the players of each item of m.
func NewPopularity(m *Matrix) *Popularity {
	p := &Popularity{counts: make([]float32, m.Cols)}
	for c, n := range m.ColumnCounts() {
		p.counts[c] = float32(n)
		p.total += float32(n)
	}
	return p
}

// Scores adds each item's player count.
func (p *Popularity) Scores(_ []Entry, scores []float32) {
	for j, c := range p.counts {
		scores[j] += c
	}
}

// Link is zero: popularity has no reason in the player's history.
func (p *Popularity) Link(_, _ int32) float32 { return 0 }

// Count is how many players hold item j.
func (p *Popularity) Count(j int32) float32 { return p.counts[j] }

// ItemKNN is item-based collaborative filtering: two items are alike by the
// cosine of their player vectors, each item keeps its K most alike, and an
// item scores the sum of its likeness to the player's items.
type ItemKNN struct {
	neighbours [][]Scored // per item, sorted by id for Link
}

// NewItemKNN trains item-kNN with k neighbours per item on m (binary).
func NewItemKNN(m *Matrix, k int) *ItemKNN {
	t := m.Transpose()
	norms := make([]float64, m.Cols)
	for j := range m.Cols {
		norms[j] = math.Sqrt(float64(len(t.Row(j))))
	}
	knn := &ItemKNN{neighbours: make([][]Scored, m.Cols)}
	parallelRange(m.Cols, func(lo, hi int) {
		co := make([]float32, m.Cols)
		touched := make([]int32, 0, 1024)
		top := NewTopK(k)
		for i := lo; i < hi; i++ {
			for _, u := range t.Row(i) {
				for _, e := range m.Row(int(u.Col)) {
					if co[e.Col] == 0 {
						touched = append(touched, e.Col)
					}
					co[e.Col]++
				}
			}
			for _, j := range touched {
				if int(j) != i {
					top.Offer(Scored{ID: j, Score: float32(float64(co[j]) / (norms[i] * norms[j]))})
				}
				co[j] = 0
			}
			touched = touched[:0]
			nb := top.Sorted()
			slices.SortFunc(nb, func(a, b Scored) int { return int(a.ID - b.ID) })
			knn.neighbours[i] = nb
		}
	})
	return knn
}

// Scores adds, for each history item, its likeness to each neighbour.
func (k *ItemKNN) Scores(h []Entry, scores []float32) {
	for _, e := range h {
		for _, n := range k.neighbours[e.Col] {
			scores[n.ID] += n.Score
		}
	}
}

// Link is the likeness of j to i, zero when j is not among i's neighbours.
func (k *ItemKNN) Link(i, j int32) float32 {
	nb := k.neighbours[i]
	if x, ok := slices.BinarySearchFunc(nb, j, func(s Scored, id int32) int { return int(s.ID - id) }); ok {
		return nb[x].Score
	}
	return 0
}

// EASE is Steck's "Embarrassingly Shallow Autoencoder" (WWW 2019): an
// item-item weight matrix B learned in closed form, B = I - P diagMat(1 /
// diag(P)) with P = (XᵀX + λI)⁻¹, so that X·B predicts X without the trivial
// solution (diag B = 0). An item scores the weighted sum of its rows of B.
//
// The inverse costs n³: EASE keeps the items held by at least MinSupport
// players, at most MaxItems of them (the most held); the others score zero.
type EASE struct {
	n     int
	local []int32 // column -> index in B, -1 when not kept
	cols  []int32 // index in B -> column
	b     []float32
}

// EASEConfig sets EASE's regularisation and how many items it keeps.
type EASEConfig struct {
	Lambda     float64
	MinSupport int
	MaxItems   int
}

// NewEASE trains EASE on m as weighted.
func NewEASE(m *Matrix, cfg EASEConfig) (*EASE, error) {
	counts := m.ColumnCounts()
	var kept []int32
	for j, c := range counts {
		if c >= max(cfg.MinSupport, 1) {
			kept = append(kept, int32(j))
		}
	}
	if cfg.MaxItems > 0 && len(kept) > cfg.MaxItems {
		slices.SortStableFunc(kept, func(a, b int32) int { return counts[b] - counts[a] })
		kept = kept[:cfg.MaxItems]
		slices.Sort(kept)
	}
	n := len(kept)
	e := &EASE{n: n, cols: kept, local: make([]int32, m.Cols), b: make([]float32, n*n)}
	for j := range e.local {
		e.local[j] = -1
	}
	for i, c := range kept {
		e.local[c] = int32(i)
	}
	if n == 0 {
		return e, nil
	}
	g := make([]float64, n*n)
	var row []Entry
	for r := range m.Rows {
		row = row[:0]
		for _, x := range m.Row(r) {
			if l := e.local[x.Col]; l >= 0 {
				row = append(row, Entry{Col: l, Weight: x.Weight})
			}
		}
		for a, ea := range row {
			wa := float64(ea.Weight)
			base := int(ea.Col) * n
			for _, eb := range row[a:] {
				g[base+int(eb.Col)] += wa * float64(eb.Weight)
			}
		}
	}
	for i := range n {
		g[i*n+i] += cfg.Lambda
	}
	// SymDense reads the upper triangle, which the loop above filled (the
	// rows are sorted, so a <= b).
	sym := mat.NewSymDense(n, g)
	var ch mat.Cholesky
	if ok := ch.Factorize(sym); !ok {
		return nil, fmt.Errorf("recs: EASE gram matrix is not positive definite (lambda %g)", cfg.Lambda)
	}
	var p mat.SymDense
	if err := ch.InverseTo(&p); err != nil {
		return nil, fmt.Errorf("recs: EASE inverse: %w", err)
	}
	raw := p.RawSymmetric().Data // upper triangle valid
	at := func(i, j int) float64 {
		if i > j {
			i, j = j, i
		}
		return raw[i*n+j]
	}
	for i := range n {
		for j := range n {
			if i != j {
				e.b[i*n+j] = float32(-at(i, j) / at(j, j))
			}
		}
	}
	return e, nil
}

// Scores adds the history's weighted rows of B.
func (e *EASE) Scores(h []Entry, scores []float32) {
	for _, x := range h {
		l := e.local[x.Col]
		if l < 0 {
			continue
		}
		row := e.b[int(l)*e.n : int(l+1)*e.n]
		w := x.Weight
		for j, b := range row {
			scores[e.cols[j]] += w * b
		}
	}
}

// Link is B[i][j], zero for an item EASE did not keep.
func (e *EASE) Link(i, j int32) float32 {
	li, lj := e.local[i], e.local[j]
	if li < 0 || lj < 0 {
		return 0
	}
	return e.b[int(li)*e.n+int(lj)]
}
