package e2e

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
)

func TestOrders(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		bob, _ := h.player("bob")

		o, created, err := asAlice.CreateOrder(ctx, alice, client.NewOrder{Item: "sword", Amount: 2, Price: 499})
		if err != nil || !created || o.Status != gamedata.OrderUnpaid || o.Price != 499 || o.Amount != 2 || o.UserName != alice {
			t.Fatalf("create: %+v %v %v", o, created, err)
		}
		got, err := asAlice.GetOrder(ctx, alice, o.ID)
		if err != nil || got.ID != o.ID || got.Price != 499 {
			t.Fatalf("get: %+v %v", got, err)
		}
		if _, _, err := asAlice.CreateOrder(ctx, bob, client.NewOrder{Item: "sword", Amount: 1, Price: 1}); !client.IsForbidden(err) {
			t.Fatalf("order for another player: %v", err)
		}
		if _, _, err := h.admin.CreateOrder(ctx, h.name("ghost"), client.NewOrder{Item: "sword", Amount: 1, Price: 1}); !errors.Is(err, gamedata.ErrNotFound) {
			t.Fatalf("order for an unknown player: %v", err)
		}
		if _, err := asAlice.GetOrder(ctx, alice, gamedata.NewID(h.clock.Now())); !errors.Is(err, gamedata.ErrNotFound) {
			t.Fatalf("unknown order: %v", err)
		}
		h.raw("GET", "/v1/players/"+alice+"/orders/not-a-uuid", adminKey, "", nil).fields(t, "id")

		// Pay once; then 409; unknown 404.
		paid, err := h.admin.PayOrder(ctx, alice, o.ID)
		if err != nil || paid.Status != gamedata.OrderPaid || paid.ID != o.ID {
			t.Fatalf("pay: %+v %v", paid, err)
		}
		if _, err := h.admin.PayOrder(ctx, alice, o.ID); !errors.Is(err, gamedata.ErrConflict) {
			t.Fatalf("pay again: %v", err)
		}
		if _, err := h.admin.PayOrder(ctx, alice, uuid.New()); !errors.Is(err, gamedata.ErrNotFound) {
			t.Fatalf("pay unknown: %v", err)
		}
		h.raw("POST", "/v1/players/"+alice+"/orders/123/pay", adminKey, "", nil).fields(t, "id")
	})
}

func TestOrderInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		alice, _ := h.player("alice")
		path := "/v1/players/" + alice + "/orders"
		cases := []struct {
			body  string
			field string
		}{
			{`{"item":"sword","amount":1,"price":4.99}`, "price"},
			{`{"item":"sword","amount":1,"price":"4.999"}`, "price"},
			{`{"item":"sword","amount":1,"price":"-1"}`, "price"},
			{`{"item":"sword","amount":1,"price":"123456789"}`, "price"},
			{`{"item":"sword","amount":0,"price":"1"}`, "amount"},
			{`{"item":"sword","amount":1.5,"price":"1"}`, "amount"},
			{`{"item":"sword","amount":1e30,"price":"1"}`, "amount"},
			{`{"item":"","amount":1,"price":"1"}`, "item"},
			{`{"amount":1,"price":"1"}`, "item"},
		}
		for _, c := range cases {
			h.raw("POST", path, adminKey, "application/json", []byte(c.body)).fields(t, c.field)
		}
		a := h.raw("POST", path, adminKey, "application/json", []byte(`{"item":"sword","amount":1,"price":4.99}`))
		if p := a.problem(t, 400); p.Errors[0].Message == "expected string" {
			t.Errorf("a JSON number as price gets an unclear message: %q", p.Errors[0].Message)
		}
	})
}

func TestIdempotencyKeyMakesOneOrder(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		bob, asBob := h.player("bob")
		first, created, err := asAlice.CreateOrder(ctx, alice, client.NewOrder{Item: "gem", Amount: 1, Price: 100, IdempotencyKey: "k1"})
		if err != nil || !created {
			t.Fatal(created, err)
		}
		again, created, err := asAlice.CreateOrder(ctx, alice, client.NewOrder{Item: "gem", Amount: 1, Price: 100, IdempotencyKey: "k1"})
		if err != nil || created || again.ID != first.ID {
			t.Fatalf("repeat: %+v created=%v %v (first %s)", again, created, err, first.ID)
		}
		// The key is per player.
		if _, created, err := asBob.CreateOrder(ctx, bob, client.NewOrder{Item: "gem", Amount: 1, Price: 100, IdempotencyKey: "k1"}); err != nil || !created {
			t.Fatalf("same key, other player: %v %v", created, err)
		}
		// Concurrent repeats still make one order.
		var wg sync.WaitGroup
		ids := make(chan uuid.UUID, 10)
		for range 10 {
			wg.Go(func() {
				o, _, err := asAlice.CreateOrder(ctx, alice, client.NewOrder{Item: "gem", Amount: 1, Price: 100, IdempotencyKey: "k2"})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- o.ID
			})
		}
		wg.Wait()
		close(ids)
		distinct := map[uuid.UUID]bool{}
		for id := range ids {
			distinct[id] = true
		}
		page, err := asAlice.ListOrders(ctx, alice, client.PageOptions{})
		if err != nil || len(distinct) != 1 || len(page.Items) != 2 {
			t.Fatalf("%d distinct orders from 10 concurrent calls with one key; %d orders listed; %v", len(distinct), len(page.Items), err)
		}
	})
}

func TestConcurrentPayments(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		o, _, err := asAlice.CreateOrder(ctx, alice, client.NewOrder{Item: "crown", Amount: 1, Price: 999})
		if err != nil {
			t.Fatal(err)
		}
		counts := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range 50 {
			wg.Go(func() {
				_, err := h.admin.PayOrder(ctx, alice, o.ID)
				code := http.StatusOK
				if err != nil {
					code = status(t, err)
				}
				mu.Lock()
				counts[code]++
				mu.Unlock()
			})
		}
		wg.Wait()
		if counts[200] != 1 || counts[409] != 49 {
			t.Fatalf("50 concurrent payments answered %v; want one 200 and 49 409", counts)
		}
	})
}
