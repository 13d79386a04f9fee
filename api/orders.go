package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

type orderOut struct {
	Status int
	Body   gamedata.Order
}

type createOrderIn struct {
	PlayerPath
	Body struct {
		Item           string         `json:"item" minLength:"1" maxLength:"128"`
		Amount         int            `json:"amount" minimum:"1" maximum:"1000000"`
		Price          gamedata.Money `json:"price"`
		IdempotencyKey string         `json:"idempotency_key,omitempty" maxLength:"128" doc:"the same key for the same player returns the first order (200), never a second one"`
	}
}

type orderIn struct {
	PlayerPath
	ID string `path:"id" doc:"order id (a time-ordered UUID)"`
}

type listOrdersIn struct {
	PlayerPath
	Paging
}

func (s *Server) registerOrders() {
	handle(s, caller, huma.Operation{
		OperationID: "create-order", Method: http.MethodPost, Path: "/v1/players/{name}/orders", Tags: []string{"orders"},
		Summary: "Create an order", DefaultStatus: http.StatusCreated,
		Description: "201 with a new order; 200 with the first order when idempotency_key was used before by this player.",
		Errors:      []int{http.StatusNotFound},
	}, s.createOrder)
	handle(s, caller, huma.Operation{
		OperationID: "list-orders", Method: http.MethodGet, Path: "/v1/players/{name}/orders", Tags: []string{"orders"},
		Summary: "List a player's orders, newest first",
	}, s.listOrders)
	handle(s, caller, huma.Operation{
		OperationID: "get-order", Method: http.MethodGet, Path: "/v1/players/{name}/orders/{id}", Tags: []string{"orders"},
		Summary: "Read an order", Errors: []int{http.StatusNotFound},
	}, s.getOrder)
	handle(s, serverOnly, huma.Operation{
		OperationID: "pay-order", Method: http.MethodPost, Path: "/v1/players/{name}/orders/{id}/pay", Tags: []string{"orders"},
		Summary:     "Mark an order paid, exactly once",
		Description: "Of any number of concurrent calls exactly one succeeds; the others, and any later call, get 409.",
		Errors:      []int{http.StatusNotFound, http.StatusConflict},
	}, s.payOrder)
}

func (s *Server) createOrder(ctx context.Context, in *createOrderIn) (*orderOut, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	b := &in.Body
	v := &gamedata.ValidationError{}
	gamedata.ValidateOrder(v, b.Item, b.Amount, b.IdempotencyKey)
	if b.Price > gamedata.MaxMoney || b.Price < 0 {
		v.Add("price", "must be from 0 to %s", gamedata.MaxMoney)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	p, err := s.player(ctx, "name", in.Name)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	o, created, err := s.store.CreateOrder(ctx, gamedata.Order{
		ID: gamedata.NewID(now), UserName: p.Name, Item: b.Item, Amount: b.Amount, Price: b.Price,
		Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now,
	}, b.IdempotencyKey)
	if err != nil {
		return nil, err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return &orderOut{Status: status, Body: o}, nil
}

func (s *Server) listOrders(ctx context.Context, in *listOrdersIn) (*pageOut[gamedata.Order], error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	return pageOf(s.store.ListOrders(ctx, in.Name, in.request()))
}

func (s *Server) getOrder(ctx context.Context, in *orderIn) (*orderOut, error) {
	id, err := in.parse(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.store.GetOrder(ctx, in.Name, id)
	if err != nil {
		return nil, err
	}
	return &orderOut{Status: http.StatusOK, Body: o}, nil
}

func (s *Server) payOrder(ctx context.Context, in *orderIn) (*orderOut, error) {
	id, err := in.parse(ctx)
	if err != nil {
		return nil, err
	}
	o, err := s.store.PayOrder(ctx, in.Name, id, s.clock.Now())
	switch {
	case errors.Is(err, gamedata.ErrConflict):
		return nil, newProblem(http.StatusConflict, "the order is paid already")
	case err != nil:
		return nil, err
	}
	return &orderOut{Status: http.StatusOK, Body: o}, nil
}

// parse checks the caller and reads the order id.
func (in *orderIn) parse(ctx context.Context) (uuid.UUID, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return uuid.UUID{}, err
	}
	id, err := uuid.Parse(in.ID)
	if err != nil {
		return uuid.UUID{}, invalid("id", "is not a UUID")
	}
	return id, nil
}
