package gamedata

import (
	"context"
	"time"
)

// PlayerQuery selects players; every set field must match. NamePrefix
// matches name keys (ignoring case).
type PlayerQuery struct {
	Email      string
	Phone      string
	NamePrefix string
	AgeMin     *int
	AgeMax     *int
}

// OrderQuery selects orders; every set field must match. From <= created < To.
type OrderQuery struct {
	User     string
	Status   OrderStatus
	Item     string
	From, To time.Time
	MinPrice *Money
	MaxPrice *Money
}

// Interval is the width of a revenue bucket. Buckets are calendar periods in
// UTC; weeks start on Monday.
type Interval string

// Revenue intervals.
const (
	IntervalDay   Interval = "day"
	IntervalWeek  Interval = "week"
	IntervalMonth Interval = "month"
)

// RevenueQuery asks for revenue of orders created in [From, To).
type RevenueQuery struct {
	From, To time.Time
	Interval Interval
}

// RevenueBucket sums the orders created in one period: all of them, the
// paid ones, and the revenue of the paid ones (price x amount).
type RevenueBucket struct {
	Start      time.Time `json:"start"`
	Orders     int64     `json:"orders"`
	PaidOrders int64     `json:"paid_orders"`
	Revenue    Money     `json:"revenue"`
}

// Searcher answers the complex queries: SQL over SQLite in the embedded
// life, OpenSearch in production. Results are newest first (by created_at).
type Searcher interface {
	SearchPlayers(ctx context.Context, q PlayerQuery, p PageRequest) (Page[Player], error)
	SearchOrders(ctx context.Context, q OrderQuery, p PageRequest) (Page[Order], error)
	// Revenue returns one bucket per period from the one holding From to the
	// one holding To (exclusive), empty periods included, oldest first.
	Revenue(ctx context.Context, q RevenueQuery) ([]RevenueBucket, error)
}
