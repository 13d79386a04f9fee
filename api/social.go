package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamedata-dev/gamedata"
)

type friendIn struct {
	PlayerPath
	Other string `path:"other" maxLength:"64" doc:"the other player"`
}

type listFriendsIn struct {
	PlayerPath
	Paging
}

// friendsPage is a page of friends' names, newest friendship first, with
// the player's friend count.
type friendsPage struct {
	Items         []string `json:"items" doc:"friends' names, newest friendship first"`
	NextPageToken string   `json:"next_page_token,omitempty" doc:"absent on the last page"`
	Count         int      `json:"count" doc:"how many friends the player has"`
}

type friendsOut struct {
	Body friendsPage
}

type interests struct {
	Tags []string `json:"tags" maxItems:"64" doc:"interest tags: trimmed and lower-cased, repeats dropped, sorted; at most 32 tags of 1 to 32 characters"`
}

type setInterestsIn struct {
	PlayerPath
	Body interests
}

type interestsOut struct {
	Body interests
}

type noContent struct{}

var errNoSocial = newProblem(http.StatusServiceUnavailable, "the store has no social graph").withHeader("Retry-After", "60")

func (s *Server) registerSocial() {
	handle(s, caller, huma.Operation{
		OperationID: "add-friend", Method: http.MethodPut, Path: "/v1/players/{name}/friends/{other}", Tags: []string{"social"},
		Summary:       "Make two players friends (both sides at once)",
		Description:   "Friendship is mutual: each lists the other. Adding friends who are friends already changes nothing. 409 when either has the most friends a player may have (5,000).",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusBadRequest, http.StatusNotFound, http.StatusConflict},
	}, s.addFriend)
	handle(s, caller, huma.Operation{
		OperationID: "remove-friend", Method: http.MethodDelete, Path: "/v1/players/{name}/friends/{other}", Tags: []string{"social"},
		Summary: "End a friendship (both sides at once)", DefaultStatus: http.StatusNoContent,
	}, s.removeFriend)
	handle(s, caller, huma.Operation{
		OperationID: "list-friends", Method: http.MethodGet, Path: "/v1/players/{name}/friends", Tags: []string{"social"},
		Summary: "List a player's friends, newest friendship first", Errors: []int{http.StatusNotFound},
	}, s.listFriends)
	handle(s, caller, huma.Operation{
		OperationID: "set-interests", Method: http.MethodPut, Path: "/v1/players/{name}/interests", Tags: []string{"social"},
		Summary: "Replace a player's interest tags", Errors: []int{http.StatusBadRequest, http.StatusNotFound},
	}, s.setInterests)
	handle(s, caller, huma.Operation{
		OperationID: "get-interests", Method: http.MethodGet, Path: "/v1/players/{name}/interests", Tags: []string{"social"},
		Summary: "Read a player's interest tags", Errors: []int{http.StatusNotFound},
	}, s.getInterests)
}

func (s *Server) addFriend(ctx context.Context, in *friendIn) (*noContent, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	if s.social == nil {
		return nil, errNoSocial
	}
	if err := gamedata.CheckFriends(in.Name, in.Other); err != nil {
		return nil, err
	}
	for _, p := range []struct{ field, name string }{{"name", in.Name}, {"other", in.Other}} {
		if _, err := s.player(ctx, p.field, p.name); err != nil {
			return nil, err
		}
	}
	err := s.social.AddFriend(ctx, in.Name, in.Other, s.clock.Now())
	var limit *gamedata.FriendLimitError
	switch {
	case errors.As(err, &limit):
		return nil, newProblem(http.StatusConflict, limit.Error())
	case errors.Is(err, gamedata.ErrNotFound):
		return nil, newProblem(http.StatusNotFound, "no player named "+in.Name+" or "+in.Other)
	case err != nil:
		return nil, err
	}
	return &noContent{}, nil
}

func (s *Server) removeFriend(ctx context.Context, in *friendIn) (*noContent, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	if s.social == nil {
		return nil, errNoSocial
	}
	if err := s.social.RemoveFriend(ctx, in.Name, in.Other); err != nil {
		return nil, err
	}
	return &noContent{}, nil
}

func (s *Server) listFriends(ctx context.Context, in *listFriendsIn) (*friendsOut, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	if s.social == nil {
		return nil, errNoSocial
	}
	if _, err := s.player(ctx, "name", in.Name); err != nil {
		return nil, err
	}
	page, err := s.social.ListFriends(ctx, in.Name, in.request())
	if err != nil {
		return nil, err
	}
	n, err := s.social.FriendCount(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	out := &friendsOut{Body: friendsPage{Items: make([]string, len(page.Items)), NextPageToken: page.NextToken, Count: n}}
	for i, f := range page.Items {
		out.Body.Items[i] = f.Name
	}
	return out, nil
}

func (s *Server) setInterests(ctx context.Context, in *setInterestsIn) (*interestsOut, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	if s.social == nil {
		return nil, errNoSocial
	}
	tags, err := gamedata.NormalizeTags(in.Body.Tags)
	if err != nil {
		return nil, err
	}
	if err := s.social.SetInterests(ctx, in.Name, tags, s.clock.Now()); err != nil {
		if errors.Is(err, gamedata.ErrNotFound) {
			return nil, newProblem(http.StatusNotFound, "no player named "+in.Name)
		}
		return nil, err
	}
	return &interestsOut{Body: interests{Tags: tags}}, nil
}

func (s *Server) getInterests(ctx context.Context, in *PlayerPath) (*interestsOut, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	if s.social == nil {
		return nil, errNoSocial
	}
	if _, err := s.player(ctx, "name", in.Name); err != nil {
		return nil, err
	}
	got, err := s.social.GetInterests(ctx, in.Name)
	if err != nil {
		return nil, err
	}
	return &interestsOut{Body: interests{Tags: got.Tags}}, nil
}
