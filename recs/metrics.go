package recs

import "math"

// Ranking metrics over binary relevance, as the common libraries compute
// them (Microsoft Recommenders' recall_at_k and ndcg_at_k): recall@k is the
// share of a player's held-out items found in the top k; NDCG@k is the
// discounted gain of the hits, 1/log2(rank+1), over the best gain possible
// with min(k, held-out) hits.

// RecallAt returns recall@k of ranked against the relevant set.
func RecallAt(k int, ranked []int32, relevant map[int32]bool) float64 {
	if len(relevant) == 0 {
		return 0
	}
	return float64(hits(k, ranked, relevant)) / float64(len(relevant))
}

// NDCGAt returns NDCG@k of ranked against the relevant set.
func NDCGAt(k int, ranked []int32, relevant map[int32]bool) float64 {
	if len(relevant) == 0 {
		return 0
	}
	dcg := 0.0
	for i, id := range ranked[:min(k, len(ranked))] {
		if relevant[id] {
			dcg += 1 / math.Log2(float64(i)+2)
		}
	}
	idcg := 0.0
	for i := range min(k, len(relevant)) {
		idcg += 1 / math.Log2(float64(i)+2)
	}
	return dcg / idcg
}

func hits(k int, ranked []int32, relevant map[int32]bool) int {
	n := 0
	for _, id := range ranked[:min(k, len(ranked))] {
		if relevant[id] {
			n++
		}
	}
	return n
}
