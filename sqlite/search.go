package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// Search is SQL over the store's own tables. Each query runs as one
// prepared statement chosen by its most selective criterion, which drives
// the statement's index; the statement names that index (INDEXED BY), so
// the plan cannot drift to another. Every other criterion filters the rows
// the index yields: an absent one is bound as NULL and matches all.
//
// Drivers are tried in a fixed order of expected selectivity (SQLite keeps
// no statistics here to choose by). An equality driver's index ends in
// (created, id): it yields rows newest first and seeks to the page cursor.
// A range driver (name prefix, age, price) reads its whole range and sorts
// it; the last driver, the (created, id) index itself, serves a query
// without a criterion and a time range.

var _ gamedata.Searcher = (*Store)(nil)

// driver is an index that can drive a search of Q: the condition it serves
// (empty when the filters hold it already), and whether a query has the
// criterion (nil: any query).
type driver[Q any] struct {
	index, cond string
	has         func(Q) bool
}

type playerDriver = driver[gamedata.PlayerQuery]

var playerDrivers = [...]playerDriver{
	// Emails match ignoring case, by their key (see emailKey).
	{"players_by_email_key", `email_key = :email`, func(q gamedata.PlayerQuery) bool { return q.Email != "" }},
	{"players_by_phone", `phone = :phone`, func(q gamedata.PlayerQuery) bool { return q.Phone != "" }},
	// The index of the name key's UNIQUE constraint, the table's second.
	{"sqlite_autoindex_players_2", `name_key >= :name_lo AND name_key < :name_hi`,
		func(q gamedata.PlayerQuery) bool { return q.NamePrefix != "" }},
	{"players_by_age", `age >= coalesce(:age_min, -9223372036854775808) AND age <= coalesce(:age_max, 9223372036854775807)`,
		func(q gamedata.PlayerQuery) bool { return q.AgeMin != nil || q.AgeMax != nil }},
	{"players_by_created", ``, nil},
}

type orderDriver = driver[gamedata.OrderQuery]

var orderDrivers = [...]orderDriver{
	{"orders_by_user", `user_key = :user`, func(q gamedata.OrderQuery) bool { return q.User != "" }},
	{"orders_by_item", `item = :item`, func(q gamedata.OrderQuery) bool { return q.Item != "" }},
	// The price bounds of the filters are its range.
	{"orders_by_price", ``, func(q gamedata.OrderQuery) bool { return q.MinPrice != nil || q.MaxPrice != nil }},
	{"orders_by_status", `status = :status`, func(q gamedata.OrderQuery) bool { return q.Status != "" }},
	// created >= :from, and the list's ceiling, which holds To.
	{"orders_by_created", ``, nil},
}

// choose returns the statement of the first driver that serves q.
func choose[Q any](q Q, drivers []driver[Q], stmts []*sql.Stmt) *sql.Stmt {
	for i, d := range drivers {
		if d.has == nil || d.has(q) {
			return stmts[i]
		}
	}
	panic("sqlite: the last search driver must serve every query")
}

// The filters leave out the first driver's criterion: when it is set, it
// drives.
const (
	playerFilters = `(:phone IS NULL OR phone = :phone)
		AND (:name_lo IS NULL OR (name_key >= :name_lo AND name_key < :name_hi))
		AND (:age_min IS NULL OR age >= :age_min) AND (:age_max IS NULL OR age <= :age_max)`
	orderFilters = `(:status IS NULL OR status = :status)
		AND (:item IS NULL OR item = :item) AND price >= :min_price AND price <= :max_price
		AND created >= :from`
	searchList = ` AND (created, id) < (:at, :id) ORDER BY created DESC, id DESC LIMIT :limit`
)

func (s *Store) prepareSearch(p *preparer) {
	search := func(columns, table, index, cond, filters string) *sql.Stmt {
		if cond != "" {
			cond = " AND " + cond
		}
		return p.read(`SELECT ` + columns + ` FROM ` + table + ` INDEXED BY ` + index +
			` WHERE ` + filters + cond + searchList)
	}
	for i, d := range playerDrivers {
		s.searchPlayers[i] = search(playerColumns, "players", d.index, d.cond, playerFilters)
	}
	for i, d := range orderDrivers {
		s.searchOrders[i] = search(orderColumns, "orders", d.index, d.cond, orderFilters)
	}
	// :bounds is a JSON array of [from, to) pairs in unix nanoseconds, one
	// per bucket, oldest first; each bucket reads its range of the created
	// index, and an empty one still yields its row.
	// The revenue is summed in limbs of each order's total
	// (gamedata.OrderTotalLimbBits): a plain sum of price * amount
	// overflows int64 past 923 orders at the largest total.
	limbs := make([]string, gamedata.OrderTotalLimbs)
	for i := range limbs {
		limbs[i] = fmt.Sprintf(`coalesce(sum(CASE WHEN o.status = :paid THEN ((o.price * o.amount) >> %d) & %d END), 0)`,
			i*gamedata.OrderTotalLimbBits, gamedata.OrderTotalLimbMask)
	}
	s.revenue = p.read(`SELECT b.key, count(o.id), coalesce(sum(o.status = :paid), 0), ` + strings.Join(limbs, ", ") + `
		FROM json_each(:bounds) AS b
		LEFT JOIN orders AS o INDEXED BY orders_by_created
			ON o.created >= b.value ->> 0 AND o.created < b.value ->> 1
		GROUP BY b.key ORDER BY b.key`)
}

// Stored times are int64 nanoseconds: years 1678 to 2262.
var minStored, maxStored = time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)

// bound is a query's time bound in unix nanoseconds, clamped to what int64
// holds: beyond it, no stored time lies (and UnixNano would wrap).
func bound(t time.Time) int64 {
	switch {
	case t.Before(minStored):
		return math.MinInt64
	case t.After(maxStored):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// orNull binds v, or NULL when v is empty.
func orNull[T comparable](name string, v T) sql.NamedArg {
	var zero T
	if v == zero {
		return sql.Named(name, nil)
	}
	return sql.Named(name, v)
}

// prefixEnd returns the least string above every string that starts with
// p, in SQLite's byte order: p with its last byte raised (UTF-8 never holds
// 0xff, so the byte cannot overflow). p is not empty.
func prefixEnd(p string) string {
	b := []byte(p)
	b[len(b)-1]++
	return string(b)
}

// playerSearch returns the statement that serves q and its parameters.
func (s *Store) playerSearch(q gamedata.PlayerQuery) (*sql.Stmt, []any) {
	lo, hi := sql.Named("name_lo", nil), sql.Named("name_hi", nil)
	if q.NamePrefix != "" {
		key := gamedata.NameKey(q.NamePrefix)
		lo.Value, hi.Value = key, prefixEnd(key)
	}
	args := []any{orNull("email", emailKey(q.Email)), orNull("phone", q.Phone), lo, hi,
		sql.Named("age_min", q.AgeMin), sql.Named("age_max", q.AgeMax)}
	return choose(q, playerDrivers[:], s.searchPlayers[:]), args
}

// SearchPlayers finds the players that match every criterion of q, newest
// first. Results never carry the password hash.
func (s *Store) SearchPlayers(ctx context.Context, q gamedata.PlayerQuery, p gamedata.PageRequest) (gamedata.Page[gamedata.Player], error) {
	stmt, args := s.playerSearch(q)
	page, err := list(ctx, s, "search players", stmt, p, top, scanPlayer, playerCursor, args...)
	for i := range page.Items {
		page.Items[i].PasswordHash = ""
	}
	return page, err
}

func playerCursor(p gamedata.Player) cursor { return cursor{at: nanos(p.CreatedAt), id: blob(p.ID)} }

// orderSearch returns the statement that serves q, its parameters, and the
// ceiling of its list (To).
func (s *Store) orderSearch(q gamedata.OrderQuery) (*sql.Stmt, []any, cursor) {
	user := sql.Named("user", nil)
	if q.User != "" {
		user.Value = gamedata.NameKey(q.User)
	}
	minPrice, maxPrice := int64(math.MinInt64), int64(math.MaxInt64)
	if q.MinPrice != nil {
		minPrice = int64(*q.MinPrice)
	}
	if q.MaxPrice != nil {
		maxPrice = int64(*q.MaxPrice)
	}
	from, ceil := int64(math.MinInt64), top
	if !q.From.IsZero() {
		from = bound(q.From)
	}
	if !q.To.IsZero() {
		ceil = cursor{at: bound(q.To), id: []byte{}} // below it: created < To, whatever the id
	}
	args := []any{user, orNull("status", string(q.Status)), orNull("item", q.Item),
		sql.Named("min_price", minPrice), sql.Named("max_price", maxPrice), sql.Named("from", from)}
	return choose(q, orderDrivers[:], s.searchOrders[:]), args, ceil
}

// SearchOrders finds the orders that match every criterion of q
// (From <= created < To, prices inclusive), newest first.
func (s *Store) SearchOrders(ctx context.Context, q gamedata.OrderQuery, p gamedata.PageRequest) (gamedata.Page[gamedata.Order], error) {
	stmt, args, ceil := s.orderSearch(q)
	return list(ctx, s, "search orders", stmt, p, ceil, scanOrder, orderCursor, args...)
}

// revenueBuckets checks q and returns its empty buckets with the JSON
// bounds of the revenue statement: each bucket counts the orders of its
// period that fall in [From, To).
func revenueBuckets(q gamedata.RevenueQuery) ([]gamedata.RevenueBucket, string, error) {
	periods, err := q.Periods()
	if err != nil {
		return nil, "", err
	}
	buckets := make([]gamedata.RevenueBucket, len(periods))
	bounds := make([][2]int64, len(periods))
	for i, start := range periods {
		buckets[i].Start = start
		bounds[i] = [2]int64{bound(later(start, q.From)), bound(earlier(q.Interval.Next(start), q.To))}
	}
	b, err := json.Marshal(bounds)
	return buckets, string(b), err
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// Revenue sums the orders created in [q.From, q.To) per period, empty
// periods included, oldest first; revenue is exact in cents. A range of
// more than gamedata.MaxRevenuePeriods periods is ErrInvalid.
func (s *Store) Revenue(ctx context.Context, q gamedata.RevenueQuery) ([]gamedata.RevenueBucket, error) {
	const op = "revenue"
	buckets, bounds, err := revenueBuckets(q)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", op, err)
	}
	rows, err := s.revenue.QueryContext(ctx, sql.Named("bounds", bounds), sql.Named("paid", string(gamedata.OrderPaid)))
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var i int
		var b gamedata.RevenueBucket
		var limbs [gamedata.OrderTotalLimbs]int64
		if err := rows.Scan(&i, &b.Orders, &b.PaidOrders, &limbs[0], &limbs[1], &limbs[2]); err != nil {
			return nil, s.fail(op, err)
		}
		if b.Revenue, err = gamedata.MoneySumOfLimbs(limbs); err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", op, err)
		}
		if i < 0 || i >= len(buckets) {
			return nil, s.fail(op, fmt.Errorf("bucket %d of %d", i, len(buckets)))
		}
		b.Start = buckets[i].Start
		buckets[i] = b
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return buckets, nil
}
