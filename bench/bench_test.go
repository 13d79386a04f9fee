package bench_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/bench"
	"github.com/gamedata-dev/gamedata/password"
	"github.com/gamedata-dev/gamedata/sqlite"
)

const adminKey = "bench-test-admin-key-0123456789"

// testServer is the API over a fresh SQLite store, in this process.
type testServer struct {
	URL   string
	store *sqlite.Store
	reg   *prometheus.Registry
}

// newServer starts the API; wrap, when not nil, wraps its handler.
func newServer(t *testing.T, search bool, wrap func(http.Handler) http.Handler) *testServer {
	t.Helper()
	store, err := sqlite.Open(context.Background(), sqlite.Config{Path: filepath.Join(t.TempDir(), "gamedata.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	reg := prometheus.NewRegistry()
	// A hash queue long enough that no register or login of a test is
	// refused while the hashes of the others run.
	passwords, err := password.NewPool(password.PoolConfig{Queue: 256})
	if err != nil {
		t.Fatal(err)
	}
	cfg := api.Config{Store: store, Registry: reg, AdminKey: adminKey, Passwords: passwords}
	if search {
		cfg.Searcher = store
	}
	h, err := api.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	var handler http.Handler = h
	if wrap != nil {
		handler = wrap(h)
	}
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	return &testServer{URL: srv.URL, store: store, reg: reg}
}

// serverCounts reads gamedata_http_requests_total by route, method and code.
func (s *testServer) serverCounts(t *testing.T) map[string]int64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, mf := range mfs {
		if mf.GetName() != "gamedata_http_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			l := map[string]string{}
			for _, lp := range m.GetLabel() {
				l[lp.GetName()] = lp.GetValue()
			}
			out[l["method"]+" "+l["route"]+" "+l["code"]] = int64(m.GetCounter().GetValue())
		}
	}
	return out
}

func benchCounts(res *bench.Result) map[string]int64 {
	out := map[string]int64{}
	for _, c := range res.Requests {
		out[c.Method+" "+c.Route+" "+strconv.Itoa(c.Code)] = c.Count
	}
	return out
}

// sameCounts waits until the server has counted what bench did: the server
// counts a request once it has answered it, a moment after the client got
// the answer.
func sameCounts(t *testing.T, s *testServer, res *bench.Result) {
	t.Helper()
	want := benchCounts(res)
	var got map[string]int64
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got = s.serverCounts(t); reflect.DeepEqual(got, want) {
			return
		}
	}
	t.Errorf("bench counted requests\n%v\nthe server counted\n%v", want, got)
}

func scenario(t *testing.T, res *bench.Result, name string) bench.ScenarioResult {
	t.Helper()
	sc, ok := res.Scenario(name)
	if !ok {
		t.Fatalf("no result for %s: %+v", name, res.Scenarios)
	}
	return sc
}

// Every scenario runs, without a warm-up, so each one's count must be
// what the server saw of its routes; and the request counts of bench, set
// up included, are the server's own.
func TestCountsMatchTheServer(t *testing.T) {
	// Enough runs that each scenario of the mix runs (a 1-in-20 scenario
	// misses 225 runs once in 10^5).
	for _, mode := range []struct {
		name     string
		rate     float64
		workers  int
		duration time.Duration
	}{{"open", 150, 4, 1500 * time.Millisecond}, {"closed", 0, 8, 3 * time.Second}} {
		t.Run(mode.name, func(t *testing.T) {
			s := newServer(t, true, nil)
			res, err := bench.Run(context.Background(), bench.Config{
				URL: s.URL, Key: adminKey, Players: 4, Rate: mode.rate, Concurrency: mode.workers, Duration: mode.duration,
				Mix: bench.Mix{"register": 1, "login": 1, "read_profile": 4, "create_pay_order": 3, "send_message": 3,
					"read_inbox": 3, "post_events": 3, "search_players": 1, "search_orders": 1},
			})
			if err != nil {
				t.Fatal(err)
			}
			sameCounts(t, s, res)
			server := s.serverCounts(t)
			for route, sc := range map[string]string{
				"POST /v1/players/{name}/orders/{id}/pay 200": "create_pay_order",
				"POST /v1/messages 201":                       "send_message",
				"GET /v1/players/{name}/inbox 200":            "read_inbox",
				"POST /v1/events 202":                         "post_events",
				"POST /v1/sessions 201":                       "login",
				"GET /v1/search/players 200":                  "search_players",
				"GET /v1/search/orders 200":                   "search_orders",
			} {
				r := scenario(t, res, sc)
				if r.Errors != 0 {
					t.Errorf("%s: %d errors: %v", sc, r.Errors, r.ErrorExamples)
				}
				want := r.Count
				if sc == "search_players" {
					want++ // the probe of whether the server searches
				}
				if r.Count == 0 || server[route] != want {
					t.Errorf("%s ran %d times, the server answered %s %d times", sc, r.Count, route, server[route])
				}
			}
			// The population's 4 players were made first (each looked up, 404,
			// then created), then register made new ones.
			if got, want := server["POST /v1/players 201"], 4+scenario(t, res, "register").Count; got != want {
				t.Errorf("the server created %d players, want 4 + %d registered", got, want-4)
			}
			if got, want := server["GET /v1/players/{name} 200"], scenario(t, res, "read_profile").Count; got != want {
				t.Errorf("the server read %d profiles, read_profile ran %d times", got, want)
			}
			total := res.Total
			if want := int64(mode.rate * 1.5); mode.rate > 0 && total.Count != want {
				t.Errorf("the open loop ran %d scenarios in 1.5s at %g/s, want %d", total.Count, mode.rate, want)
			}
			if total.Count < 10 || total.P50 <= 0 || total.P50 > total.P99 || total.P99 > total.Max {
				t.Errorf("implausible summary: %+v", total)
			}
			var table strings.Builder
			if err := res.WriteTable(&table); err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"read_profile", "p99.9 ms", fmt.Sprintf(" %d ", total.Count)} {
				if !strings.Contains(table.String(), want) {
					t.Errorf("the table lacks %q:\n%s", want, table.String())
				}
			}
		})
	}
}

// preload writes n players through the store, as gamedata bench --preload.
func preload(t *testing.T, store gamedata.Store, n int) bench.PreloadResult {
	t.Helper()
	hash := password.Hash(bench.DefaultPassword)
	res, err := bench.Preload(context.Background(), bench.PreloadConfig{Store: store, Players: n, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// beforeProfileReads wraps a handler so that f runs before every read of a
// player.
func beforeProfileReads(f func()) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/players/") {
				f()
			}
			next.ServeHTTP(w, r)
		})
	}
}

// A server that stalls once holds up every scenario due while it stalls:
// the open loop charges each from the time it was due, so more than half
// of them are slow although the server was slow only once.
func TestOpenLoopCountsTheWaitBehindAStall(t *testing.T) {
	var once sync.Once
	s := newServer(t, false, beforeProfileReads(func() { once.Do(func() { time.Sleep(700 * time.Millisecond) }) }))
	preload(t, s.store, 2) // so that bench looks up no player before the run
	res, err := bench.Run(context.Background(), bench.Config{
		URL: s.URL, Key: adminKey, Players: 2, Rate: 100, Concurrency: 1, Duration: time.Second,
		Mix: bench.Mix{"read_profile": 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	rp := scenario(t, res, "read_profile")
	if rp.Count != 100 || rp.Errors != 0 {
		t.Fatalf("read_profile ran %d times with %d errors, want 100 and 0", rp.Count, rp.Errors)
	}
	if rp.P50 < 100 || rp.Max < 650 {
		t.Errorf("p50 %.1f ms, max %.1f ms: the wait behind a 700 ms stall is not counted", rp.P50, rp.Max)
	}
}

// The population comes from the preload's checkpoint: bench creates no
// player, and its players log in with the bench password.
func TestRunUsesThePreloadedPopulation(t *testing.T) {
	s := newServer(t, false, nil)
	preload(t, s.store, 30)
	res, err := bench.Run(context.Background(), bench.Config{
		URL: s.URL, Key: adminKey, Players: 30, Rate: 20, Concurrency: 2, Duration: 500 * time.Millisecond,
		Mix: bench.Mix{"login": 1, "read_inbox": 1, "search_players": 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	counts := benchCounts(res)
	for k, n := range counts {
		if strings.Contains(k, "/v1/players ") || strings.HasPrefix(k, "GET /v1/players/{name} ") {
			t.Errorf("bench set up the population although it was preloaded: %s x %d", k, n)
		}
	}
	for _, name := range []string{"login", "read_inbox"} {
		if sc := scenario(t, res, name); sc.Count == 0 || sc.Errors != 0 {
			t.Errorf("%s: %d runs, %d errors %v", name, sc.Count, sc.Errors, sc.ErrorExamples)
		}
	}
	if why := res.Skipped["search_players"]; !strings.Contains(why, "503") {
		t.Errorf("search_players on a server without search: skipped %q, want a 503 named", why)
	}
	if _, ran := res.Scenario("search_players"); ran {
		t.Error("search_players ran on a server without search")
	}
}

func TestPreloadResumes(t *testing.T) {
	ctx := context.Background()
	s := newServer(t, false, nil)
	first := preload(t, s.store, 300)
	if first.From != 0 || first.To != 300 || first.Players != 300 || first.Orders != 900 || first.Messages != 900 {
		t.Fatalf("first preload: %+v", first)
	}
	// An interrupted run got as far as player 300 and one of its orders.
	name := bench.PlayerName(bench.DefaultPrefix, 300)
	now := time.Now().UTC()
	if err := s.store.CreatePlayer(ctx, gamedata.Player{ID: gamedata.NewID(now), Name: name, PasswordHash: "x", CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.store.CreateOrder(ctx, gamedata.Order{ID: gamedata.NewID(now), UserName: name, Item: "sword", Amount: 1,
		Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now}, ""); err != nil {
		t.Fatal(err)
	}
	second := preload(t, s.store, 700)
	if second.From != 300 || second.To != 700 || second.Players != 399 || second.Orders != 399*3+2 || second.Messages != 400*3 {
		t.Fatalf("second preload: %+v, want 399 new players and player 300 completed", second)
	}
	for _, i := range []int{0, 300, 699} {
		name := bench.PlayerName(bench.DefaultPrefix, i)
		orders, err := s.store.ListOrders(ctx, name, gamedata.PageRequest{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		paid := 0
		for _, o := range orders.Items {
			if o.Status == gamedata.OrderPaid {
				paid++
			}
		}
		sent, err := s.store.Sent(ctx, name, gamedata.PageRequest{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(orders.Items) != 3 || paid != 1 || len(sent.Items) != 3 {
			t.Errorf("%s: %d orders (%d paid), %d messages sent; want 3 (1 paid) and 3", name, len(orders.Items), paid, len(sent.Items))
		}
	}
	if again := preload(t, s.store, 700); again.Players != 0 || again.To != 700 {
		t.Errorf("a third preload of 700 wrote %+v, want nothing", again)
	}
	hash := password.Hash(bench.DefaultPassword)
	_, err := bench.Preload(ctx, bench.PreloadConfig{Store: s.store, Players: 800, PasswordHash: hash, OrdersPerPlayer: 5})
	if err == nil || !strings.Contains(err.Error(), "3 orders") {
		t.Errorf("a preload with other numbers than the checkpoint's: %v, want a refusal naming them", err)
	}
}

func TestParseMix(t *testing.T) {
	m, err := bench.ParseMix("read_profile=40, send_message=10,login=0.5")
	if err != nil {
		t.Fatal(err)
	}
	if want := (bench.Mix{"read_profile": 40, "send_message": 10, "login": 0.5}); !reflect.DeepEqual(m, want) {
		t.Errorf("got %v, want %v", m, want)
	}
	if m.String() != "login=0.5,read_profile=40,send_message=10" {
		t.Errorf("String() = %q", m.String())
	}
	for _, bad := range []string{"", "read_profile", "read_profile=-1", "fly=3", "read_profile=1,read_profile=2", "read_profile=0"} {
		if _, err := bench.ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) succeeded", bad)
		}
	}
	if _, err := bench.ParseMix(bench.DefaultMix); err != nil {
		t.Errorf("the default mix: %v", err)
	}
}

// A server slower than the rate: every run that was due is measured (with
// its wait), but the throughput is what the server sustained.
func TestOpenLoopBehindShowsTheSustainedThroughput(t *testing.T) {
	// At most 50 reads a second, one at a time.
	s := newServer(t, false, beforeProfileReads(func() { time.Sleep(20 * time.Millisecond) }))
	preload(t, s.store, 2)
	res, err := bench.Run(context.Background(), bench.Config{
		URL: s.URL, Key: adminKey, Players: 2, Rate: 100, Concurrency: 1, Duration: time.Second,
		Mix: bench.Mix{"read_profile": 1},
	})
	if err != nil {
		t.Fatal(err)
	}
	rp := scenario(t, res, "read_profile")
	if rp.Count != 100 || rp.Throughput < 30 || rp.Throughput > 55 {
		t.Errorf("%d runs due, %.1f a second sustained; want 100 and about 50", rp.Count, rp.Throughput)
	}
	if rp.Max < 700 {
		t.Errorf("max %.1f ms: the last run waited ~1 s behind the others", rp.Max)
	}
}
