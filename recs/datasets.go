package recs

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Play is a player's history read from a dataset: rows are players, columns
// items, weights the raw value (hours played).
type Play struct {
	Players, Items *Vocab
	Matrix         *Matrix
}

// ReadSteam reads the Steam play-hours CSV (user-id,game-title,value,): one
// row per player and game, value the hours played. Rows of one player and
// game add up.
func ReadSteam(r io.Reader) (*Play, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	p := &Play{Players: NewVocab(), Items: NewVocab()}
	var cells []Triple
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("recs: steam line %d: %w", line, err)
		}
		if line == 1 && len(rec) > 0 && rec[0] == "user-id" {
			continue
		}
		if len(rec) < 3 {
			return nil, fmt.Errorf("recs: steam line %d: %d fields, want user-id,game-title,value", line, len(rec))
		}
		hours, err := strconv.ParseFloat(strings.TrimSpace(rec[2]), 32)
		if err != nil {
			return nil, fmt.Errorf("recs: steam line %d: value %q: %w", line, rec[2], err)
		}
		cells = append(cells, Triple{Row: p.Players.ID(rec[0]), Col: p.Items.ID(rec[1]), Weight: float32(hours)})
	}
	p.Matrix = BuildMatrix(p.Players.Len(), p.Items.Len(), cells)
	return p, nil
}

// ReadEdges reads an undirected graph as SNAP writes it: lines of "a b" (a
// third column, a weight, is ignored), each friendship once or in both
// directions. Lines of one number (the node count at the top, a -1 end
// marker) and lines starting with # are skipped.
func ReadEdges(r io.Reader) (*Graph, *Vocab, error) {
	sc := bufio.NewScanner(r)
	nodes := NewVocab()
	var edges [][2]int32
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) <= 1 || strings.HasPrefix(f[0], "#") {
			continue
		}
		a, b := nodes.ID(f[0]), nodes.ID(f[1])
		if a != b {
			edges = append(edges, [2]int32{a, b})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("recs: edges: %w", err)
	}
	return NewGraph(nodes.Len(), edges), nodes, nil
}

// ReadSteamFile and ReadEdgesFile open a file and read it.
func ReadSteamFile(path string) (*Play, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ReadSteam(f)
}

// ReadEdgesFile reads a graph file (see ReadEdges).
func ReadEdgesFile(path string) (*Graph, *Vocab, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return ReadEdges(f)
}

// Dataset file names in the shared datasets folder.
const (
	SteamFile    = "steam-play-hours.csv"
	FacebookFile = "facebook-ego-edges.txt"
)

// FindDatasets looks for the shared datasets folder: $GAMEDATA_DATASETS when
// set, else shared/datasets beside dir or beside any folder above it (the
// repository's ../shared/datasets, also from a worktree nested deeper). It
// returns "" when there is none.
func FindDatasets(dir string) string {
	if d := os.Getenv("GAMEDATA_DATASETS"); d != "" {
		return d
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "shared", "datasets")
		if _, err := os.Stat(filepath.Join(cand, SteamFile)); err == nil {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}
