package recs

import (
	"fmt"
	"io"
	"time"
)

// The splits of the offline evaluation (docs/recommendations.md).
const (
	// SplitSeed seeds both held-out splits.
	SplitSeed = 1
	// SteamHoldOut of each player's games are held out, for players with
	// at least SteamMinGames.
	SteamHoldOut  = 0.2
	SteamMinGames = 5
	// FacebookHoldOut of the friendships are held out.
	FacebookHoldOut = 0.1
	// blendSeed seeds the blend's own hold-out inside the training part.
	blendSeed = SplitSeed + 1
)

// Model names in the tables.
const (
	ModelPopularity = "popularity"
	ModelItemKNN    = "item-kNN (cosine, k=400)"
	ModelItems      = "gamedata items (EASE, λ=100)"
	ModelCommon     = "common neighbours"
	ModelAdamicAdar = "Adamic-Adar"
	ModelRA         = "resource allocation"
	ModelFriends    = "gamedata friends (learned blend)"
)

// EvalSteam splits the play data with SplitSeed and measures popularity,
// item-kNN and the served items model (trained by TrainItems, ranked by
// Recommend) on the held-out games.
func EvalSteam(p *Play) ([]Result, error) {
	split := SplitItems(p.Matrix, SteamHoldOut, SteamMinGames, SplitSeed)
	var out []Result
	add := func(name string, train func() (ItemRanking, error)) error {
		t0 := time.Now()
		r, err := train()
		if err != nil {
			return err
		}
		d := time.Since(t0)
		out = append(out, Result{Model: name, Score: EvaluateItems(split, r, EvalK), Train: d})
		return nil
	}
	cols := split.Train.Cols
	if err := add(ModelPopularity, func() (ItemRanking, error) {
		return ScorerRanking(NewPopularity(split.Train), Binary, cols), nil
	}); err != nil {
		return nil, err
	}
	if err := add(ModelItemKNN, func() (ItemRanking, error) {
		return ScorerRanking(NewItemKNN(split.Train, KNNNeighbours), Binary, cols), nil
	}); err != nil {
		return nil, err
	}
	err := add(ModelItems, func() (ItemRanking, error) {
		m, err := TrainItems(split.Train, cols, DefaultItemsConfig)
		if err != nil {
			return nil, err
		}
		return ModelRanking(m), nil
	})
	return out, err
}

// EvalFacebook splits the graph with SplitSeed and measures popularity,
// common neighbours, Adamic-Adar, resource allocation and the served friends
// model on the held-out friendships.
func EvalFacebook(g *Graph) ([]Result, error) {
	split := SplitEdges(g, FacebookHoldOut, SplitSeed)
	var out []Result
	for _, b := range []struct {
		name string
		r    FriendRanker
	}{{ModelPopularity, nil}, {ModelCommon, CommonNeighbours{}}, {ModelAdamicAdar, AdamicAdar{}}, {ModelRA, ResourceAllocation{}}} {
		out = append(out, Result{Model: b.name, Score: EvaluateFriends(split, nil, b.r, EvalK)})
	}
	t0 := time.Now()
	m, err := TrainFriends(split.Train, nil, blendSeed)
	if err != nil {
		return nil, err
	}
	d := time.Since(t0)
	out = append(out, Result{Model: ModelFriends, Score: EvaluateFriends(split, nil, m.Blend, EvalK), Train: d})
	return out, nil
}

// Find returns the result of the named model.
func Find(rs []Result, model string) (Result, bool) {
	for _, r := range rs {
		if r.Model == model {
			return r, true
		}
	}
	return Result{}, false
}

// WriteTable prints results as a Markdown table, each metric also as a ratio
// to the first row (the popularity baseline).
func WriteTable(w io.Writer, title string, rs []Result) {
	fmt.Fprintf(w, "%s\n\n| model | recall@%d | NDCG@%d | NDCG vs popularity | players | train |\n|---|---|---|---|---|---|\n", title, EvalK, EvalK)
	for _, r := range rs {
		ratio := 0.0
		if len(rs) > 0 && rs[0].NDCG > 0 {
			ratio = r.NDCG / rs[0].NDCG
		}
		train := "-"
		if r.Train > 0 {
			train = r.Train.Round(time.Millisecond).String()
		}
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.2fx | %d | %s |\n", r.Model, round3(r.Recall), round3(r.NDCG), ratio, r.Users, train)
	}
	fmt.Fprintln(w)
}
