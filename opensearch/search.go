package opensearch

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/google/uuid"
	"github.com/opensearch-project/opensearch-go/v4/opensearchapi"

	"github.com/gamedata-dev/gamedata"
)

// Searcher answers the complex queries from the indices the Indexer feeds.
// Lists are newest first by (created_at, id), paged with search_after.
type Searcher struct {
	c *Client
}

var _ gamedata.Searcher = (*Searcher)(nil)

// NewSearcher returns a searcher over c's indices.
func NewSearcher(c *Client) *Searcher { return &Searcher{c: c} }

// date_nanos holds 1970 to 2262; query bounds are clamped to it (no
// document lies outside).
var (
	minNanos = time.Unix(0, 0).UTC()
	maxNanos = time.Unix(0, math.MaxInt64).UTC()
)

func clampNanos(t time.Time) time.Time {
	switch {
	case t.Before(minNanos):
		return minNanos
	case t.After(maxNanos):
		return maxNanos
	}
	return t.UTC()
}

// timeRange is a range query on a date_nanos field, from <= t < to; a zero
// bound is open.
func timeRange(field string, from, to time.Time) map[string]any {
	r := map[string]any{}
	if !from.IsZero() {
		r["gte"] = clampNanos(from).Format(time.RFC3339Nano)
	}
	if !to.IsZero() {
		r["lt"] = clampNanos(to).Format(time.RFC3339Nano)
	}
	return map[string]any{"range": map[string]any{field: r}}
}

func term(field string, v any) map[string]any {
	return map[string]any{"term": map[string]any{field: v}}
}

// SearchPlayers finds players by every field set in q.
func (s *Searcher) SearchPlayers(ctx context.Context, q gamedata.PlayerQuery, p gamedata.PageRequest) (gamedata.Page[gamedata.Player], error) {
	var filters []any
	if q.Email != "" {
		filters = append(filters, term("email", q.Email)) // the normalizer lowercases both sides
	}
	if q.Phone != "" {
		filters = append(filters, term("phone", q.Phone))
	}
	if q.NamePrefix != "" {
		filters = append(filters, map[string]any{"prefix": map[string]any{"name_key": gamedata.NameKey(q.NamePrefix)}})
	}
	if q.AgeMin != nil || q.AgeMax != nil {
		r := map[string]any{}
		if q.AgeMin != nil {
			r["gte"] = *q.AgeMin
		}
		if q.AgeMax != nil {
			r["lte"] = *q.AgeMax
		}
		filters = append(filters, map[string]any{"range": map[string]any{"age": r}})
	}
	return searchPage(ctx, s, "search players", s.c.names.users, filters, p, func(d playerDoc) (gamedata.Player, cursor) {
		return d.player(), cursor{at: d.CreatedAt.UnixNano(), id: d.ID}
	})
}

// SearchOrders finds orders by every field set in q.
func (s *Searcher) SearchOrders(ctx context.Context, q gamedata.OrderQuery, p gamedata.PageRequest) (gamedata.Page[gamedata.Order], error) {
	var filters []any
	if q.User != "" {
		filters = append(filters, term("user_key", gamedata.NameKey(q.User)))
	}
	if q.Status != "" {
		filters = append(filters, term("status", q.Status))
	}
	if q.Item != "" {
		filters = append(filters, term("item", q.Item))
	}
	if !q.From.IsZero() || !q.To.IsZero() {
		filters = append(filters, timeRange("created_at", q.From, q.To))
	}
	if q.MinPrice != nil || q.MaxPrice != nil {
		r := map[string]any{}
		if q.MinPrice != nil {
			r["gte"] = int64(*q.MinPrice)
		}
		if q.MaxPrice != nil {
			r["lte"] = int64(*q.MaxPrice)
		}
		filters = append(filters, map[string]any{"range": map[string]any{"price_cents": r}})
	}
	return searchPage(ctx, s, "search orders", s.c.names.orders.readAlias(), filters, p, func(d orderDoc) (gamedata.Order, cursor) {
		return d.order(), cursor{at: d.CreatedAt.UnixNano(), id: d.ID}
	})
}

// cursor is the sort key of a hit: created_at in nanoseconds, then id.
type cursor struct {
	at int64
	id uuid.UUID
}

func (c cursor) token() string {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 24), uint64(c.at))
	return base64.RawURLEncoding.EncodeToString(append(b, c.id[:]...))
}

func parseToken(token string) (cursor, error) {
	b, ok := gamedata.DecodeToken(token)
	if !ok || len(b) != 24 {
		return cursor{}, gamedata.Invalid("page_token", "is not a page token of this list")
	}
	return cursor{at: int64(binary.BigEndian.Uint64(b)), id: uuid.UUID(b[8:])}, nil
}

// searchPage runs a filtered search newest first and returns one page; D is
// the document type, item makes the result and the cursor of one hit.
func searchPage[D, T any](ctx context.Context, s *Searcher, op, index string, filters []any, p gamedata.PageRequest,
	item func(D) (T, cursor),
) (gamedata.Page[T], error) {
	var page gamedata.Page[T]
	limit := p.PageLimit()
	body := map[string]any{
		// One hit more than the page tells whether there is a next page.
		"size":             limit + 1,
		"track_total_hits": false,
		"query":            map[string]any{"bool": map[string]any{"filter": filters}},
		// id ties equal times; as a keyword, a UUID's text sorts as its bytes.
		"sort": []any{
			map[string]any{"created_at": map[string]any{"order": "desc"}},
			map[string]any{"id": map[string]any{"order": "desc"}},
		},
	}
	if p.Token != "" {
		c, err := parseToken(p.Token)
		if err != nil {
			return page, fmt.Errorf("opensearch: %s: %w", op, err)
		}
		body["search_after"] = []any{c.at, c.id.String()}
	}
	resp, err := s.search(ctx, op, index, body)
	if err != nil {
		return page, err
	}
	hits := resp.Hits.Hits
	more := len(hits) > limit
	if more {
		hits = hits[:limit]
	}
	page.Items = make([]T, 0, len(hits))
	for i, h := range hits {
		var d D
		if err := json.Unmarshal(h.Source, &d); err != nil {
			return page, fmt.Errorf("opensearch: %s: decode %s/%s: %w", op, h.Index, h.ID, err)
		}
		v, c := item(d)
		page.Items = append(page.Items, v)
		if more && i == len(hits)-1 {
			page.NextToken = c.token()
		}
	}
	return page, nil
}

// search runs one search on index (an alias that may not exist yet: then
// nothing is found).
func (s *Searcher) search(ctx context.Context, op, index string, body map[string]any) (*opensearchapi.SearchResp, error) {
	resp, err := s.c.api.Search(ctx, &opensearchapi.SearchReq{
		Indices: []string{index},
		Body:    jsonBody(body),
		Params:  opensearchapi.SearchParams{IgnoreUnavailable: ptr(true), AllowNoIndices: ptr(true)},
	})
	if err := s.c.check(op, resp, err); err != nil {
		return nil, err
	}
	return resp, nil
}

// Revenue sums the orders created in [q.From, q.To) per calendar period, in
// one search: a date_histogram (UTC; empty periods kept by min_doc_count 0
// and extended_bounds) with a filter sub-aggregation of the paid orders and
// the sums of their totals. A sum aggregation adds doubles, exact only
// below 2^53 (one order's total can pass it), so each order carries its
// total cut into limbs (gamedata.OrderTotalLimbBits), each limb is summed on
// its own, and gamedata.MoneySumOfLimbs puts the sums together, exact to
// the cent on 128 bits. Orders indexed before the limbs existed are summed
// by total_cents, and refused if that sum could have rounded.
func (s *Searcher) Revenue(ctx context.Context, q gamedata.RevenueQuery) ([]gamedata.RevenueBucket, error) {
	periods, err := q.Periods()
	if err != nil {
		return nil, err
	}
	buckets := make([]gamedata.RevenueBucket, len(periods))
	for i, start := range periods {
		buckets[i].Start = start
	}
	first, last := periods[0], periods[len(periods)-1]
	body := map[string]any{
		"size":  0,
		"query": map[string]any{"bool": map[string]any{"filter": []any{timeRange("created_at", q.From, q.To)}}},
		"aggs": map[string]any{"periods": map[string]any{
			"date_histogram": map[string]any{
				"field":             "created_at",
				"calendar_interval": string(q.Interval),
				"time_zone":         "UTC",
				"min_doc_count":     0,
				"extended_bounds":   map[string]any{"min": first.UnixMilli(), "max": last.UnixMilli()},
			},
			"aggs": map[string]any{"paid": map[string]any{
				"filter": term("status", gamedata.OrderPaid),
				"aggs":   revenueAggs(),
			}},
		}},
	}
	resp, err := s.search(ctx, "revenue", s.c.names.orders.readAlias(), body)
	if err != nil {
		return nil, err
	}
	var aggs struct {
		Periods struct {
			Buckets []struct {
				Key      int64 `json:"key"`
				DocCount int64 `json:"doc_count"`
				Paid     struct {
					DocCount int64 `json:"doc_count"`
					limbSums
				} `json:"paid"`
			} `json:"buckets"`
		} `json:"periods"`
	}
	if len(resp.Aggregations) > 0 {
		if err := json.Unmarshal(resp.Aggregations, &aggs); err != nil {
			return nil, fmt.Errorf("opensearch: revenue: decode aggregations: %w", err)
		}
	}
	// The periods come from the calendar here, so an answer without
	// buckets (no orders index yet) still lists every period.
	byStart := map[int64]int{}
	for i, b := range buckets {
		byStart[b.Start.UnixMilli()] = i
	}
	for _, b := range aggs.Periods.Buckets {
		if i, ok := byStart[b.Key]; ok {
			buckets[i].Orders = b.DocCount
			buckets[i].PaidOrders = b.Paid.DocCount
			if buckets[i].Revenue, err = b.Paid.sum(b.Paid.DocCount); err != nil {
				return nil, fmt.Errorf("opensearch: revenue of the %s from %s: %w", q.Interval, buckets[i].Start.Format(time.DateOnly), err)
			}
		}
	}
	return buckets, nil
}

// revenueAggs sums each limb of the totals on its own (limb0, limb1, ...),
// and total_cents of the orders without limbs (legacy).
func revenueAggs() map[string]any {
	aggs := map[string]any{
		"legacy": map[string]any{
			"filter": map[string]any{"bool": map[string]any{"must_not": map[string]any{"exists": map[string]any{"field": "total_limb0"}}}},
			"aggs":   map[string]any{"total": map[string]any{"sum": map[string]any{"field": "total_cents"}}},
		},
	}
	for i := range gamedata.OrderTotalLimbs {
		aggs[fmt.Sprintf("limb%d", i)] = map[string]any{"sum": map[string]any{"field": fmt.Sprintf("total_limb%d", i)}}
	}
	return aggs
}

type sumValue struct {
	Value float64 `json:"value"`
}

// The answer of revenueAggs has a field per limb.
var _ [gamedata.OrderTotalLimbs]sumValue = [3]sumValue{}

// limbSums is the answer of revenueAggs.
type limbSums struct {
	Limb0  sumValue `json:"limb0"`
	Limb1  sumValue `json:"limb1"`
	Limb2  sumValue `json:"limb2"`
	Legacy struct {
		DocCount int64    `json:"doc_count"`
		Total    sumValue `json:"total"`
	} `json:"legacy"`
}

// wholeBelow53 is v as an int64 when a double sum could not have rounded it.
func wholeBelow53(what string, v float64) (int64, error) {
	if v < 0 || v != math.Trunc(v) || v >= 1<<53 {
		return 0, fmt.Errorf("%s sums to %g, not a whole number below 2^53: it may have rounded", what, v)
	}
	return int64(v), nil
}

// sum puts the limbs together; docs is how many orders they add up, which
// must be few enough for a double to add their limbs exactly.
func (l limbSums) sum(docs int64) (gamedata.MoneySum, error) {
	if docs >= gamedata.MaxLimbSumCount {
		return gamedata.MoneySum{}, fmt.Errorf("%d paid orders in one period: more than a double sums exactly (%d)", docs, gamedata.MaxLimbSumCount)
	}
	var limbs [gamedata.OrderTotalLimbs]int64
	for i, v := range []float64{l.Limb0.Value, l.Limb1.Value, l.Limb2.Value} {
		var err error
		if limbs[i], err = wholeBelow53(fmt.Sprintf("limb %d", i), v); err != nil {
			return gamedata.MoneySum{}, err
		}
	}
	sum, err := gamedata.MoneySumOfLimbs(limbs)
	if err != nil || l.Legacy.DocCount == 0 {
		return sum, err
	}
	legacy, err := wholeBelow53("the total_cents of orders indexed without limbs", l.Legacy.Total.Value)
	if err != nil {
		return gamedata.MoneySum{}, err
	}
	return sum.Add(gamedata.Money(legacy))
}
