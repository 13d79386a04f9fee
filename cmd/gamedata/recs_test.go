package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedata-dev/gamedata/client"
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

// serve builds recommendations on schedule from its start, and "recs build"
// builds them on the store of a running server, which serves them at once.
func TestRecsBuildOnARunningServer(t *testing.T) {
	dataDir := t.TempDir()
	s := startServer(t, serverOpts{args: []string{"--addr", "127.0.0.1:0", "--data-dir", dataDir}})
	if line := s.waitLog(`"msg":"recs build"`); !strings.Contains(line, `"players":0`) {
		t.Errorf("the scheduled build at start: %s", line)
	}
	ctx := t.Context()
	admin := must[*client.Client](t, "client")(client.New(s.URL, client.WithToken(readSecretFile(t, dataDir+"/admin.key"))))
	for _, name := range []string{"Ann", "Ben", "Cid"} {
		if _, err := admin.CreatePlayer(ctx, client.NewPlayer{Name: name, Password: "correct-horse-battery"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, buy := range [][2]string{{"Ben", "sword"}, {"Ben", "shield"}, {"Cid", "sword"}, {"Cid", "shield"}, {"Ann", "shield"}} {
		o, _, err := admin.CreateOrder(ctx, buy[0], client.NewOrder{Item: buy[1], Amount: 1, Price: 100})
		if err == nil {
			_, err = admin.PayOrder(ctx, buy[0], o.ID)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := admin.AddFriend(ctx, "Ann", "Ben"); err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runCLI(t, nil, "recs", "build", "--data-dir", dataDir, "--recs-workers", "2")
	if err != nil || !strings.Contains(out, "built recommendations for 3 players (3 stored)") || !strings.Contains(errOut, "recs build: read 3 players") {
		t.Fatalf("recs build: %v\n%s%s", err, out, errOut)
	}
	r, err := admin.Recommendations(ctx, "ann", "items", 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Items) == 0 || r.Items[0].ID != "sword" || r.GeneratedAt.IsZero() {
		t.Errorf("ann's items after the build: %+v", r)
	}
}
