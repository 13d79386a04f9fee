package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
	"github.com/gamedata-dev/gamedata/opensearch"
	"github.com/gamedata-dev/gamedata/opensearch/opensearchtest"
)

// searchKind is a way to search a store: it makes the searcher of a store
// and the function that makes every write so far searchable (nil: none
// needed). It skips t when the store cannot back it.
type searchKind struct {
	name string
	open func(t *testing.T, store gamedata.Store) (gamedata.Searcher, func(t *testing.T))
}

var searchKinds = []searchKind{
	{"sql", func(t *testing.T, store gamedata.Store) (gamedata.Searcher, func(t *testing.T)) {
		s, ok := store.(gamedata.Searcher)
		if !ok {
			t.Skip("this store does not search itself")
		}
		return s, nil
	}},
	{"opensearch", func(t *testing.T, store gamedata.Store) (gamedata.Searcher, func(t *testing.T)) {
		feed, ok := store.(gamedata.ChangeFeed)
		if !ok {
			t.Skip("this store has no change feed (yet) to feed OpenSearch")
		}
		c := opensearchtest.Open(t, opensearchtest.Require(t))
		ix, err := opensearch.NewIndexer(c, store, feed, opensearch.IndexerConfig{
			Consumer: "e2e", Registerer: prometheus.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		return opensearch.NewSearcher(c), func(t *testing.T) { opensearchtest.Sync(t, ix, c) }
	}},
}

// eachSearchBackend runs test once per registered store backend and search
// kind, in parallel subtests; sync makes every write so far searchable.
func eachSearchBackend(t *testing.T, test func(t *testing.T, h *harness, sync func())) {
	t.Helper()
	names := make([]string, 0, len(backends))
	for name := range backends {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, kind := range searchKinds {
			t.Run(name+"/"+kind.name, func(t *testing.T) {
				t.Parallel()
				var sync func(*testing.T)
				h := newHarness(t, backends[name], options{search: func(t *testing.T, store gamedata.Store) gamedata.Searcher {
					s, fn := kind.open(t, store)
					sync = fn
					return s
				}})
				test(t, h, func() {
					if sync != nil {
						sync(t)
					}
				})
			})
		}
	}
}

// search GETs path with query as the admin, walking every page of limit
// items, and returns the items in the order served.
func search[T any](t *testing.T, h *harness, path string, query url.Values, limit int) []T {
	t.Helper()
	var all []T
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("limit", fmt.Sprint(limit))
	for pages := 1; ; pages++ {
		var page client.Page[T]
		if err := h.admin.Do(context.Background(), http.MethodGet, path+"?"+q.Encode(), nil, &page); err != nil {
			t.Fatalf("GET %s?%s: %v", path, q.Encode(), err)
		}
		if len(page.Items) > limit || pages > 100 {
			t.Fatalf("GET %s: page %d of %d items, limit %d", path, pages, len(page.Items), limit)
		}
		all = append(all, page.Items...)
		if page.NextPageToken == "" {
			return all
		}
		q.Set("page_token", page.NextPageToken)
	}
}

func names[T any](items []T, name func(T) string) string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = name(it)
	}
	return strings.Join(out, ",")
}

func TestSearchPlayers(t *testing.T) {
	eachSearchBackend(t, func(t *testing.T, h *harness, sync func()) {
		ctx := context.Background()
		tag := strings.ToLower(h.name("t"))
		register := func(base, email string, age int) string {
			t.Helper()
			h.clock.Advance(time.Millisecond) // newest first is then defined
			name := h.name(base)
			phone := fmt.Sprintf("+1 %d", h.clock.Now().UnixNano()%1e9)
			if _, err := h.anon.CreatePlayer(ctx, client.NewPlayer{Name: name, Password: "correct-horse-battery",
				Email: &email, Phone: &phone, Age: &age}); err != nil {
				t.Fatal(err)
			}
			return name
		}
		ann := register("Ann", "ann@"+tag+".example", 20)
		bob := register("Bob", "Bob@"+strings.ToUpper(tag)+".example", 35)
		register("Cat", "cat@"+tag+".example", 50)
		sync()

		player := func(p gamedata.Player) string { return p.Name }
		got := search[gamedata.Player](t, h, "/v1/search/players", url.Values{"email": {"BOB@" + tag + ".EXAMPLE"}}, 10)
		if names(got, player) != bob {
			t.Errorf("by email ignoring case: %s, want %s", names(got, player), bob)
		}
		got = search[gamedata.Player](t, h, "/v1/search/players", url.Values{"name_prefix": {strings.ToUpper(ann[:5])}}, 1)
		if names(got, player) != ann {
			t.Errorf("by name prefix: %s, want %s", names(got, player), ann)
		}
		// Both ends of the age range are included; newest first, page by page.
		got = search[gamedata.Player](t, h, "/v1/search/players", url.Values{"age_min": {"20"}, "age_max": {"35"}}, 1)
		var mine []string
		for _, p := range got {
			if strings.HasSuffix(p.Email, "@"+tag+".example") || strings.HasSuffix(p.Email, "@"+strings.ToUpper(tag)+".example") {
				mine = append(mine, p.Name)
			}
		}
		if strings.Join(mine, ",") != bob+","+ann {
			t.Errorf("by age 20 to 35: %v, want %s,%s", mine, bob, ann)
		}

		// A changed email is found by the new address only.
		newEmail := "ann.new@" + tag + ".example"
		if _, err := h.admin.UpdatePlayer(ctx, ann, client.PlayerPatch{Email: &newEmail}); err != nil {
			t.Fatal(err)
		}
		sync()
		if got := search[gamedata.Player](t, h, "/v1/search/players", url.Values{"email": {"ann@" + tag + ".example"}}, 10); len(got) != 0 {
			t.Errorf("the old email still finds %s", names(got, player))
		}
		if got := search[gamedata.Player](t, h, "/v1/search/players", url.Values{"email": {newEmail}}, 10); names(got, player) != ann {
			t.Errorf("the new email finds %s, want %s", names(got, player), ann)
		}

		// No password or hash ever leaves: the raw answer has no such key.
		a := h.raw("GET", "/v1/search/players?email="+url.QueryEscape(newEmail), adminKey, "", nil)
		if a.status != http.StatusOK || strings.Contains(string(a.body), "password") || strings.Contains(string(a.body), "argon2") {
			t.Errorf("search answer %d: %s", a.status, a.body)
		}
		h.raw("GET", "/v1/search/players?age_min=-1", adminKey, "", nil).fields(t, "age_min")
		h.raw("GET", "/v1/search/players?age_max=old", adminKey, "", nil).fields(t, "age_max")
	})
}

func TestSearchOrdersAndRevenue(t *testing.T) {
	eachSearchBackend(t, func(t *testing.T, h *harness, sync func()) {
		ctx := context.Background()
		// A day of its own, far from every other test's: revenue has no filter.
		day := time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(time.Now().UnixNano()%3000))
		h.clock.Set(day.Add(time.Hour))
		alice, _ := h.player("alice")
		bob, _ := h.player("bob")
		item := h.name("sword")
		buy := func(user string, amount int, price gamedata.Money, pay bool) gamedata.Order {
			t.Helper()
			h.clock.Advance(time.Minute)
			o, _, err := h.admin.CreateOrder(ctx, user, client.NewOrder{Item: item, Amount: amount, Price: price})
			if err != nil {
				t.Fatal(err)
			}
			if pay {
				if o, err = h.admin.PayOrder(ctx, user, o.ID); err != nil {
					t.Fatal(err)
				}
			}
			return o
		}
		a1 := buy(alice, 2, 499, true) // 9.98 paid
		a2 := buy(alice, 1, 1999, false)
		b1 := buy(bob, 3, 1, true) // 0.03 paid
		h.clock.Set(day.AddDate(0, 0, 2).Add(time.Hour))
		b2 := buy(bob, 1, 10000, true) // 100.00 paid, two days later
		sync()

		order := func(o gamedata.Order) string { return o.ID.String() }
		check := func(what string, q url.Values, want ...gamedata.Order) {
			t.Helper()
			q.Set("item", item)
			got := search[gamedata.Order](t, h, "/v1/search/orders", q, 1)
			if names(got, order) != names(want, order) {
				t.Errorf("%s: %s\nwant %s", what, names(got, order), names(want, order))
			}
			for i := range min(len(got), len(want)) {
				if got[i].Status != want[i].Status || got[i].Price != want[i].Price || got[i].UserName != want[i].UserName {
					t.Errorf("%s: item %d is %+v, want %+v", what, i, got[i], want[i])
				}
			}
		}
		check("the item", url.Values{}, b2, b1, a2, a1)
		check("alice's", url.Values{"user": {strings.ToUpper(alice)}}, a2, a1)
		check("paid", url.Values{"status": {"paid"}}, b2, b1, a1)
		check("unit price 4.99 to 19.99", url.Values{"min_price": {"4.99"}, "max_price": {"19.99"}}, a2, a1)
		check("the first day", url.Values{"from": {day.Format(time.RFC3339)}, "to": {day.AddDate(0, 0, 1).Format(time.RFC3339)}}, b1, a2, a1)

		var rev struct {
			Buckets []struct {
				Start      time.Time `json:"start"`
				Orders     int64     `json:"orders"`
				PaidOrders int64     `json:"paid_orders"`
				Revenue    string    `json:"revenue"`
			} `json:"buckets"`
		}
		path := "/v1/stats/revenue?interval=day&from=" + url.QueryEscape(day.Format(time.RFC3339)) +
			"&to=" + url.QueryEscape(day.AddDate(0, 0, 3).Format(time.RFC3339))
		if err := h.admin.Do(ctx, http.MethodGet, path, nil, &rev); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprint(rev.Buckets)
		want := fmt.Sprintf("[{%s 3 2 10.01} {%s 0 0 0.00} {%s 1 1 100.00}]",
			day.Format("2006-01-02 15:04:05 +0000 UTC"), day.AddDate(0, 0, 1).Format("2006-01-02 15:04:05 +0000 UTC"),
			day.AddDate(0, 0, 2).Format("2006-01-02 15:04:05 +0000 UTC"))
		if got != want {
			t.Errorf("revenue per day: %s\nwant %s", got, want)
		}

		h.raw("GET", "/v1/stats/revenue?interval=hour&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z", adminKey, "", nil).fields(t, "interval")
		h.raw("GET", "/v1/stats/revenue?interval=day&to=2030-01-02T00:00:00Z", adminKey, "", nil).fields(t, "from")
		h.raw("GET", "/v1/stats/revenue?interval=day&from=2030-01-02T00:00:00Z&to=2030-01-01T00:00:00Z", adminKey, "", nil).fields(t, "to")
		h.raw("GET", "/v1/search/orders?min_price=1.999", adminKey, "", nil).fields(t, "min_price")
		h.raw("GET", "/v1/search/orders?status=lost", adminKey, "", nil).fields(t, "status")
	})
}

func TestSearchAccess(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		_, asAlice := h.player("alice")
		for _, path := range []string{"/v1/search/players", "/v1/search/orders",
			"/v1/stats/revenue?interval=day&from=2030-01-01T00:00:00Z&to=2030-01-02T00:00:00Z"} {
			h.raw("GET", path, "", "", nil).problem(t, http.StatusUnauthorized)
			h.raw("GET", path, asAlice.Token(), "", nil).problem(t, http.StatusForbidden)
			// This harness has no search backend.
			h.raw("GET", path, adminKey, "", nil).problem(t, http.StatusServiceUnavailable)
		}
	})
}
