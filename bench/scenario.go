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

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
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
// population, as a game server does. bench runs beside the server it
// measures, so they are lean (see fastClient): request bodies are built
// without reflection in the worker's buffer, and answers are not decoded,
// except for the id of a new order.

func register(ctx context.Context, w *worker) error {
	b := append(w.buf[:0], `{"name":`...)
	b = appendJSONString(b, w.r.newPlayerName())
	b = append(b, `,"password":`...)
	b = appendJSONString(b, w.r.cfg.Password)
	return w.send(ctx, "/v1/players", http.MethodPost, "/v1/players", append(b, '}'), nil)
}

func login(ctx context.Context, w *worker) error {
	b := append(w.buf[:0], `{"name":`...)
	b = appendJSONString(b, w.player())
	b = append(b, `,"password":`...)
	b = appendJSONString(b, w.r.cfg.Password)
	return w.send(ctx, "/v1/sessions", http.MethodPost, "/v1/sessions", append(b, '}'), nil)
}

func readProfile(ctx context.Context, w *worker) error {
	return w.send(ctx, "/v1/players/{name}", http.MethodGet, "/v1/players/"+url.PathEscape(w.player()), nil, nil)
}

// newOrder is what createPayOrder reads of a new order.
type newOrder struct {
	ID uuid.UUID `json:"id"`
}

func createPayOrder(ctx context.Context, w *worker) error {
	path := "/v1/players/" + url.PathEscape(w.player()) + "/orders"
	b := append(w.buf[:0], `{"item":"item-`...)
	b = strconv.AppendInt(b, int64(w.rng.IntN(100)), 10)
	b = append(b, `","amount":`...)
	b = strconv.AppendInt(b, int64(1+w.rng.IntN(3)), 10)
	b = append(b, `,"price":"`...)
	b = append(b, gamedata.Money(99+w.rng.IntN(10000)).String()...)
	b = append(b, `"}`...)
	var o newOrder
	if err := w.send(ctx, "/v1/players/{name}/orders", http.MethodPost, path, b, &o); err != nil {
		return err
	}
	return w.send(ctx, "/v1/players/{name}/orders/{id}/pay", http.MethodPost, path+"/"+o.ID.String()+"/pay", nil, nil)
}

func sendMessage(ctx context.Context, w *worker) error {
	from, to := w.twoPlayers()
	b := append(w.buf[:0], `{"from":`...)
	b = appendJSONString(b, from)
	b = append(b, `,"to":`...)
	b = appendJSONString(b, to)
	b = append(b, `,"text":"gg, rematch? `...)
	b = strconv.AppendInt(b, int64(w.rng.IntN(1000)), 10)
	b = append(b, `"}`...)
	return w.send(ctx, "/v1/messages", http.MethodPost, "/v1/messages", b, nil)
}

func readInbox(ctx context.Context, w *worker) error {
	return w.send(ctx, "/v1/players/{name}/inbox", http.MethodGet,
		"/v1/players/"+url.PathEscape(w.player())+"/inbox?limit=20", nil, nil)
}

// eventsPerBatch is the batch of post_events: a game server flushes a
// player's events a few at a time.
const eventsPerBatch = 10

func postEvents(ctx context.Context, w *worker) error {
	name := appendJSONString(nil, w.player())
	b := append(w.buf[:0], `{"events":[`...)
	for i := range eventsPerBatch {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"player":`...)
		b = append(b, name...)
		b = append(b, `,"type":"quest_done","data":{"level":`...)
		b = strconv.AppendInt(b, int64(w.rng.IntN(100)), 10)
		b = append(b, `,"score":`...)
		b = strconv.AppendInt(b, int64(w.rng.IntN(100000)), 10)
		b = append(b, `}}`...)
	}
	return w.send(ctx, "/v1/events", http.MethodPost, "/v1/events", append(b, `]}`...), nil)
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			q, _ := json.Marshal(s) // a string always encodes
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// searchPlayersPath is the probe of whether the server searches.
const searchPlayersPath = "/v1/search/players"

func searchPlayers(ctx context.Context, w *worker) error {
	// A prefix shared by at most 100 players of the population.
	name := w.player()
	prefix := name[:max(len(name)-2, 1)]
	return w.send(ctx, searchPlayersPath, http.MethodGet, searchPlayersPath+"?limit=20&name_prefix="+url.QueryEscape(prefix), nil, nil)
}

func searchOrders(ctx context.Context, w *worker) error {
	return w.send(ctx, "/v1/search/orders", http.MethodGet, "/v1/search/orders?limit=20&status=paid&user="+url.QueryEscape(w.player()), nil, nil)
}
