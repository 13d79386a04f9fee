package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamedata-dev/gamedata"
)

type recommendationsIn struct {
	PlayerPath
	Kind  string `query:"kind" enum:"items,friends" default:"items" doc:"items: what to buy or play next; friends: people the player may know"`
	Limit int    `query:"limit" minimum:"1" maximum:"20" default:"10" doc:"how many suggestions"`
}

type recommendation struct {
	ID      string   `json:"id" doc:"an item id (items) or a player's name (friends)"`
	Score   float64  `json:"score" doc:"higher is a stronger suggestion; comparable within one answer"`
	Reasons []string `json:"reasons" doc:"why, in words a person can read"`
}

type recommendationsBody struct {
	Kind        string           `json:"kind" enum:"items,friends"`
	Items       []recommendation `json:"items"`
	GeneratedAt time.Time        `json:"generated_at" doc:"when the stored suggestions were built (what changed since is blended in: a new friend's purchases count at once)"`
}

type recommendationsOut struct {
	Body recommendationsBody
}

var errNoRecs = newProblem(http.StatusServiceUnavailable, "recommendations are not configured on this server").withHeader("Retry-After", "60")

func (s *Server) registerRecs() {
	handle(s, caller, huma.Operation{
		OperationID: "recommendations", Method: http.MethodGet, Path: "/v1/players/{name}/recommendations", Tags: []string{"social"},
		Summary:     "Suggest items or friends for a player, with reasons",
		Description: "A player session reads only its own recommendations (403 otherwise). Reasons never carry another player's private data.",
		Errors:      []int{http.StatusNotFound},
	}, s.recommendations)
}

func (s *Server) recommendations(ctx context.Context, in *recommendationsIn) (*recommendationsOut, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	if s.recommender == nil {
		return nil, errNoRecs
	}
	if _, err := s.player(ctx, "name", in.Name); err != nil {
		return nil, err
	}
	r, err := s.recommender.Recommend(ctx, in.Name, gamedata.RecKind(in.Kind), in.Limit)
	if err != nil {
		return nil, err
	}
	out := &recommendationsOut{Body: recommendationsBody{Kind: string(r.Kind), Items: make([]recommendation, len(r.Items)), GeneratedAt: r.GeneratedAt}}
	if out.Body.GeneratedAt.IsZero() {
		out.Body.GeneratedAt = s.clock.Now() // nothing built yet: all of it is blended now
	}
	for i, it := range r.Items {
		out.Body.Items[i] = recommendation{ID: it.ID, Score: it.Score, Reasons: it.Reasons}
	}
	return out, nil
}
