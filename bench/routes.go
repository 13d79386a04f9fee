package bench

import (
	"cmp"
	"context"
	"net/http"
	"slices"
	"sync"
)

type routeKey struct{}

// route marks ctx with the API route (the pattern, as the server labels
// its metrics) of the request made with it.
func route(ctx context.Context, pattern string) context.Context {
	return context.WithValue(ctx, routeKey{}, pattern)
}

// RouteCount is how many requests bench made to one route with one method
// and got one status for: the same series as the server's
// gamedata_http_requests_total{route,method,code}.
type RouteCount struct {
	Route  string `json:"route"`
	Method string `json:"method"`
	Code   int    `json:"code"`
	Count  int64  `json:"count"`
}

type countKey struct {
	route, method string
	code          int
}

// countingTransport counts every answered request by the route its context
// names ("unnamed" if none), method and status.
type countingTransport struct {
	next   http.RoundTripper
	mu     sync.Mutex
	counts map[countKey]int64
}

func newCountingTransport(next http.RoundTripper) *countingTransport {
	return &countingTransport{next: next, counts: map[countKey]int64{}}
}

func (t *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return resp, err // no answer: the server may or may not have counted it
	}
	r, _ := req.Context().Value(routeKey{}).(string)
	t.count(r, req.Method, resp.StatusCode)
	return resp, nil
}

// count counts one answered request ("unnamed" if route is empty).
func (t *countingTransport) count(route, method string, code int) {
	if route == "" {
		route = "unnamed"
	}
	t.mu.Lock()
	t.counts[countKey{route, method, code}]++
	t.mu.Unlock()
}

// snapshot returns the counts sorted by route, method and code.
func (t *countingTransport) snapshot() []RouteCount {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]RouteCount, 0, len(t.counts))
	for k, n := range t.counts {
		out = append(out, RouteCount{Route: k.route, Method: k.method, Code: k.code, Count: n})
	}
	slices.SortFunc(out, func(a, b RouteCount) int {
		return cmp.Or(cmp.Compare(a.Route, b.Route), cmp.Compare(a.Method, b.Method), cmp.Compare(a.Code, b.Code))
	})
	return out
}
