package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

const orderColumns = `id, user_name, item, amount, price, status, created, updated`

func (s *Store) prepareOrders(p *preparer) {
	s.insertOrder = p.write(`INSERT INTO orders (user_key, idempotency_key, ` + orderColumns + `)
		VALUES (:user, :idem, :id, :user_name, :item, :amount, :price, :status, :created, :updated)`)
	s.orderByKey = p.write(`SELECT ` + orderColumns + ` FROM orders
		WHERE user_key = :user AND idempotency_key = :idem`)
	// Pay-once: only an unpaid order changes, so of racing payments one wins.
	s.payOrder = p.write(`UPDATE orders SET status = :paid, updated = :at
		WHERE id = :id AND user_key = :user AND status = :unpaid
		RETURNING ` + orderColumns)
	s.orderExists = p.write(`SELECT 1 FROM orders WHERE id = :id AND user_key = :user`)
	s.getOrder = p.read(`SELECT ` + orderColumns + ` FROM orders WHERE id = :id AND user_key = :user`)
	s.listOrders = p.read(`SELECT ` + orderColumns + ` FROM orders
		WHERE user_key = :user AND (created, id) < (:at, :id)
		ORDER BY created DESC, id DESC LIMIT :limit`)
}

func scanOrder(sc scanner) (o gamedata.Order, err error) {
	err = sc.Scan(&o.ID, &o.UserName, &o.Item, &o.Amount, &o.Price, &o.Status,
		(*unixNanos)(&o.CreatedAt), (*unixNanos)(&o.UpdatedAt))
	return o, err
}

func orderChange(o gamedata.Order) gamedata.Change {
	return gamedata.Change{Kind: gamedata.ChangeOrder, Player: gamedata.NameKey(o.UserName), OrderID: o.ID}
}

func orderCursor(o gamedata.Order) cursor { return cursor{at: nanos(o.CreatedAt), id: blob(o.ID)} }

// CreateOrder stores o and its change record, unless the user already made
// an order with idempotencyKey: then that order comes back with created ==
// false, and nothing is written. The check and the insert share one write
// transaction, so racing creates with one key make one order.
func (s *Store) CreateOrder(ctx context.Context, o gamedata.Order, idempotencyKey string) (gamedata.Order, bool, error) {
	user := sql.Named("user", gamedata.NameKey(o.UserName))
	idem := sql.Named("idem", nil)
	if idempotencyKey != "" {
		idem.Value = idempotencyKey
	}
	stored, created := o, true
	err := s.write(ctx, "create order for "+o.UserName, func(ctx context.Context, tx *sql.Tx) error {
		if idempotencyKey != "" {
			first, err := scanOrder(tx.StmtContext(ctx, s.orderByKey).QueryRowContext(ctx, user, idem))
			if err == nil {
				stored, created = first, false
				return nil
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		if _, err := tx.StmtContext(ctx, s.insertOrder).ExecContext(ctx, user, idem,
			sql.Named("id", blob(o.ID)), sql.Named("user_name", o.UserName), sql.Named("item", o.Item),
			sql.Named("amount", o.Amount), sql.Named("price", int64(o.Price)), sql.Named("status", string(o.Status)),
			sql.Named("created", nanos(o.CreatedAt)), sql.Named("updated", nanos(o.UpdatedAt))); err != nil {
			return err
		}
		return s.recordChange(ctx, tx, orderChange(o))
	})
	if err != nil {
		return gamedata.Order{}, false, err
	}
	return stored, created, nil
}

// GetOrder finds one of user's orders.
func (s *Store) GetOrder(ctx context.Context, user string, id uuid.UUID) (gamedata.Order, error) {
	o, err := scanOrder(s.getOrder.QueryRowContext(ctx,
		sql.Named("id", blob(id)), sql.Named("user", gamedata.NameKey(user))))
	if err != nil {
		return o, s.fail("get order "+id.String()+" of "+user, err)
	}
	return o, nil
}

// ListOrders lists user's orders, newest first.
func (s *Store) ListOrders(ctx context.Context, user string, p gamedata.PageRequest) (gamedata.Page[gamedata.Order], error) {
	return list(ctx, s, "list orders of "+user, s.listOrders, p, top, scanOrder, orderCursor,
		sql.Named("user", gamedata.NameKey(user)))
}

// PayOrder moves an unpaid order to paid, with its change record:
// ErrConflict when it is paid already, ErrNotFound when user has no such
// order.
func (s *Store) PayOrder(ctx context.Context, user string, id uuid.UUID, at time.Time) (gamedata.Order, error) {
	key := sql.Named("user", gamedata.NameKey(user))
	var o gamedata.Order
	err := s.write(ctx, "pay order "+id.String()+" of "+user, func(ctx context.Context, tx *sql.Tx) (err error) {
		o, err = scanOrder(tx.StmtContext(ctx, s.payOrder).QueryRowContext(ctx, key, sql.Named("id", blob(id)),
			sql.Named("at", nanos(at)), sql.Named("paid", string(gamedata.OrderPaid)),
			sql.Named("unpaid", string(gamedata.OrderUnpaid))))
		if err == nil {
			return s.recordChange(ctx, tx, orderChange(o))
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// Nothing changed: tell a paid order from a missing one.
		var one int
		if err := tx.StmtContext(ctx, s.orderExists).QueryRowContext(ctx, key, sql.Named("id", blob(id))).Scan(&one); err != nil {
			return err // sql.ErrNoRows: not found
		}
		return gamedata.ErrConflict
	})
	return o, err
}
