package recs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// datasets returns the shared datasets folder: outside CI a test without it
// skips, saying where it looked; under CI=true it fails.
func datasets(t *testing.T) string {
	t.Helper()
	dir := FindDatasets(".")
	if dir == "" {
		msg := "the shared datasets (" + SteamFile + ", " + FacebookFile + ") are not in shared/datasets beside the repository or any folder above it; set GAMEDATA_DATASETS to their folder"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

// TestItemsBeatBaselinesOnSteam is the items half of the offline
// evaluation: on the Steam play data, with 20% of each player's games held
// out (players with at least 5), the served items model must beat both
// popularity and item-kNN on NDCG@10 by a clear margin.
func TestItemsBeatBaselinesOnSteam(t *testing.T) {
	p, err := ReadSteamFile(filepath.Join(datasets(t), SteamFile))
	if err != nil {
		t.Fatal(err)
	}
	if p.Players.Len() < 9000 || p.Items.Len() < 3500 {
		t.Fatalf("steam data: %d players, %d games; the README says 9,418 and 3,589", p.Players.Len(), p.Items.Len())
	}
	rs, err := EvalSteam(p)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	WriteTable(&b, "Steam", rs)
	t.Log("\n" + b.String())
	pop, _ := Find(rs, ModelPopularity)
	knn, _ := Find(rs, ModelItemKNN)
	items, _ := Find(rs, ModelItems)
	if items.Users < 2000 || items.Users != pop.Users {
		t.Fatalf("evaluated %d players (popularity %d): the split lost its players", items.Users, pop.Users)
	}
	const margin = 1.2 // a clear margin: at least 20% better
	for _, base := range []Result{pop, knn} {
		if items.NDCG < margin*base.NDCG {
			t.Errorf("items NDCG@10 %.3f is not %.1fx %s's %.3f", items.NDCG, margin, base.Model, base.NDCG)
		}
	}
}

// TestFriendsBeatAdamicAdarOnFacebook is the friends half: with 10% of the
// friendships held out, the served friends model must beat Adamic-Adar (and
// popularity) on NDCG@10.
func TestFriendsBeatAdamicAdarOnFacebook(t *testing.T) {
	g, _, err := ReadEdgesFile(filepath.Join(datasets(t), FacebookFile))
	if err != nil {
		t.Fatal(err)
	}
	if g.N != 4039 || g.NumEdges() != 88234 {
		t.Fatalf("facebook graph: %d people, %d friendships; the README says 4,039 and 88,234", g.N, g.NumEdges())
	}
	rs, err := EvalFacebook(g)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	WriteTable(&b, "Facebook", rs)
	t.Log("\n" + b.String())
	pop, _ := Find(rs, ModelPopularity)
	aa, _ := Find(rs, ModelAdamicAdar)
	friends, _ := Find(rs, ModelFriends)
	if friends.NDCG <= aa.NDCG || friends.Recall <= aa.Recall {
		t.Errorf("friends NDCG@10 %.3f recall@10 %.3f do not beat Adamic-Adar's %.3f %.3f", friends.NDCG, friends.Recall, aa.NDCG, aa.Recall)
	}
	if friends.NDCG < 2*pop.NDCG {
		t.Errorf("friends NDCG@10 %.3f is not twice popularity's %.3f", friends.NDCG, pop.NDCG)
	}
}
