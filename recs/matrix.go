package recs

import (
	"cmp"
	"slices"
)

// Vocab maps string ids (player names, item ids, tags) to dense indices.
type Vocab struct {
	index map[string]int32
	names []string
}

// NewVocab returns an empty vocabulary.
func NewVocab() *Vocab { return &Vocab{index: map[string]int32{}} }

// ID returns the index of s, adding it when new.
func (v *Vocab) ID(s string) int32 {
	if i, ok := v.index[s]; ok {
		return i
	}
	i := int32(len(v.names))
	v.index[s] = i
	v.names = append(v.names, s)
	return i
}

// Lookup returns the index of s and whether it is known.
func (v *Vocab) Lookup(s string) (int32, bool) {
	i, ok := v.index[s]
	return i, ok
}

// Name returns the string of index i.
func (v *Vocab) Name(i int32) string { return v.names[i] }

// Len is the number of entries.
func (v *Vocab) Len() int { return len(v.names) }

// Entry is one weighted interaction of a row (a player) with a column (an
// item).
type Entry struct {
	Col    int32
	Weight float32
}

// Matrix is a sparse rows x cols matrix in compressed-row form; each row's
// entries are sorted by column and unique.
type Matrix struct {
	Rows, Cols int
	indptr     []int
	entries    []Entry
}

// Row returns row r's entries (do not modify them).
func (m *Matrix) Row(r int) []Entry { return m.entries[m.indptr[r]:m.indptr[r+1]] }

// NNZ is the number of stored entries.
func (m *Matrix) NNZ() int { return len(m.entries) }

// Triple is one (row, col, weight) cell for Build.
type Triple struct {
	Row, Col int32
	Weight   float32
}

// BuildMatrix makes a matrix of rows x cols from cells; cells naming the same
// (row, col) are summed. It sorts cells in place.
func BuildMatrix(rows, cols int, cells []Triple) *Matrix {
	slices.SortFunc(cells, func(a, b Triple) int {
		if c := cmp.Compare(a.Row, b.Row); c != 0 {
			return c
		}
		return cmp.Compare(a.Col, b.Col)
	})
	m := &Matrix{Rows: rows, Cols: cols, indptr: make([]int, rows+1)}
	m.entries = make([]Entry, 0, len(cells))
	for i, c := range cells {
		if i > 0 && cells[i-1].Row == c.Row && cells[i-1].Col == c.Col {
			m.entries[len(m.entries)-1].Weight += c.Weight
			continue
		}
		m.entries = append(m.entries, Entry{Col: c.Col, Weight: c.Weight})
		m.indptr[c.Row+1]++
	}
	for r := range rows {
		m.indptr[r+1] += m.indptr[r]
	}
	return m
}

// Transpose returns the cols x rows matrix.
func (m *Matrix) Transpose() *Matrix {
	t := &Matrix{Rows: m.Cols, Cols: m.Rows, indptr: make([]int, m.Cols+1), entries: make([]Entry, len(m.entries))}
	for _, e := range m.entries {
		t.indptr[e.Col+1]++
	}
	for c := range m.Cols {
		t.indptr[c+1] += t.indptr[c]
	}
	next := slices.Clone(t.indptr[:m.Cols])
	for r := range m.Rows {
		for _, e := range m.Row(r) {
			t.entries[next[e.Col]] = Entry{Col: int32(r), Weight: e.Weight}
			next[e.Col]++
		}
	}
	return t
}

// ColumnCounts returns how many rows hold each column.
func (m *Matrix) ColumnCounts() []int {
	n := make([]int, m.Cols)
	for _, e := range m.entries {
		n[e.Col]++
	}
	return n
}
