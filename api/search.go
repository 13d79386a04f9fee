package api

import (
	"context"
	"net/http"
	"reflect"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamedata-dev/gamedata"
)

// optional is a query parameter that may be absent (huma takes no pointer
// parameters): Value is meaningful when Set.
type optional[T any] struct {
	Value T
	Set   bool
}

// Receiver lets huma parse the parameter into Value, with Value's schema.
func (o *optional[T]) Receiver() reflect.Value { return reflect.ValueOf(o).Elem().Field(0) }

// Schema documents the parameter as a T.
func (o optional[T]) Schema(r huma.Registry) *huma.Schema {
	return huma.SchemaFromType(r, reflect.TypeFor[T]())
}

// OnParamSet records whether the request had the parameter.
func (o *optional[T]) OnParamSet(isSet bool, _ any) { o.Set = isSet }

func (o optional[T]) ptr() *T {
	if !o.Set {
		return nil
	}
	return &o.Value
}

type searchPlayersIn struct {
	Email      string        `query:"email" maxLength:"254" doc:"exact, ignoring case"`
	Phone      string        `query:"phone" maxLength:"32" doc:"exact"`
	NamePrefix string        `query:"name_prefix" maxLength:"64" doc:"names that start with it, ignoring case"`
	AgeMin     optional[int] `query:"age_min" minimum:"0" maximum:"150" doc:"lowest age included"`
	AgeMax     optional[int] `query:"age_max" minimum:"0" maximum:"150" doc:"highest age included"`
	Paging
}

type searchOrdersIn struct {
	User     string    `query:"user" maxLength:"64" doc:"the buyer's name, ignoring case"`
	Status   string    `query:"status" enum:"unpaid,paid"`
	Item     string    `query:"item" maxLength:"128" doc:"exact"`
	From     time.Time `query:"from" doc:"oldest creation time included (RFC 3339)"`
	To       time.Time `query:"to" doc:"newest creation time excluded (RFC 3339)"`
	MinPrice string    `query:"min_price" pattern:"^[0-9]{1,8}(\\.[0-9]{1,2})?$" doc:"lowest unit price included, a decimal string"`
	MaxPrice string    `query:"max_price" pattern:"^[0-9]{1,8}(\\.[0-9]{1,2})?$" doc:"highest unit price included, a decimal string"`
	Paging
}

type revenueIn struct {
	From     time.Time `query:"from" required:"true" doc:"start of the first period's range (RFC 3339), included"`
	To       time.Time `query:"to" required:"true" doc:"end of the range (RFC 3339), excluded"`
	Interval string    `query:"interval" required:"true" enum:"day,week,month" doc:"bucket width: calendar periods in UTC, weeks from Monday"`
}

type revenueOut struct {
	Body struct {
		Buckets []gamedata.RevenueBucket `json:"buckets" doc:"one per period from the one holding from to the one holding the end of the range, empty ones included, oldest first; revenue sums price x amount of the paid orders"`
	}
}

func (s *Server) registerSearch() {
	handle(s, serverOnly, huma.Operation{
		OperationID: "search-players", Method: http.MethodGet, Path: "/v1/search/players", Tags: []string{"search"},
		Summary:     "Find players by email, phone, name prefix and age range, newest first",
		Description: "Every criterion given must match. Search lags writes by a few seconds.",
	}, s.searchPlayers)
	handle(s, serverOnly, huma.Operation{
		OperationID: "search-orders", Method: http.MethodGet, Path: "/v1/search/orders", Tags: []string{"search"},
		Summary:     "Find orders by buyer, status, item, creation time and unit price, newest first",
		Description: "Every criterion given must match. Search lags writes by a few seconds.",
	}, s.searchOrders)
	handle(s, serverOnly, huma.Operation{
		OperationID: "revenue", Method: http.MethodGet, Path: "/v1/stats/revenue", Tags: []string{"search"},
		Summary: "Count orders and sum the revenue of the paid ones per day, week or month",
	}, s.revenue)
}

// errNoSearch answers a search on a server that has none configured.
var errNoSearch = newProblem(http.StatusServiceUnavailable, "search is not configured on this server").withHeader("Retry-After", "60")

func (s *Server) searchPlayers(ctx context.Context, in *searchPlayersIn) (*pageOut[gamedata.Player], error) {
	if s.searcher == nil {
		return nil, errNoSearch
	}
	q := gamedata.PlayerQuery{Email: in.Email, Phone: in.Phone, NamePrefix: in.NamePrefix, AgeMin: in.AgeMin.ptr(), AgeMax: in.AgeMax.ptr()}
	return pageOf(s.searcher.SearchPlayers(ctx, q, in.request()))
}

func (s *Server) searchOrders(ctx context.Context, in *searchOrdersIn) (*pageOut[gamedata.Order], error) {
	if s.searcher == nil {
		return nil, errNoSearch
	}
	q := gamedata.OrderQuery{User: in.User, Status: gamedata.OrderStatus(in.Status), Item: in.Item, From: in.From, To: in.To}
	v := &gamedata.ValidationError{}
	for _, p := range []struct {
		field, value string
		into         **gamedata.Money
	}{{"min_price", in.MinPrice, &q.MinPrice}, {"max_price", in.MaxPrice, &q.MaxPrice}} {
		if p.value == "" {
			continue
		}
		m, err := gamedata.ParseMoney(p.value)
		if err != nil {
			v.Add(p.field, "must be a decimal string with at most 2 decimals")
			continue
		}
		*p.into = &m
	}
	if !in.From.IsZero() && !in.To.IsZero() && in.To.Before(in.From) {
		v.Add("to", "must not be before from")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return pageOf(s.searcher.SearchOrders(ctx, q, in.request()))
}

func (s *Server) revenue(ctx context.Context, in *revenueIn) (*revenueOut, error) {
	if s.searcher == nil {
		return nil, errNoSearch
	}
	buckets, err := s.searcher.Revenue(ctx, gamedata.RevenueQuery{From: in.From, To: in.To, Interval: gamedata.Interval(in.Interval)})
	if err != nil {
		return nil, err
	}
	out := &revenueOut{}
	out.Body.Buckets = buckets
	return out, nil
}
