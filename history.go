package gamedata

import (
	"context"
	"fmt"
	"time"
)

// Day is a UTC calendar day, the unit of the archive (docs/archive.md).
type Day struct{ start time.Time }

// DayOf returns the UTC day that holds t.
func DayOf(t time.Time) Day {
	t = t.UTC()
	return Day{time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)}
}

// ParseDay reads a day written YYYY-MM-DD.
func ParseDay(s string) (Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Day{}, fmt.Errorf("day %q: want YYYY-MM-DD", s)
	}
	return Day{t}, nil
}

// Start is the day's first instant; End the first instant of the next day.
func (d Day) Start() time.Time { return d.start }
func (d Day) End() time.Time   { return d.start.AddDate(0, 0, 1) }

// Add returns the day n days later (earlier for n < 0).
func (d Day) Add(n int) Day { return Day{d.start.AddDate(0, 0, n)} }

// Before tells whether d comes before e.
func (d Day) Before(e Day) bool { return d.start.Before(e.start) }

// IsZero tells whether d is the zero Day (no day).
func (d Day) IsZero() bool { return d.start.IsZero() }

// String writes the day as YYYY-MM-DD, as the archive's dt= folders do.
func (d Day) String() string { return d.start.Format(time.DateOnly) }

// OrderChange is an order as one change left it: its creation (status
// unpaid) or its payment (status paid), at At.
type OrderChange struct {
	Order
	At time.Time
}

// HistoryReader reads what a store stored on one UTC day, for the archive
// (docs/archive.md). Each method calls fn once per row, in no set order, and
// stops at fn's first error. A day's rows are the ones the store wrote
// during it: by the store's clock, not a time the client gave (an event
// sent late is in the day it arrived; its At says when it happened).
// Reading a day costs what that day wrote, not what the table holds.
type HistoryReader interface {
	// PlayerChanges gives each player changed (created or updated) on day,
	// as its last change that day left it, without its password hash.
	PlayerChanges(ctx context.Context, day Day, fn func(Player) error) error
	// OrderChanges gives every creation and payment of an order on day.
	OrderChanges(ctx context.Context, day Day, fn func(OrderChange) error) error
	// MessagesSent gives every message sent on day.
	MessagesSent(ctx context.Context, day Day, fn func(Message) error) error
	// EventsStored gives every event stored on day.
	EventsStored(ctx context.Context, day Day, fn func(Event) error) error
	// Began returns a time before which the store stored nothing the
	// reader gives (the zero time while it holds nothing), so that an
	// archive need not mark the days before it.
	Began(ctx context.Context) (time.Time, error)
}

// Leaser hands out named leases, so that of several gamedata instances one
// at a time runs a job (the archive's). A lease is the owner's until it
// expires or is released.
type Leaser interface {
	// AcquireLease takes the lease name for owner for ttl, or renews it when
	// owner holds it; false when another owner holds it.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if owner holds it.
	ReleaseLease(ctx context.Context, name, owner string) error
}
