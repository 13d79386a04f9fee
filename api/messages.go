package api

import (
	"context"
	"errors"
	"net/http"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamedata-dev/gamedata"
)

type sendMessageIn struct {
	IdempotencyHeader
	Body struct {
		From string `json:"from" minLength:"1" maxLength:"64" doc:"sender; a player session may only send as itself"`
		To   string `json:"to" minLength:"1" maxLength:"64" doc:"receiver; must exist"`
		Text string `json:"text" minLength:"1" maxLength:"4000"`
	}
}

type listMessagesIn struct {
	PlayerPath
	Paging
}

type conversationIn struct {
	PlayerPath
	Other string `path:"other" maxLength:"64" doc:"the other player"`
	Paging
}

func (s *Server) registerMessages() {
	handle(s, caller, huma.Operation{
		OperationID: "send-message", Method: http.MethodPost, Path: "/v1/messages", Tags: []string{"messages"},
		Summary: "Send a message (kept for the retention period, one year by default)", DefaultStatus: http.StatusCreated,
		Errors: []int{http.StatusNotFound},
	}, s.sendMessage)
	lists := []struct {
		id, path, summary string
		list              func(context.Context, string, gamedata.PageRequest) (gamedata.Page[gamedata.Message], error)
	}{
		{"inbox", "/v1/players/{name}/inbox", "List the messages a player received, newest first", s.store.Inbox},
		{"sent", "/v1/players/{name}/sent", "List the messages a player sent, newest first", s.store.Sent},
	}
	for _, l := range lists {
		handle(s, caller, huma.Operation{
			OperationID: l.id, Method: http.MethodGet, Path: l.path, Tags: []string{"messages"}, Summary: l.summary,
		}, func(ctx context.Context, in *listMessagesIn) (*pageOut[gamedata.Message], error) {
			if err := actFor(ctx, in.Name); err != nil {
				return nil, err
			}
			return pageOf(l.list(ctx, in.Name, in.request()))
		})
	}
	handle(s, caller, huma.Operation{
		OperationID: "conversation", Method: http.MethodGet, Path: "/v1/players/{name}/conversations/{other}",
		Tags: []string{"messages"}, Summary: "List the messages between two players, both directions, newest first",
	}, s.conversation)
}

func (s *Server) sendMessage(ctx context.Context, in *sendMessageIn) (*answer[gamedata.Message], error) {
	b := in.Body
	return idempotent[gamedata.Message, gamedata.Message]{
		op: "send-message", same: b,
		prepare: func() (gamedata.Message, error) {
			if err := actFor(ctx, b.From); err != nil {
				return gamedata.Message{}, forbidden("a player session may send only as its own player (from)")
			}
			if n := utf8.RuneCountInString(b.Text); n < 1 || n > gamedata.TextMaxLen {
				return gamedata.Message{}, invalid("text", "must be 1 to 4000 characters")
			}
			from, err := s.player(ctx, "from", b.From)
			if err != nil {
				return gamedata.Message{}, err
			}
			to, err := s.player(ctx, "to", b.To)
			if err != nil {
				return gamedata.Message{}, err
			}
			now := s.clock.Now()
			return gamedata.Message{ID: gamedata.NewID(now), From: from.Name, To: to.Name, Text: b.Text, CreatedAt: now}, nil
		},
		// Sent again with its id, a message is stored once.
		run: func(m gamedata.Message, _ attempt) (*answer[gamedata.Message], error) {
			m.ExpiresAt = m.CreatedAt.Add(s.retention)
			if err := s.store.SendMessage(ctx, m); err != nil {
				return nil, err
			}
			return &answer[gamedata.Message]{Status: http.StatusCreated, Body: m}, nil
		},
	}.do(ctx, s, in.IdempotencyKey)
}

// player reads the player named in field, answering 404 naming the field.
func (s *Server) player(ctx context.Context, field, name string) (gamedata.Player, error) {
	p, err := s.store.GetPlayer(ctx, name)
	if errors.Is(err, gamedata.ErrNotFound) {
		return p, newProblem(http.StatusNotFound, "no player named "+name,
			gamedata.FieldError{Field: field, Message: "no such player"})
	}
	return p, err
}

func (s *Server) conversation(ctx context.Context, in *conversationIn) (*pageOut[gamedata.Message], error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	return pageOf(s.store.Conversation(ctx, in.Name, in.Other, in.request()))
}
