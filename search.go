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

// Start returns the start of the period of iv that holds t, in UTC.
func (iv Interval) Start(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch iv {
	case IntervalWeek:
		return day.AddDate(0, 0, -(int(day.Weekday())+6)%7)
	case IntervalMonth:
		return day.AddDate(0, 0, 1-day.Day())
	}
	return day
}

// Next returns the start of the period after the one starting at start.
func (iv Interval) Next(start time.Time) time.Time {
	switch iv {
	case IntervalWeek:
		return start.AddDate(0, 0, 7)
	case IntervalMonth:
		return start.AddDate(0, 1, 0)
	}
	return start.AddDate(0, 0, 1)
}

// RevenueQuery asks for revenue of orders created in [From, To).
type RevenueQuery struct {
	From, To time.Time
	Interval Interval
}

// MaxRevenuePeriods bounds the buckets of one revenue query: ten years of
// days.
const MaxRevenuePeriods = 3660

// Periods checks q and returns the start of every period it covers, oldest
// first: the periods of a Searcher's buckets.
func (q RevenueQuery) Periods() ([]time.Time, error) {
	var v ValidationError
	if q.From.IsZero() {
		v.Add("from", "is required")
	}
	if q.To.IsZero() {
		v.Add("to", "is required")
	} else if !q.To.After(q.From) {
		v.Add("to", "must be after from")
	}
	switch q.Interval {
	case IntervalDay, IntervalWeek, IntervalMonth:
	default:
		v.Add("interval", "must be day, week or month")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	var periods []time.Time
	for t := q.Interval.Start(q.From); t.Before(q.To); t = q.Interval.Next(t) {
		if len(periods) == MaxRevenuePeriods {
			return nil, Invalid("to", "the range holds more than %d periods of a %s; ask for a shorter range or a longer interval",
				MaxRevenuePeriods, q.Interval)
		}
		periods = append(periods, t)
	}
	return periods, nil
}

// RevenueBucket sums the orders created in one period: all of them, the
// paid ones, and the revenue of the paid ones (price x amount).
type RevenueBucket struct {
	Start      time.Time `json:"start"`
	Orders     int64     `json:"orders"`
	PaidOrders int64     `json:"paid_orders"`
	Revenue    MoneySum  `json:"revenue"`
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
