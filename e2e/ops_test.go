package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
	"github.com/gamedata-dev/gamedata/ratelimit"
)

// routes is every route of the contract.
var routes = []string{
	"POST /v1/players", "GET /v1/players/{name}", "PATCH /v1/players/{name}",
	"POST /v1/sessions", "DELETE /v1/sessions/current",
	"POST /v1/players/{name}/orders", "GET /v1/players/{name}/orders", "GET /v1/players/{name}/orders/{id}",
	"POST /v1/players/{name}/orders/{id}/pay",
	"POST /v1/messages", "GET /v1/players/{name}/inbox", "GET /v1/players/{name}/sent",
	"GET /v1/players/{name}/conversations/{other}",
	"POST /v1/events", "GET /v1/players/{name}/events",
	"PUT /v1/meta/{key}", "GET /v1/meta/{key}",
	"GET /v1/search/players", "GET /v1/search/orders", "GET /v1/stats/revenue",
	"GET /healthz", "GET /readyz", "GET /openapi.json", "GET /docs",
}

func TestOpenAPIDocument(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		a := h.raw("GET", "/openapi.json", "", "", nil)
		if a.status != 200 {
			t.Fatalf("GET /openapi.json: %d", a.status)
		}
		doc, err := openapi3.NewLoader().LoadFromData(a.body)
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("not a valid OpenAPI document: %v", err)
		}
		if !strings.HasPrefix(doc.OpenAPI, "3.") {
			t.Fatalf("openapi %q", doc.OpenAPI)
		}
		for _, r := range routes {
			method, path, _ := strings.Cut(r, " ")
			item := doc.Paths.Find(path)
			if item == nil || item.GetOperation(method) == nil {
				t.Errorf("the document lacks %s", r)
				continue
			}
			// A 422 is answered only for an Idempotency-Key reused with
			// another request (bad input is a 400).
			op := item.GetOperation(method)
			keyed := op.Parameters.GetByInAndName("header", "Idempotency-Key") != nil
			if _, ok := op.Responses.Map()["422"]; ok != keyed {
				t.Errorf("%s: a 422 documented %v, an Idempotency-Key taken %v", r, ok, keyed)
			}
		}
		// Every documented operation is a route of the server: a request to
		// it is counted under its documented path (the pattern the server's
		// mux matched), not as unmatched.
		var documented []string
		for path, item := range doc.Paths.Map() {
			for method := range item.Operations() {
				documented = append(documented, method+" "+path)
				h.raw(method, pathParam.ReplaceAllString(path, "x"), "", "", nil)
			}
		}
		served := map[string]bool{}
		for _, m := range routeMetric.FindAllStringSubmatch(h.metrics(), -1) {
			served[m[1]+" "+m[2]] = true
		}
		for _, r := range documented {
			if !served[r] {
				t.Errorf("the document has %s, which the server does not route", r)
			}
		}
	})
}

// pathParam is a parameter of a documented path: {name}.
var pathParam = regexp.MustCompile(`\{[^}]+\}`)

// routeMetric is a sample of the request counter: its method and route.
var routeMetric = regexp.MustCompile(`gamedata_http_requests_total\{code="\d+",method="([A-Z]+)",route="([^"]+)"\}`)

func TestDocsPage(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		a := h.raw("GET", "/docs", "", "", nil)
		page := string(a.body)
		if a.status != 200 || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Fatalf("GET /docs: %d %s", a.status, a.header.Get("Content-Type"))
		}
		if regexp.MustCompile(`(?i)<script|https?://`).MatchString(page) {
			t.Fatal("the docs page loads scripts or remote resources; it must work offline")
		}
		for _, r := range routes {
			method, path, _ := strings.Cut(r, " ")
			if !strings.Contains(page, `<span class="m `+method+`">`+method+`</span> `+path+`</h3>`) {
				t.Errorf("the docs page lacks %s", r)
			}
		}
	})
}

func TestHealthAndReadiness(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		if err := h.anon.Health(ctx); err != nil {
			t.Fatal(err)
		}
		r, err := h.anon.Ready(ctx)
		if err != nil || r.Status != "ready" || r.Checks["store"] != "ok" {
			t.Fatalf("ready: %+v %v", r, err)
		}
	})
	failing := options{ready: map[string]func(context.Context) error{
		"store": func(context.Context) error { return nil },
		"search": func(context.Context) error {
			return gamedata.Unavailable("opensearch", errors.New("connection refused"))
		},
	}}
	eachBackendWith(t, failing, func(t *testing.T, h *harness) {
		a := h.raw("GET", "/readyz", "", "", nil)
		var body struct {
			problem
			Checks map[string]string `json:"checks"`
		}
		if err := json.Unmarshal(a.body, &body); err != nil {
			t.Fatal(err)
		}
		if a.status != 503 || !strings.Contains(body.Detail, "search") || body.Checks["search"] != "unavailable" ||
			body.Checks["store"] != "ok" || strings.Contains(string(a.body), "refused") {
			t.Fatalf("readyz with search down: %d %s", a.status, a.body)
		}
	})
}

func TestMetricsAndRequestIDs(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		alice, _ := h.player("alice")
		for range 3 {
			h.raw("GET", "/v1/players/"+alice, adminKey, "", nil)
		}
		h.raw("GET", "/v1/players/"+h.name("ghost"), adminKey, "", nil)
		m := h.metrics()
		for _, want := range []string{
			`gamedata_http_requests_total{code="201",method="POST",route="/v1/players"} 1`,
			`gamedata_http_requests_total{code="200",method="GET",route="/v1/players/{name}"} 3`,
			`gamedata_http_requests_total{code="404",method="GET",route="/v1/players/{name}"} 1`,
			`gamedata_http_request_duration_seconds_count{method="GET",route="/v1/players/{name}"} 4`,
			`gamedata_http_requests_in_flight 0`,
			`go_goroutines `,
			`process_resident_memory_bytes `,
		} {
			if !strings.Contains(m, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		}
		if strings.Contains(m, alice) {
			t.Error("a raw path went into a metric label")
		}

		// Every answer has a request id; a sane one from the caller is kept.
		req, _ := http.NewRequest("GET", h.url+"/healthz", nil)
		req.Header.Set("X-Request-Id", "trace-123")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Request-Id"); got != "trace-123" {
			t.Fatalf("X-Request-Id %q, want the caller's", got)
		}
		if id := h.raw("GET", "/healthz", "", "", nil).header.Get("X-Request-Id"); len(id) < 16 {
			t.Fatalf("made-up request id %q", id)
		}
	})
}

func TestRateLimitOfOpenEndpoints(t *testing.T) {
	// 1 request a second, bursts of 3, per client address: the manual
	// clock stands still, so the fourth request is refused.
	limit := options{limiter: func(c gamedata.Clock) gamedata.RateLimiter { return ratelimit.New(1, 3, ratelimit.WithClock(c)) }}
	eachBackendWith(t, limit, func(t *testing.T, lh *harness) {
		ctx := context.Background()
		name := lh.name("p")
		if _, err := lh.anon.CreatePlayer(ctx, client.NewPlayer{Name: name, Password: "correct-horse"}); err != nil {
			t.Fatal(err)
		}
		if _, err := lh.anon.Login(ctx, name, "correct-horse"); err != nil {
			t.Fatal(err)
		}
		lh.raw("GET", "/v1/meta/none", "", "", nil).problem(t, http.StatusNotFound)
		a := lh.raw("POST", "/v1/sessions", "", "application/json", jsonBody(t, map[string]string{"name": name, "password": "correct-horse"}))
		a.problem(t, http.StatusTooManyRequests)
		if ra := a.header.Get("Retry-After"); ra != "1" {
			t.Fatalf("Retry-After %q, want 1", ra)
		}
		_, err := lh.anon.GetMeta(ctx, "none")
		var e *client.Error
		if !client.IsRateLimited(err) || !errors.As(err, &e) || e.RetryAfter <= 0 {
			t.Fatalf("GET /v1/meta: %v", err)
		}
		// Endpoints with credentials are not limited per address.
		for i := range 5 {
			if _, err := lh.admin.GetPlayer(ctx, name); err != nil {
				t.Fatalf("request %d with a server key: %v", i, err)
			}
		}
		if err := lh.anon.Health(ctx); err != nil {
			t.Fatalf("healthz: %v", err)
		}
		lh.clock.Advance(1100 * time.Millisecond) // one token back
		if _, err := lh.anon.GetMeta(ctx, "none"); !errors.Is(err, gamedata.ErrNotFound) {
			t.Fatalf("after waiting: %v", err)
		}
	})
}

func TestUnknownRoutes(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		h.raw("GET", "/v2/nothing", "", "", nil).problem(t, http.StatusNotFound)
		a := h.raw("DELETE", "/v1/players", "", "", nil)
		a.problem(t, http.StatusMethodNotAllowed)
		if a.header.Get("Allow") == "" {
			t.Fatal("405 without Allow")
		}
		for i, path := range []string{"/v1/players/a/b/c", fmt.Sprintf("/v1/meta/%s/x", "k")} {
			if got := h.raw("GET", path, adminKey, "", nil); got.status != 404 {
				t.Errorf("%d: GET %s: %d", i, path, got.status)
			}
		}
	})
}

// TestMetricsAreNotOnTheAPI: who calls what and how often is for the
// operator's listener (--admin-addr), not for anyone who reaches the API.
func TestMetricsAreNotOnTheAPI(t *testing.T) {
	h := newHarness(t, backends["sqlite"], options{})
	h.raw("GET", "/metrics", "", "", nil).problem(t, http.StatusNotFound)
	h.raw("GET", "/metrics", adminKey, "", nil).problem(t, http.StatusNotFound)
}

// TestRateLimitOfCredentialedEndpoints: each player's sessions together,
// and each server key, have a budget of their own; a refused secret costs
// its address one request of a budget as large as the open endpoints'.
func TestRateLimitOfCredentialedEndpoints(t *testing.T) {
	perSecond := func(n int) func(c gamedata.Clock) gamedata.RateLimiter {
		return func(c gamedata.Clock) gamedata.RateLimiter { return ratelimit.New(1, n, ratelimit.WithClock(c)) }
	}
	h := newHarness(t, backends["sqlite"], options{limiter: perSecond(8), playerLimiter: perSecond(3), keyLimiter: perSecond(5)})
	alice, asAlice := h.player("alice") // register and login: 2 of the address's 8
	bob, asBob := h.player("bob")       // 4 of 8
	for range 3 {
		h.raw("GET", "/v1/players/"+alice, asAlice.Token(), "", nil).problemOrOK(t, http.StatusOK)
	}
	a := h.raw("GET", "/v1/players/"+alice, asAlice.Token(), "", nil)
	a.problem(t, http.StatusTooManyRequests)
	if a.header.Get("Retry-After") == "" {
		t.Error("a 429 without Retry-After")
	}
	// Another player, and the server key, are not held back by alice.
	h.raw("GET", "/v1/players/"+bob, asBob.Token(), "", nil).problemOrOK(t, http.StatusOK)
	for range 5 {
		h.raw("GET", "/v1/players/"+bob, adminKey, "", nil).problemOrOK(t, http.StatusOK)
	}
	h.raw("GET", "/v1/players/"+bob, adminKey, "", nil).problem(t, http.StatusTooManyRequests)
	// Guessed secrets: a budget of 8 per address, then 429 for any guess.
	for range 8 {
		h.raw("GET", "/v1/players/"+bob, "gds_guess", "", nil).problem(t, http.StatusUnauthorized)
	}
	h.raw("GET", "/v1/players/"+bob, "gds_guess", "", nil).problem(t, http.StatusTooManyRequests)
	h.clock.Advance(1100 * time.Millisecond)
	h.raw("GET", "/v1/players/"+alice, asAlice.Token(), "", nil).problemOrOK(t, http.StatusOK)
}
