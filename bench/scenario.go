package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
)

// Kind tells reads from writes: the goals of docs/benchmarks.md are set for
// reads.
type Kind string

// Kinds of scenario.
const (
	Read  Kind = "read"
	Write Kind = "write"
)

// Scenario is one thing a game server does for a player, as one or more
// requests; its latency is that of all of them.
type Scenario struct {
	Name string
	Kind Kind
	// Search scenarios are skipped when the server has no search backend.
	Search bool
	Doc    string
	run    func(ctx context.Context, w *worker) error
}

// Scenarios are every scenario bench knows, in the order of its tables.
var Scenarios = []Scenario{
	{Name: "register", Kind: Write, Doc: "POST /v1/players: a new player (an argon2id hash on the server)", run: register},
	{Name: "login", Kind: Write, Doc: "POST /v1/sessions as a player of the population (an argon2id check)", run: login},
	{Name: "read_profile", Kind: Read, Doc: "GET /v1/players/{name}", run: readProfile},
	{Name: "create_pay_order", Kind: Write, Doc: "POST /v1/players/{name}/orders, then POST .../pay", run: createPayOrder},
	{Name: "send_message", Kind: Write, Doc: "POST /v1/messages between two players", run: sendMessage},
	{Name: "read_inbox", Kind: Read, Doc: "GET /v1/players/{name}/inbox?limit=20", run: readInbox},
	{Name: "post_events", Kind: Write, Doc: "POST /v1/events: a batch of 10 events of one player", run: postEvents},
	{Name: "search_players", Kind: Read, Search: true, Doc: "GET /v1/search/players?name_prefix=...&limit=20", run: searchPlayers},
	{Name: "search_orders", Kind: Read, Search: true, Doc: "GET /v1/search/orders?user=...&status=paid&limit=20", run: searchOrders},
}

// DefaultMix is the seed's workload: as many reads as writes (counting
// scenarios), most of them the cheap calls a game makes all the time, and
// few registrations and logins, whose password hashing costs ~50 ms of a
// core each by design.
const DefaultMix = "read_profile=25,read_inbox=20,search_players=2.5,search_orders=2.5," +
	"create_pay_order=15,send_message=20,post_events=14.7,login=0.2,register=0.1"

// Mix is the weight of each scenario; scenarios it does not name do not run.
type Mix map[string]float64

// ParseMix reads "read_profile=40,send_message=10,...".
func ParseMix(s string) (Mix, error) {
	m := Mix{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, weight, ok := strings.Cut(part, "=")
		if !ok {
			return nil, fmt.Errorf("mix %q: want name=weight", part)
		}
		if !slices.ContainsFunc(Scenarios, func(sc Scenario) bool { return sc.Name == name }) {
			return nil, fmt.Errorf("mix: no scenario %q (scenarios: %s)", name, strings.Join(ScenarioNames(), ", "))
		}
		w, err := strconv.ParseFloat(weight, 64)
		if err != nil || w < 0 {
			return nil, fmt.Errorf("mix %q: the weight must be a number >= 0", part)
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("mix: %s given twice", name)
		}
		m[name] = w
	}
	if m.total() == 0 {
		return nil, fmt.Errorf("mix %q: no scenario has a weight above 0", s)
	}
	return m, nil
}

func (m Mix) total() float64 {
	var t float64
	for _, w := range m {
		t += w
	}
	return t
}

// String renders m as ParseMix reads it, in the order of Scenarios.
func (m Mix) String() string {
	var parts []string
	for _, sc := range Scenarios {
		if w, ok := m[sc.Name]; ok {
			parts = append(parts, sc.Name+"="+strconv.FormatFloat(w, 'f', -1, 64))
		}
	}
	return strings.Join(parts, ",")
}

// ScenarioNames lists the scenarios' names.
func ScenarioNames() []string {
	names := make([]string, len(Scenarios))
	for i, sc := range Scenarios {
		names[i] = sc.Name
	}
	return names
}

// picker chooses scenarios at random in the proportions of a mix.
type picker struct {
	scenarios  []*Scenario
	cumulative []float64
}

func newPicker(m Mix, search bool) (*picker, []string) {
	p := &picker{}
	var skipped []string
	var sum float64
	for i := range Scenarios {
		sc := &Scenarios[i]
		w := m[sc.Name]
		if w <= 0 {
			continue
		}
		if sc.Search && !search {
			skipped = append(skipped, sc.Name)
			continue
		}
		sum += w
		p.scenarios = append(p.scenarios, sc)
		p.cumulative = append(p.cumulative, sum)
	}
	return p, skipped
}

func (p *picker) pick(r *rand.Rand) int {
	x := r.Float64() * p.cumulative[len(p.cumulative)-1]
	i, _ := slices.BinarySearch(p.cumulative, x)
	return min(i, len(p.scenarios)-1)
}

// The scenarios. Each acts with the server key for players of the
// population, as a game server does.

func register(ctx context.Context, w *worker) error {
	name := w.r.newPlayerName()
	_, err := w.r.c.CreatePlayer(route(ctx, "/v1/players"), client.NewPlayer{Name: name, Password: w.r.cfg.Password})
	return err
}

func login(ctx context.Context, w *worker) error {
	_, err := w.r.c.Login(route(ctx, "/v1/sessions"), w.player(), w.r.cfg.Password)
	return err
}

func readProfile(ctx context.Context, w *worker) error {
	_, err := w.r.c.GetPlayer(route(ctx, "/v1/players/{name}"), w.player())
	return err
}

func createPayOrder(ctx context.Context, w *worker) error {
	name := w.player()
	o, _, err := w.r.c.CreateOrder(route(ctx, "/v1/players/{name}/orders"), name, client.NewOrder{
		Item: "item-" + strconv.Itoa(w.rng.IntN(100)), Amount: 1 + w.rng.IntN(3), Price: gamedata.Money(99 + w.rng.IntN(10000)),
	})
	if err != nil {
		return err
	}
	_, err = w.r.c.PayOrder(route(ctx, "/v1/players/{name}/orders/{id}/pay"), name, o.ID)
	return err
}

func sendMessage(ctx context.Context, w *worker) error {
	from, to := w.twoPlayers()
	_, err := w.r.c.SendMessage(route(ctx, "/v1/messages"), client.NewMessage{
		From: from, To: to, Text: "gg, rematch? " + strconv.Itoa(w.rng.IntN(1000)),
	})
	return err
}

func readInbox(ctx context.Context, w *worker) error {
	_, err := w.r.c.Inbox(route(ctx, "/v1/players/{name}/inbox"), w.player(), client.PageOptions{Limit: 20})
	return err
}

// eventsPerBatch is the batch of post_events: a game server flushes a
// player's events a few at a time.
const eventsPerBatch = 10

func postEvents(ctx context.Context, w *worker) error {
	name := w.player()
	events := make([]client.NewEvent, eventsPerBatch)
	for i := range events {
		data, err := json.Marshal(map[string]int{"level": w.rng.IntN(100), "score": w.rng.IntN(100000)})
		if err != nil {
			return err
		}
		events[i] = client.NewEvent{Player: name, Type: "quest_done", Data: data}
	}
	_, err := w.r.c.AppendEvents(route(ctx, "/v1/events"), events)
	return err
}

// searchPlayersPath is the probe of whether the server searches.
const searchPlayersPath = "/v1/search/players"

func searchPlayers(ctx context.Context, w *worker) error {
	// A prefix shared by at most 100 players of the population.
	name := w.player()
	prefix := name[:max(len(name)-2, 1)]
	var page client.Page[gamedata.Player]
	return w.r.c.Do(route(ctx, searchPlayersPath), http.MethodGet,
		searchPlayersPath+"?"+url.Values{"name_prefix": {prefix}, "limit": {"20"}}.Encode(), nil, &page)
}

func searchOrders(ctx context.Context, w *worker) error {
	var page client.Page[gamedata.Order]
	return w.r.c.Do(route(ctx, "/v1/search/orders"), http.MethodGet,
		"/v1/search/orders?"+url.Values{"user": {w.player()}, "status": {"paid"}, "limit": {"20"}}.Encode(), nil, &page)
}
