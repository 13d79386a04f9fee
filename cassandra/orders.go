package cassandra

import (
	"context"
	"time"
	"unicode/utf8"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// Orders live in one partition per player, newest id first. An idempotency
// key is claimed by a lightweight transaction on its own partition that
// carries the whole order; the order row itself is then written IF NOT
// EXISTS, by the claimant or by any later caller with the same key, so the
// order exists and is returned even when the claimant died between the two
// writes. The change record of an order without key goes in the batch of
// its new row; an order's row written by key and a payment, lightweight
// transactions, write an intent and a record after (see feed.go).
const orderColumns = `id, user_name, item, amount, price, status, created, updated`

var (
	insertOrder    = write(`INSERT INTO orders (user_key, ` + orderColumns + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	insertOrderLWT = lwt(localPaxos, `INSERT INTO orders (user_key, `+orderColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		IF NOT EXISTS`)
	claimOrderKey = lwt(localPaxos, `INSERT INTO order_keys (user_key, idempotency_key, `+orderColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) IF NOT EXISTS`)
	getOrder   = read(`SELECT ` + orderColumns + ` FROM orders WHERE user_key = ? AND id = ?`)
	listOrders = read(`SELECT ` + orderColumns + ` FROM orders WHERE user_key = ? AND id < ?`)
	payOrder   = lwt(localPaxos, `UPDATE orders SET status = ?, updated = ? WHERE user_key = ? AND id = ? IF status = ?`)
)

// orderArgs are the bound values of orderColumns.
func orderArgs(o gamedata.Order) []any {
	return []any{[16]byte(o.ID), o.UserName, o.Item, o.Amount, int64(o.Price), string(o.Status), o.CreatedAt, o.UpdatedAt}
}

// scanOrder reads orderColumns with scan (a query's or a scanner's).
func scanOrder(scan func(...any) error) (o gamedata.Order, err error) {
	err = scan((*[16]byte)(&o.ID), &o.UserName, &o.Item, &o.Amount, (*int64)(&o.Price), (*string)(&o.Status),
		&o.CreatedAt, &o.UpdatedAt)
	return o, err
}

// orderFromRow rebuilds an order from the columns a lightweight
// transaction returned when it did not apply.
func orderFromRow(m map[string]any) gamedata.Order {
	o := gamedata.Order{}
	if id, ok := m["id"].(gocql.UUID); ok {
		o.ID = uuid.UUID(id)
	}
	o.UserName, _ = m["user_name"].(string)
	o.Item, _ = m["item"].(string)
	o.Amount, _ = m["amount"].(int)
	price, _ := m["price"].(int64)
	o.Price = gamedata.Money(price)
	status, _ := m["status"].(string)
	o.Status = gamedata.OrderStatus(status)
	o.CreatedAt, _ = m["created"].(time.Time)
	o.UpdatedAt, _ = m["updated"].(time.Time)
	return o
}

// CreateOrder stores o; with an idempotency key already used by this user
// it stores nothing and returns the order first made with it.
func (s *Store) CreateOrder(ctx context.Context, o gamedata.Order, idempotencyKey string) (gamedata.Order, bool, error) {
	op := "create order for " + o.UserName
	user := key(o.UserName)
	if idempotencyKey == "" {
		b := s.batch(gocql.LoggedBatch)
		b.add(insertOrder, append([]any{user}, orderArgs(o)...)...)
		logged, err := s.addLog(b, orderLog(gamedata.OrderChange{Order: o, At: o.CreatedAt}))
		if err != nil {
			return gamedata.Order{}, false, s.fail(op, err)
		}
		recorded := s.addChange(b, orderChange(o), false)
		if err := b.exec(ctx); err != nil {
			return gamedata.Order{}, false, s.fail(op, err)
		}
		recorded()
		logged()
		return o, true, nil
	}
	if !utf8.ValidString(idempotencyKey) {
		return gamedata.Order{}, false, s.fail(op, gamedata.Invalid("idempotency_key", "is not UTF-8"))
	}
	// A replay's order is not this one: the reader drops its row.
	if err := s.writeLog(ctx, orderLog(gamedata.OrderChange{Order: o, At: o.CreatedAt})); err != nil {
		return gamedata.Order{}, false, s.fail(op, err)
	}
	first := map[string]any{}
	created, err := s.query(claimOrderKey, append([]any{user, idempotencyKey}, orderArgs(o)...)...).
		scanCAS(ctx, first)
	if err != nil {
		return gamedata.Order{}, false, s.fail(op, err)
	}
	if !created {
		o = orderFromRow(first)
	}
	// Write the claimed order unless it is there already, as it was first
	// made or as it is now (paid, maybe).
	stored := map[string]any{}
	applied, err := s.changeByLWT(ctx, orderChange(o), func() (bool, error) {
		return s.query(insertOrderLWT, append([]any{user}, orderArgs(o)...)...).scanCAS(ctx, stored)
	})
	if err != nil {
		return gamedata.Order{}, false, s.fail(op, err)
	}
	if !applied {
		o = orderFromRow(stored)
	}
	return o, created, nil
}

// GetOrder finds one of user's orders.
func (s *Store) GetOrder(ctx context.Context, user string, id uuid.UUID) (gamedata.Order, error) {
	if !isTimeUUID(id) {
		return gamedata.Order{}, s.fail("get order "+id.String()+" of "+user, gamedata.ErrNotFound)
	}
	q := s.query(getOrder, key(user), [16]byte(id))
	o, err := scanOrder(func(dest ...any) error { return q.scan(ctx, dest...) })
	if err != nil {
		return o, s.fail("get order "+id.String()+" of "+user, err)
	}
	return o, nil
}

// ListOrders lists user's orders, newest first.
func (s *Store) ListOrders(ctx context.Context, user string, p gamedata.PageRequest) (gamedata.Page[gamedata.Order], error) {
	op := "list orders of " + user
	c, ok, err := parseToken(ordersList, p.Token)
	if err != nil {
		return gamedata.Page[gamedata.Order]{}, s.fail(op, err)
	}
	if !ok {
		c.id = maxTimeUUID
	}
	limit := p.PageLimit()
	iter := s.query(listOrders, key(user), [16]byte(c.id)).pageSize(limit + 1).iter(ctx)
	r := newRows[gamedata.Order](limit)
	err = r.take(iter, limit+1, 0, time.Time{}, func(sc gocql.Scanner) (gamedata.Order, cursor, time.Time, error) {
		o, err := scanOrder(sc.Scan)
		return o, cursor{id: o.ID}, time.Time{}, err
	})
	if err != nil {
		return gamedata.Page[gamedata.Order]{}, s.fail(op, err)
	}
	return r.page(ordersList, limit), nil
}

// PayOrder moves an unpaid order to paid. The condition makes exactly one
// of any number of concurrent calls succeed; the others get ErrConflict.
// Orders are never deleted, so a read first answers an unknown order
// (ErrNotFound) or one paid already (ErrConflict) without writing anything.
func (s *Store) PayOrder(ctx context.Context, user string, id uuid.UUID, at time.Time) (gamedata.Order, error) {
	op := "pay order " + id.String() + " of " + user
	o, err := s.GetOrder(ctx, user, id)
	if err != nil {
		return o, s.fail(op, err)
	}
	if o.Status != gamedata.OrderUnpaid {
		return gamedata.Order{}, s.fail(op, gamedata.ErrConflict)
	}
	paid := o
	paid.Status, paid.UpdatedAt = gamedata.OrderPaid, asStored(at)
	paidLog := s.logPrelude(orderLog(gamedata.OrderChange{Order: paid, At: paid.UpdatedAt}))
	applied, err := s.changeByLWTAfter(ctx, orderChange(o), paidLog, func() (bool, error) {
		return s.query(payOrder, string(gamedata.OrderPaid), at, key(user), [16]byte(id),
			string(gamedata.OrderUnpaid)).scanCAS(ctx, map[string]any{})
	})
	switch {
	case err != nil:
		return gamedata.Order{}, s.fail(op, err)
	case !applied:
		return gamedata.Order{}, s.fail(op, gamedata.ErrConflict)
	}
	return paid, nil
}
