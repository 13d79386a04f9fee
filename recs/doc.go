// Package recs holds the recommendation models of gamedata: what to buy or
// play next (items) and people you may know (friends), their offline
// evaluation on held-out data, and the pieces the build and the server share.
//
// The models train on plain in-memory data (a sparse players x items matrix,
// a friendship graph, interest tags), so the offline evaluation and
// `gamedata recs build` run the very same code. docs/recommendations.md
// describes the models, how they were chosen and how serving blends them.
package recs
