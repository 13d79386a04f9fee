package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamedata-dev/gamedata"
)

// maxEventFuture is how far ahead of the server's clock an event may be.
const maxEventFuture = time.Hour

type newEvent struct {
	Player string          `json:"player" minLength:"1" maxLength:"64"`
	Type   string          `json:"type" minLength:"1" maxLength:"64"`
	At     *time.Time      `json:"at,omitempty" doc:"when it happened (RFC 3339); default now; within the retention period and at most 1h ahead"`
	Data   json.RawMessage `json:"data,omitempty" doc:"a JSON object of at most 8 KiB"`
}

type appendEventsIn struct {
	IdempotencyHeader
	Body struct {
		Events []newEvent `json:"events" minItems:"1" maxItems:"1000"`
	}
}

type accepted struct {
	Accepted int `json:"accepted"`
}

type listEventsIn struct {
	PlayerPath
	From time.Time `query:"from" doc:"oldest time included (RFC 3339)"`
	To   time.Time `query:"to" doc:"newest time excluded (RFC 3339)"`
	Paging
}

func (s *Server) registerEvents() {
	handle(s, serverOnly, huma.Operation{
		OperationID: "append-events", Method: http.MethodPost, Path: "/v1/events", Tags: []string{"events"},
		Summary: "Log up to 1000 events", DefaultStatus: http.StatusAccepted,
	}, s.appendEvents)
	handle(s, caller, huma.Operation{
		OperationID: "list-events", Method: http.MethodGet, Path: "/v1/players/{name}/events", Tags: []string{"events"},
		Summary: "List a player's events in [from, to), newest first",
	}, s.listEvents)
}

func (s *Server) appendEvents(ctx context.Context, in *appendEventsIn) (*answer[accepted], error) {
	return idempotent[[]gamedata.Event, accepted]{
		op: "append-events", same: in.Body,
		prepare: func() ([]gamedata.Event, error) { return s.newEvents(in) },
		// Appended again with their ids, events are stored once.
		run: func(events []gamedata.Event, _ attempt) (*answer[accepted], error) {
			for i := range events {
				events[i].ExpiresAt = events[i].At.Add(s.retention)
			}
			if err := s.store.AppendEvents(ctx, events); err != nil {
				return nil, err
			}
			return &answer[accepted]{Status: http.StatusAccepted, Body: accepted{Accepted: len(events)}}, nil
		},
	}.do(ctx, s, in.IdempotencyKey)
}

// newEvents checks the events of in and gives each its id and time.
func (s *Server) newEvents(in *appendEventsIn) ([]gamedata.Event, error) {
	if n := len(in.Body.Events); n < 1 || n > gamedata.EventBatchMax {
		return nil, invalid("events", fmt.Sprintf("must hold 1 to %d events", gamedata.EventBatchMax))
	}
	now := s.clock.Now()
	oldest, newest := now.Add(-s.retention), now.Add(maxEventFuture)
	v := &gamedata.ValidationError{}
	events := make([]gamedata.Event, 0, len(in.Body.Events))
	for i, e := range in.Body.Events {
		field := func(name string) string { return fmt.Sprintf("events[%d].%s", i, name) }
		if n := utf8.RuneCountInString(e.Type); n < 1 || n > gamedata.EventTypeMaxLen {
			v.Add(field("type"), "must be 1 to %d characters", gamedata.EventTypeMaxLen)
		}
		at := now
		if e.At != nil {
			at = e.At.UTC()
			if at.Before(oldest) || at.After(newest) {
				v.Add(field("at"), "must be within the retention period (%s) and at most %s ahead", s.retention, maxEventFuture)
			}
		}
		data, why := eventData(e.Data)
		if why != "" {
			v.Add(field("data"), "%s", why)
		}
		events = append(events, gamedata.Event{ID: gamedata.NewID(at), Player: e.Player, Type: e.Type, At: at, Data: data})
	}
	return events, v.Err()
}

// eventData compacts an event's data, which must be a JSON object of at most
// 8 KiB, or absent (null counts as absent).
func eventData(raw json.RawMessage) (json.RawMessage, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, ""
	}
	if raw[0] != '{' {
		return nil, "must be a JSON object"
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, "is not valid JSON"
	}
	if buf.Len() > gamedata.EventDataMaxSize {
		return nil, fmt.Sprintf("must be at most %d bytes", gamedata.EventDataMaxSize)
	}
	return buf.Bytes(), ""
}

func (s *Server) listEvents(ctx context.Context, in *listEventsIn) (*pageOut[gamedata.Event], error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	if !in.From.IsZero() && !in.To.IsZero() && in.To.Before(in.From) {
		return nil, invalid("to", "must not be before from")
	}
	return pageOf(s.store.ListEvents(ctx, in.Name, gamedata.EventRange{From: in.From, To: in.To}, in.request()))
}
