package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recs eval reads both files and prints one table each, every model beside
// popularity. Small made-up files keep it quick; the real datasets are
// measured by the recs package's tests.
func TestRecsEvalPrintsBothTables(t *testing.T) {
	dir := t.TempDir()
	var steam, edges strings.Builder
	steam.WriteString("user-id,game-title,value,\n")
	for u := range 60 {
		for g := range 8 {
			fmt.Fprintf(&steam, "%d,\"Game, %d\",%d.5,\n", u, (u+g*g)%20, g+1)
		}
	}
	edges.WriteString("60\n")
	for u := range 60 {
		for _, d := range []int{1, 2, 3, 7} {
			fmt.Fprintf(&edges, "%d %d 1\n", u, (u+d)%60)
		}
	}
	edges.WriteString("-1\n")
	sp, fp := filepath.Join(dir, "steam.csv"), filepath.Join(dir, "edges.txt")
	if err := os.WriteFile(sp, []byte(steam.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fp, []byte(edges.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out := mustCLI(t, nil, "recs", "eval", "--steam", sp, "--facebook", fp)
	for _, want := range []string{"60 players, 20 games", "60 people, 240 friendships", "| popularity |",
		"| item-kNN", "| gamedata items", "| Adamic-Adar |", "| gamedata friends", "seed 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("recs eval output lacks %q:\n%s", want, out)
		}
	}
}
