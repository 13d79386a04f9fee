package gamedata

import (
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

// OrderStatus is the state of an order. An order is created unpaid and paid
// exactly once.
type OrderStatus string

// Order states.
const (
	OrderUnpaid OrderStatus = "unpaid"
	OrderPaid   OrderStatus = "paid"
)

// Limits of order fields.
const (
	ItemMaxLen           = 128
	IdempotencyKeyMaxLen = 128
	AmountMax            = 1_000_000
)

// Order is one purchase of a player, keyed by (user, id); ids are timeuuids,
// so a player's orders list newest first by id.
type Order struct {
	ID        uuid.UUID   `json:"id"`
	UserName  string      `json:"user_name"`
	Item      string      `json:"item"`
	Amount    int         `json:"amount"`
	Price     Money       `json:"price"`
	Status    OrderStatus `json:"status"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

// ValidateOrder checks the fields a caller chooses.
func ValidateOrder(v *ValidationError, item string, amount int, idempotencyKey string) {
	if n := utf8.RuneCountInString(item); n < 1 || n > ItemMaxLen {
		v.Add("item", "must be 1 to %d characters", ItemMaxLen)
	}
	if amount < 1 || amount > AmountMax {
		v.Add("amount", "must be an integer from 1 to %d", AmountMax)
	}
	if len(idempotencyKey) > IdempotencyKeyMaxLen {
		v.Add("idempotency_key", "must be at most %d bytes", IdempotencyKeyMaxLen)
	}
}
