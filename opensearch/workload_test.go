package opensearch_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/storetest"
)

// workload writes players, orders and messages through a source and
// remembers the state the store must end in, to compare the indices with.
type workload struct {
	src      source
	clock    *storetest.Clock
	seq      int
	players  map[string]gamedata.Player // by name key
	orders   map[uuid.UUID]gamedata.Order
	messages map[uuid.UUID]gamedata.Message
	names    []string
}

func newWorkload(src source, start time.Time) *workload {
	return &workload{src: src, clock: storetest.NewClock(start), players: map[string]gamedata.Player{},
		orders: map[uuid.UUID]gamedata.Order{}, messages: map[uuid.UUID]gamedata.Message{}}
}

// tick gives each write its own time.
func (w *workload) tick() time.Time { return w.clock.Advance(time.Millisecond) }

func (w *workload) player(t testing.TB) gamedata.Player {
	t.Helper()
	w.seq++
	now := w.tick()
	age := 18 + w.seq%50
	p := gamedata.Player{
		ID: gamedata.NewID(now), Name: fmt.Sprintf("Player_%d", w.seq), Email: fmt.Sprintf("P%d@Example.com", w.seq),
		Phone: fmt.Sprintf("+1 555 %04d", w.seq), Age: &age, CreatedAt: now, UpdatedAt: now,
	}
	if err := w.src.CreatePlayer(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	w.players[gamedata.NameKey(p.Name)] = p
	w.names = append(w.names, p.Name)
	return p
}

func (w *workload) updatePlayer(t testing.TB, name string) {
	t.Helper()
	email := fmt.Sprintf("changed%d@example.org", w.seq)
	p, err := w.src.UpdatePlayer(t.Context(), name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: w.tick()})
	if err != nil {
		t.Fatal(err)
	}
	w.players[gamedata.NameKey(name)] = p
}

func (w *workload) order(t testing.TB, user string) gamedata.Order {
	t.Helper()
	return w.orderAt(t, user, w.tick())
}

// orderAt creates an order of user at time now.
func (w *workload) orderAt(t testing.TB, user string, now time.Time) gamedata.Order {
	t.Helper()
	w.seq++
	o := gamedata.Order{
		ID: gamedata.NewID(now), UserName: user, Item: fmt.Sprintf("item-%d", w.seq%7), Amount: 1 + w.seq%3,
		Price: gamedata.Money(100 + w.seq), Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now,
	}
	stored, _, err := w.src.CreateOrder(t.Context(), o, "")
	if err != nil {
		t.Fatal(err)
	}
	w.orders[o.ID] = stored
	return stored
}

func (w *workload) pay(t testing.TB, o gamedata.Order) {
	t.Helper()
	paid, err := w.src.PayOrder(t.Context(), o.UserName, o.ID, w.tick())
	if err != nil {
		t.Fatal(err)
	}
	w.orders[o.ID] = paid
}

func (w *workload) message(t testing.TB, from, to string) {
	t.Helper()
	now := w.tick()
	m := gamedata.Message{ID: gamedata.NewID(now), From: from, To: to, Text: "gg " + from, CreatedAt: now,
		ExpiresAt: now.Add(gamedata.DefaultRetention)}
	if err := w.src.SendMessage(t.Context(), m); err != nil {
		t.Fatal(err)
	}
	w.messages[m.ID] = m
}

// run makes n rounds of writes: a player, an order of an earlier player,
// every other round a payment, an update and a message.
func (w *workload) run(t testing.TB, n int) {
	t.Helper()
	for i := range n {
		p := w.player(t)
		o := w.order(t, w.names[i/2])
		if i%2 == 0 {
			w.pay(t, o)
			w.updatePlayer(t, w.names[i/3])
			w.message(t, p.Name, w.names[0])
		}
	}
}

// verify checks that the indices hold exactly the store's state: one
// document per row, no more, each at the row's version.
func (w *workload) verify(t *testing.T, cl *cluster) {
	t.Helper()
	users, orders, messages := cl.docs("users"), cl.docs("orders"), cl.docs("messages")
	if len(users) != len(w.players) || len(orders) != len(w.orders) || len(messages) != len(w.messages) {
		t.Fatalf("indexed %d players, %d orders, %d messages; the store has %d, %d, %d",
			len(users), len(orders), len(messages), len(w.players), len(w.orders), len(w.messages))
	}
	for _, h := range users {
		p, ok := w.players[h.ID]
		var d struct {
			Name  string `json:"name"`
			Email string `json:"email"`
		}
		if err := json.Unmarshal(h.Source, &d); err != nil {
			t.Fatal(err)
		}
		if !ok || h.Version != p.UpdatedAt.UnixMicro() || d.Email != p.Email || d.Name != p.Name {
			t.Errorf("player doc %s: version %d, %+v; store: %v, version %d, %q", h.ID, h.Version, d, ok, p.UpdatedAt.UnixMicro(), p.Email)
		}
	}
	for _, h := range orders {
		o, ok := w.orders[uuid.MustParse(h.ID)]
		var d struct {
			Status     gamedata.OrderStatus `json:"status"`
			TotalCents int64                `json:"total_cents"`
		}
		if err := json.Unmarshal(h.Source, &d); err != nil {
			t.Fatal(err)
		}
		if !ok || h.Version != o.UpdatedAt.UnixMicro() || d.Status != o.Status || d.TotalCents != int64(o.Price)*int64(o.Amount) {
			t.Errorf("order doc %s in %s: version %d, %+v; store: %v, version %d, %s", h.ID, h.Index, h.Version, d, ok, o.UpdatedAt.UnixMicro(), o.Status)
		}
	}
	for _, h := range messages {
		if _, ok := w.messages[uuid.MustParse(h.ID)]; !ok {
			t.Errorf("message doc %s was never sent", h.ID)
		}
	}
}
