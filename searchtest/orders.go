package searchtest

import (
	"fmt"
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata"
)

var orderTests = []testCase{
	{"ByUser", testOrdersByUser},
	{"ByItem", testOrdersByItem},
	{"ByStatus", testOrdersByStatus},
	{"ByTimeRange", testOrdersByTime},
	{"ByPriceRange", testOrdersByPrice},
	{"Combined", testOrdersCombined},
	{"Paging", testOrdersPaging},
	{"PaidAfterSync", testOrdersPaid},
}

// orderAt creates an unpaid order created at at.
func (e *env) orderAt(user, item string, price gamedata.Money, amount int, at time.Time) gamedata.Order {
	e.Helper()
	o := gamedata.Order{ID: gamedata.NewID(at), UserName: user, Item: item, Amount: amount, Price: price,
		Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
	_, created, err := e.b.Store.CreateOrder(e.ctx, o, "")
	e.must(err, "create order")
	if !created {
		e.Fatalf("create order %s: not created", o.ID)
	}
	return o
}

// order creates an unpaid order at the next tick.
func (e *env) order(user, item string, price gamedata.Money) gamedata.Order {
	e.Helper()
	return e.orderAt(user, item, price, 1, e.tick())
}

// pay pays o at the next tick and returns it paid.
func (e *env) pay(o gamedata.Order) gamedata.Order {
	e.Helper()
	paid, err := e.b.Store.PayOrder(e.ctx, o.UserName, o.ID, e.tick())
	e.must(err, "pay order")
	return paid
}

func equalOrder(a, b gamedata.Order) bool {
	return a.ID == b.ID && a.UserName == b.UserName && a.Item == b.Item && a.Amount == b.Amount &&
		a.Price == b.Price && a.Status == b.Status && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}

func showOrder(o gamedata.Order) string {
	return fmt.Sprintf("%s of %s (%s, %s, %s)", o.Item, o.UserName, o.Price, o.Status, o.CreatedAt.Format(time.RFC3339Nano))
}

// checkOrders searches with q, walking every page, and compares the result
// with want (newest first).
func (e *env) checkOrders(what string, q gamedata.OrderQuery, want ...gamedata.Order) {
	e.Helper()
	checkList(e, what, collect(e, what, e.b.Searcher.SearchOrders, q), want, equalOrder, showOrder)
}

func testOrdersByUser(e *env) {
	ann, bob := e.name("Ann"), e.name("Bob")
	a1 := e.order(ann, e.item("sword"), 1_00)
	b1 := e.order(bob, e.item("sword"), 1_00)
	a2 := e.order(strings.ToLower(ann), e.item("shield"), 2_00)
	a3 := e.order(ann, e.item("sword"), 3_00)
	e.sync()

	type Q = gamedata.OrderQuery
	e.checkOrders("ann's orders", Q{User: ann}, a3, a2, a1)
	e.checkOrders("ann's orders, her name in upper case", Q{User: strings.ToUpper(ann)}, a3, a2, a1)
	e.checkOrders("bob's orders", Q{User: bob}, b1)
	e.checkOrders("a stranger's orders", Q{User: e.name("Nobody")}, nil...)
}

func testOrdersByItem(e *env) {
	sword, shield := e.item("sword"), e.item("shield")
	s1 := e.order(e.name("Ann"), sword, 1_00)
	h1 := e.order(e.name("Ann"), shield, 2_00)
	s2 := e.order(e.name("Bob"), sword, 1_50)
	e.sync()

	type Q = gamedata.OrderQuery
	e.checkOrders("swords", Q{Item: sword}, s2, s1)
	e.checkOrders("shields", Q{Item: shield}, h1)
	e.checkOrders("swords, in upper case: items match exactly", Q{Item: strings.ToUpper(sword)}, nil...)
	e.checkOrders("a part of an item", Q{Item: strings.TrimSuffix(sword, "d")}, nil...)
}

func testOrdersByStatus(e *env) {
	ann, bob, item := e.name("Ann"), e.name("Bob"), e.item("potion")
	o1 := e.order(ann, item, 1_00)
	o2 := e.order(bob, item, 1_00)
	o3 := e.order(ann, item, 1_00)
	o4 := e.order(bob, item, 1_00)
	o1, o4 = e.pay(o1), e.pay(o4)
	e.sync()

	type Q = gamedata.OrderQuery
	e.checkOrders("paid potions", Q{Item: item, Status: gamedata.OrderPaid}, o4, o1)
	e.checkOrders("unpaid potions", Q{Item: item, Status: gamedata.OrderUnpaid}, o3, o2)
	e.checkOrders("ann's paid orders", Q{User: ann, Status: gamedata.OrderPaid}, o1)
	e.checkOrders("bob's unpaid orders", Q{User: bob, Status: gamedata.OrderUnpaid}, o2)
}

func testOrdersByTime(e *env) {
	item := e.item("gem")
	o := make([]gamedata.Order, 5)
	for i := range o {
		o[i] = e.order(e.name("Ann"), item, 5_00)
	}
	e.sync()

	type Q = gamedata.OrderQuery
	t := func(i int) time.Time { return o[i].CreatedAt }
	e.checkOrders("from the 2nd to the 4th (exclusive)", Q{Item: item, From: t(1), To: t(3)}, o[2], o[1])
	e.checkOrders("from the 4th", Q{Item: item, From: t(3)}, o[4], o[3])
	e.checkOrders("to the 2nd", Q{Item: item, To: t(1)}, o[0])
	e.checkOrders("between two orders", Q{Item: item, From: t(1).Add(time.Microsecond), To: t(2)}, nil...)
	e.checkOrders("an empty range", Q{Item: item, From: t(2), To: t(2)}, nil...)
	e.checkOrders("the whole range", Q{Item: item, From: t(0), To: t(4).Add(time.Millisecond)}, o[4], o[3], o[2], o[1], o[0])
	far := time.Date(9999, time.December, 31, 0, 0, 0, 0, time.UTC)
	e.checkOrders("to the year 9999", Q{Item: item, From: t(3), To: far}, o[4], o[3])
	e.checkOrders("from the year 9999", Q{Item: item, From: far}, nil...)
	e.checkOrders("from the year 1", Q{Item: item, From: time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC), To: t(1)}, o[0])
}

func testOrdersByPrice(e *env) {
	item := e.item("loot box")
	free := e.order(e.name("Ann"), item, 0)
	p99 := e.order(e.name("Ann"), item, 99)
	p100 := e.order(e.name("Bob"), item, 1_00)
	p1999 := e.order(e.name("Ann"), item, 19_99)
	p2000 := e.order(e.name("Bob"), item, 20_00)
	e.sync()

	type Q = gamedata.OrderQuery
	e.checkOrders("1.00 to 19.99", Q{Item: item, MinPrice: money(1_00), MaxPrice: money(19_99)}, p1999, p100)
	e.checkOrders("from 20.00", Q{Item: item, MinPrice: money(20_00)}, p2000)
	e.checkOrders("up to 0.99", Q{Item: item, MaxPrice: money(99)}, p99, free)
	e.checkOrders("free", Q{Item: item, MinPrice: money(0), MaxPrice: money(0)}, free)
	e.checkOrders("from 20.01", Q{Item: item, MinPrice: money(20_01)}, nil...)
}

func testOrdersCombined(e *env) {
	ann, bob := e.name("Ann"), e.name("Bob")
	sword, shield := e.item("sword"), e.item("shield")
	o1 := e.order(ann, sword, 10_00)
	o2 := e.order(ann, shield, 25_00)
	o3 := e.order(bob, sword, 10_00)
	o4 := e.order(ann, sword, 40_00)
	o5 := e.order(ann, sword, 10_00)
	o1, o3, o4 = e.pay(o1), e.pay(o3), e.pay(o4)
	e.sync()

	type Q = gamedata.OrderQuery
	paid := gamedata.OrderPaid
	e.checkOrders("ann's swords", Q{User: ann, Item: sword}, o5, o4, o1)
	e.checkOrders("ann's paid swords", Q{User: ann, Item: sword, Status: paid}, o4, o1)
	e.checkOrders("ann's paid swords up to 10.00", Q{User: ann, Item: sword, Status: paid, MaxPrice: money(10_00)}, o1)
	e.checkOrders("paid swords from 10.00 to 10.00", Q{Item: sword, Status: paid, MinPrice: money(10_00), MaxPrice: money(10_00)}, o3, o1)
	e.checkOrders("ann's orders from the 2nd on, up to 30.00", Q{User: ann, From: o2.CreatedAt, MaxPrice: money(30_00)}, o5, o2)
	e.checkOrders("everything", Q{User: strings.ToUpper(ann), Item: sword, Status: gamedata.OrderUnpaid,
		From: o1.CreatedAt, To: o5.CreatedAt.Add(time.Millisecond), MinPrice: money(10_00), MaxPrice: money(10_00)}, o5)
	e.checkOrders("bob's shields", Q{User: bob, Item: shield}, nil...)
	e.checkOrders("swords in a range without one", Q{Item: sword, From: o2.CreatedAt, To: o3.CreatedAt}, nil...)
}

func testOrdersPaging(e *env) {
	const n = 3*pageLimit + 1 // four pages, the last one short
	item := e.item("arrow")
	want := make([]gamedata.Order, n)
	for i := range want {
		want[n-1-i] = e.order(e.name(fmt.Sprintf("U%d", i%2)), item, gamedata.Money(i))
	}
	e.sync()
	e.checkOrders("every arrow", gamedata.OrderQuery{Item: item}, want...)
	e.checkOrders("arrows from 0.02", gamedata.OrderQuery{Item: item, MinPrice: money(2)}, want[:n-2]...)

	for _, token := range []string{"not a token!", "%%%", "é"} {
		_, err := e.b.Searcher.SearchOrders(e.ctx, gamedata.OrderQuery{Item: item},
			gamedata.PageRequest{Limit: pageLimit, Token: token})
		e.wantInvalid(err, "search orders with page token "+token)
	}
}

// testOrdersPaid: once its payment is searchable, an order is found as paid
// and no longer as unpaid.
func testOrdersPaid(e *env) {
	item := e.item("crown")
	o := e.order(e.name("King"), item, 99_99)
	e.sync()
	type Q = gamedata.OrderQuery
	e.checkOrders("unpaid crowns before the payment", Q{Item: item, Status: gamedata.OrderUnpaid}, o)
	e.checkOrders("paid crowns before the payment", Q{Item: item, Status: gamedata.OrderPaid}, nil...)

	paid := e.pay(o)
	e.sync()
	e.checkOrders("unpaid crowns", Q{Item: item, Status: gamedata.OrderUnpaid}, nil...)
	e.checkOrders("paid crowns", Q{Item: item, Status: gamedata.OrderPaid}, paid)
}
