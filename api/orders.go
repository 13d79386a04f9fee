package api

import (
	"context"
	"errors"
	"net/http"
	"time"

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
	IdempotencyHeader
	Body struct {
		Item           string         `json:"item" minLength:"1" maxLength:"128"`
		Amount         int            `json:"amount" minimum:"1" maximum:"1000000"`
		Price          gamedata.Money `json:"price"`
		IdempotencyKey string         `json:"idempotency_key,omitempty" maxLength:"128" doc:"the same key for the same player returns the first order (200), never a second one; with an Idempotency-Key header it must equal it"`
	}
}

// OrderPath names an order in a path.
type OrderPath struct {
	PlayerPath
	ID string `path:"id" doc:"order id (a time-ordered UUID)"`
}

type payOrderIn struct {
	OrderPath
	IdempotencyHeader
}

// newOrder is an order as resolved, with the key the store makes it once
// by.
type newOrder struct {
	Order gamedata.Order
	Key   string
}

// payment is a payment as resolved.
type payment struct {
	User string
	ID   uuid.UUID
	At   time.Time
}

type listOrdersIn struct {
	PlayerPath
	Paging
}

func (s *Server) registerOrders() {
	handle(s, caller, huma.Operation{
		OperationID: "create-order", Method: http.MethodPost, Path: "/v1/players/{name}/orders", Tags: []string{"orders"},
		Summary: "Create an order", DefaultStatus: http.StatusCreated,
		Description: "201 with a new order; 200 with the first order when idempotency_key was used before by this player. " +
			"A retry with the same Idempotency-Key header answers what the first call answered.",
		Errors: []int{http.StatusNotFound},
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

// createOrder makes an order once per key: the body's idempotency_key
// (the store's, per player: a repeat answers 200 with the first order), or
// the Idempotency-Key header (the API's, per caller: a retry answers what
// the first call answered). With both, they must be equal, and the order is
// made once by that key.
func (s *Server) createOrder(ctx context.Context, in *createOrderIn) (*answer[gamedata.Order], error) {
	b := in.Body
	return idempotent[newOrder, gamedata.Order]{
		op: "create-order", same: in,
		prepare: func() (newOrder, error) {
			if err := actFor(ctx, in.Name); err != nil {
				return newOrder{}, err
			}
			v := &gamedata.ValidationError{}
			gamedata.ValidateOrder(v, b.Item, b.Amount, b.IdempotencyKey)
			if b.Price > gamedata.MaxMoney || b.Price < 0 {
				v.Add("price", "must be from 0 to %s", gamedata.MaxMoney)
			}
			key := b.IdempotencyKey
			switch header := in.IdempotencyKey; {
			case key == "":
				key = header
			case header != "" && header != key:
				v.Add("idempotency_key", "must equal the Idempotency-Key header when both are given")
			}
			if err := v.Err(); err != nil {
				return newOrder{}, err
			}
			p, err := s.player(ctx, "name", in.Name)
			if err != nil {
				return newOrder{}, err
			}
			now := s.clock.Now()
			return newOrder{Order: gamedata.Order{
				ID: gamedata.NewID(now), UserName: p.Name, Item: b.Item, Amount: b.Amount, Price: b.Price,
				Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now,
			}, Key: key}, nil
		},
		run: func(n newOrder, _ attempt) (*answer[gamedata.Order], error) {
			o, created, err := s.store.CreateOrder(ctx, n.Order, n.Key)
			if err != nil {
				return nil, err
			}
			status := http.StatusOK
			if created || o.ID == n.Order.ID { // made now, or by this request's first call
				status = http.StatusCreated
			}
			return &answer[gamedata.Order]{Status: status, Body: o}, nil
		},
	}.do(ctx, s, in.IdempotencyKey)
}

func (s *Server) listOrders(ctx context.Context, in *listOrdersIn) (*pageOut[gamedata.Order], error) {
	if err := actFor(ctx, in.Name); err != nil {
		return nil, err
	}
	return pageOf(s.store.ListOrders(ctx, in.Name, in.request()))
}

func (s *Server) getOrder(ctx context.Context, in *OrderPath) (*orderOut, error) {
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

func (s *Server) payOrder(ctx context.Context, in *payOrderIn) (*answer[gamedata.Order], error) {
	return idempotent[payment, gamedata.Order]{
		op: "pay-order", same: in,
		prepare: func() (payment, error) {
			id, err := in.parse(ctx)
			// Whole milliseconds, as every store keeps the time: a repeat
			// knows its own payment by it.
			return payment{User: in.Name, ID: id, At: s.clock.Now().Truncate(time.Millisecond)}, err
		},
		run: func(p payment, a attempt) (*answer[gamedata.Order], error) {
			o, err := s.store.PayOrder(ctx, p.User, p.ID, p.At)
			if errors.Is(err, gamedata.ErrConflict) && a == repeatRun {
				// Paid already: by this request's first call if at its time.
				if paid, gerr := s.store.GetOrder(ctx, p.User, p.ID); gerr == nil &&
					paid.Status == gamedata.OrderPaid && paid.UpdatedAt.Equal(p.At) {
					return &answer[gamedata.Order]{Status: http.StatusOK, Body: paid}, nil
				}
			}
			switch {
			case errors.Is(err, gamedata.ErrConflict):
				return nil, newProblem(http.StatusConflict, "the order is paid already")
			case err != nil:
				return nil, err
			}
			return &answer[gamedata.Order]{Status: http.StatusOK, Body: o}, nil
		},
	}.do(ctx, s, in.IdempotencyKey)
}

// parse checks the caller and reads the order id.
func (in *OrderPath) parse(ctx context.Context) (uuid.UUID, error) {
	if err := actFor(ctx, in.Name); err != nil {
		return uuid.UUID{}, err
	}
	id, err := uuid.Parse(in.ID)
	if err != nil {
		return uuid.UUID{}, invalid("id", "is not a UUID")
	}
	return id, nil
}
