package storetest

import (
	"fmt"
	"strings"

	"github.com/gamedata-dev/gamedata"
)

var orderTests = []testCase{
	{"CreateGetList", testOrderCreateGetList},
	{"IdempotencyKey", testOrderIdempotency},
	{"ConcurrentCreateOneKey", testOrderConcurrentIdempotency},
	{"Paging", testOrderPaging},
	{"PayOnce", testOrderPay},
	{"ConcurrentPay", testOrderConcurrentPay},
	{"Unknown", testOrderUnknown},
}

func (e *env) newOrder(user, item string) gamedata.Order {
	now := e.tick()
	return gamedata.Order{
		ID: gamedata.NewID(now), UserName: user, Item: item, Amount: 2, Price: 19_99,
		Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now,
	}
}

func equalOrder(a, b gamedata.Order) bool {
	return a.ID == b.ID && a.UserName == b.UserName && a.Item == b.Item && a.Amount == b.Amount &&
		a.Price == b.Price && a.Status == b.Status && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

// createOrders creates n orders for user, oldest first, without idempotency key.
func (e *env) createOrders(user string, n int) []gamedata.Order {
	e.Helper()
	orders := make([]gamedata.Order, n)
	for i := range orders {
		orders[i] = e.newOrder(user, fmt.Sprintf("sword #%d ⚔️", i))
		stored, created, err := e.s.CreateOrder(e.ctx, orders[i], "")
		e.must(err, "create order")
		if !created || !equalOrder(stored, orders[i]) {
			e.Fatalf("create order: created=%v\n got: %+v\nwant: %+v", created, stored, orders[i])
		}
	}
	return orders
}

func (e *env) checkOrder(user string, want gamedata.Order) {
	e.Helper()
	got, err := e.s.GetOrder(e.ctx, user, want.ID)
	check(e, "get order", got, err, want, equalOrder)
}

// listOrders returns all of user's orders, walking pages of pageLimit.
func (e *env) listOrders(user string) []gamedata.Order {
	e.Helper()
	return collect(e, "orders of "+user, pageLimit, func(p gamedata.PageRequest) (gamedata.Page[gamedata.Order], error) {
		return e.s.ListOrders(e.ctx, user, p)
	})
}

func testOrderCreateGetList(e *env) {
	user, other := e.name("Frank"), e.name("Grace")
	orders := e.createOrders(user, 3)
	e.createOrders(other, 1)
	for _, o := range orders {
		e.checkOrder(strings.ToLower(user), o)
	}
	page, err := e.s.ListOrders(e.ctx, strings.ToUpper(user), gamedata.PageRequest{Limit: 10})
	e.must(err, "list orders")
	checkList(e, "orders newest first", page.Items, reversed(orders), equalOrder)
	if page.NextToken != "" {
		e.Errorf("a list of 3 orders with limit 10 has a next page token")
	}
}

// createWithKey creates o under key and checks whether it made a new order.
func (e *env) createWithKey(o gamedata.Order, key string, wantCreated bool, want gamedata.Order) {
	e.Helper()
	stored, created, err := e.s.CreateOrder(e.ctx, o, key)
	e.must(err, "create order with idempotency key")
	if created != wantCreated || !equalOrder(stored, want) {
		e.Errorf("create order with key %q: created=%v (want %v)\n got: %+v\nwant: %+v", key, created, wantCreated, stored, want)
	}
}

func testOrderIdempotency(e *env) {
	user, other := e.name("Heidi"), e.name("Ivan")
	key := "checkout-" + randomHex(8)
	first := e.newOrder(user, "shield")
	e.createWithKey(first, key, true, first)
	// A retry (new id, even other fields) returns the first order.
	e.createWithKey(e.newOrder(strings.ToUpper(user), "helmet"), key, false, first)
	checkList(e, "orders after a retry", e.listOrders(user), []gamedata.Order{first}, equalOrder)

	// The same key of another player is another order.
	theirs := e.newOrder(other, "shield")
	e.createWithKey(theirs, key, true, theirs)
	checkList(e, "other player's orders", e.listOrders(other), []gamedata.Order{theirs}, equalOrder)

	// Without a key every create is a new order.
	more := e.createOrders(user, 2)
	checkList(e, "orders after two creates without key", e.listOrders(user),
		[]gamedata.Order{more[1], more[0], first}, equalOrder)
}

func testOrderConcurrentIdempotency(e *env) {
	const n = 20
	user, key := e.name("Judy"), "checkout-"+randomHex(8)
	attempts := make([]gamedata.Order, n)
	for i := range attempts {
		attempts[i] = e.newOrder(mixCase(user, i), "potion")
	}
	stored := make([]gamedata.Order, n)
	created := make([]bool, n)
	errs := concurrently(n, func(i int) (err error) {
		stored[i], created[i], err = e.s.CreateOrder(e.ctx, attempts[i], key)
		return err
	})
	for i, err := range errs {
		e.must(err, fmt.Sprintf("concurrent create %d", i))
	}
	var winner *gamedata.Order
	for i := range attempts {
		if created[i] {
			if winner != nil {
				e.Fatalf("%d concurrent creates with one key made more than one order", n)
			}
			winner = &attempts[i]
		}
	}
	if winner == nil {
		e.Fatalf("%d concurrent creates with one key: none reports created", n)
	}
	for i := range stored {
		check(e, fmt.Sprintf("create %d returns the created order", i), stored[i], nil, *winner, equalOrder)
	}
	checkList(e, "orders after concurrent creates", e.listOrders(user), []gamedata.Order{*winner}, equalOrder)
}

func testOrderPaging(e *env) {
	user := e.name("Karl")
	orders := e.createOrders(user, 4*pageLimit-2) // four pages, the last one short
	checkList(e, "paged orders", e.listOrders(mixCase(user, 5)), reversed(orders), equalOrder)
}

func testOrderPay(e *env) {
	user := e.name("Liam")
	orders := e.createOrders(user, 2)
	o := orders[0]
	at := e.tick()
	paid, err := e.s.PayOrder(e.ctx, strings.ToUpper(user), o.ID, at)
	o.Status, o.UpdatedAt = gamedata.OrderPaid, at
	check(e, "pay", paid, err, o, equalOrder)
	e.checkOrder(user, o)

	_, err = e.s.PayOrder(e.ctx, user, o.ID, e.tick())
	e.wantErr(err, gamedata.ErrConflict, "pay a paid order")
	e.checkOrder(user, o) // the refused payment changed nothing
	checkList(e, "orders after paying one", e.listOrders(user), []gamedata.Order{orders[1], o}, equalOrder)
}

func testOrderConcurrentPay(e *env) {
	const n = 50
	user := e.name("Mia")
	o := e.createOrders(user, 1)[0]
	wants := make([]gamedata.Order, n)
	for i := range wants {
		wants[i] = o
		wants[i].Status, wants[i].UpdatedAt = gamedata.OrderPaid, e.tick()
	}
	results := make([]gamedata.Order, n)
	errs := concurrently(n, func(i int) (err error) {
		results[i], err = e.s.PayOrder(e.ctx, user, o.ID, wants[i].UpdatedAt)
		return err
	})
	ok, conflicts := e.countOutcomes(errs, gamedata.ErrConflict)
	if ok != 1 || conflicts != n-1 {
		e.Fatalf("%d concurrent pays: %d succeeded, %d conflicted; want 1 and %d", n, ok, conflicts, n-1)
	}
	for i, err := range errs {
		if err == nil {
			check(e, "winning pay", results[i], nil, wants[i], equalOrder)
			e.checkOrder(user, wants[i]) // the winner's payment is the one stored
		}
	}
}

func testOrderUnknown(e *env) {
	user, other := e.name("Nina"), e.name("Omar")
	o := e.createOrders(user, 1)[0]
	unknown := gamedata.NewID(e.tick())
	_, err := e.s.GetOrder(e.ctx, user, unknown)
	e.wantErr(err, gamedata.ErrNotFound, "get unknown order")
	_, err = e.s.PayOrder(e.ctx, user, unknown, e.tick())
	e.wantErr(err, gamedata.ErrNotFound, "pay unknown order")
	// An order belongs to its player: another name does not reach it.
	_, err = e.s.GetOrder(e.ctx, other, o.ID)
	e.wantErr(err, gamedata.ErrNotFound, "get another player's order")
	_, err = e.s.PayOrder(e.ctx, other, o.ID, e.tick())
	e.wantErr(err, gamedata.ErrNotFound, "pay another player's order")
	e.checkOrder(user, o)
	// Nor did paying an unknown order create one.
	checkList(e, "orders after paying unknown ones", e.listOrders(user), []gamedata.Order{o}, equalOrder)
	checkList(e, "other player's orders", e.listOrders(other), nil, equalOrder)
}
