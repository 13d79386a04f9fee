package storetest

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// BackendOpener opens the backend under test, as Opener does its store.
type BackendOpener func(t *testing.T, clock gamedata.Clock) gamedata.Backend

// RunHistory runs the conformance suite of gamedata.HistoryReader and
// gamedata.Leaser (the archive's capabilities) against the backends open
// returns. The store may be shared, so each test reads only its own rows
// out of a day, on a day of its own far from the others'.
func RunHistory(t *testing.T, open BackendOpener) {
	for _, tc := range []struct {
		name string
		run  func(e *env, b gamedata.Backend)
	}{
		{"DayHoldsWhatItStored", testHistoryDay},
		{"LostClaimsLeaveNoRow", testHistoryLostClaims},
		{"LeaseHasOneOwner", testLease},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A day of the 2030s, noon: the test's own.
			start := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, rand.IntN(3000))
			clock := NewClock(start)
			b := open(t, clock)
			if b.History == nil || b.Leaser == nil {
				t.Fatal("the backend offers no HistoryReader or Leaser")
			}
			tc.run(&env{T: t, ctx: t.Context(), s: b.Store, clock: clock}, b)
		})
	}
}

// day is what one day of the history holds for a test's own rows.
type day struct {
	players  map[uuid.UUID]gamedata.Player
	orders   []gamedata.OrderChange
	messages map[uuid.UUID]gamedata.Message
	events   map[uuid.UUID]gamedata.Event
}

// readDay reads d, keeping the rows of names (players, users, senders).
func (e *env) readDay(h gamedata.HistoryReader, d gamedata.Day, names ...string) day {
	e.Helper()
	mine := map[string]bool{}
	for _, n := range names {
		mine[n] = true
	}
	out := day{players: map[uuid.UUID]gamedata.Player{}, messages: map[uuid.UUID]gamedata.Message{},
		events: map[uuid.UUID]gamedata.Event{}}
	e.must(h.PlayerChanges(e.ctx, d, func(p gamedata.Player) error {
		if mine[p.Name] {
			if _, dup := out.players[p.ID]; dup {
				e.Errorf("player %s given twice for %s", p.Name, d)
			}
			out.players[p.ID] = p
		}
		return nil
	}), "player changes")
	e.must(h.OrderChanges(e.ctx, d, func(c gamedata.OrderChange) error {
		if mine[c.UserName] {
			out.orders = append(out.orders, c)
		}
		return nil
	}), "order changes")
	e.must(h.MessagesSent(e.ctx, d, func(m gamedata.Message) error {
		if mine[m.From] {
			out.messages[m.ID] = m
		}
		return nil
	}), "messages sent")
	e.must(h.EventsStored(e.ctx, d, func(ev gamedata.Event) error {
		if mine[ev.Player] {
			out.events[ev.ID] = ev
		}
		return nil
	}), "events stored")
	return out
}

func testHistoryDay(e *env, b gamedata.Backend) {
	d := gamedata.DayOf(e.clock.Now())
	// The day before, something of the same player that d must not hold.
	e.clock.Set(d.Start().Add(-time.Hour))
	name := e.name("Hist")
	p := e.newPlayer(name)
	e.must(e.s.CreatePlayer(e.ctx, p), "create player")
	e.clock.Set(d.Start().Add(time.Hour))
	email := "after@example.com"
	at := e.tick()
	_, err := e.s.UpdatePlayer(e.ctx, name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: at})
	e.must(err, "update player")
	age := 41
	at = e.tick()
	want, err := e.s.UpdatePlayer(e.ctx, name, gamedata.PlayerUpdate{Age: &age, UpdatedAt: at})
	e.must(err, "update player")

	paidToday, paidTomorrow := e.newOrder(name, "sword"), e.newOrder(name, "shield")
	for _, o := range []gamedata.Order{paidToday, paidTomorrow} {
		_, _, err := e.s.CreateOrder(e.ctx, o, "")
		e.must(err, "create order")
	}
	keyed := e.newOrder(name, "potion")
	_, _, err = e.s.CreateOrder(e.ctx, keyed, "key-1")
	e.must(err, "create order with a key")
	payAt := e.tick()
	paid, err := e.s.PayOrder(e.ctx, name, paidToday.ID, payAt)
	e.must(err, "pay order")
	m := e.send(name, e.name("Friend"), "hello", 365*24*time.Hour)
	late := e.newEvent(name, "late", `{"x":1}`, 365*24*time.Hour)
	late.At = late.At.AddDate(0, 0, -3) // happened three days ago, stored now
	late.ExpiresAt = late.At.Add(365 * 24 * time.Hour)
	onTime := e.newEvent(name, "login", "", 365*24*time.Hour)
	e.must(e.s.AppendEvents(e.ctx, []gamedata.Event{late, onTime}), "append events")

	e.clock.Set(d.End().Add(time.Hour))
	payLater := e.tick()
	_, err = e.s.PayOrder(e.ctx, name, paidTomorrow.ID, payLater)
	e.must(err, "pay order the next day")

	began, err := b.History.Began(e.ctx)
	e.must(err, "began")
	if began.IsZero() || began.After(p.CreatedAt) {
		e.Errorf("the history began at %s, after its first row (%s)", began, p.CreatedAt)
	}
	got := e.readDay(b.History, d, name)
	if len(got.players) != 1 {
		e.Fatalf("%d players changed on %s, want 1", len(got.players), d)
	}
	gp := got.players[p.ID]
	want.PasswordHash = ""
	if !equalPlayer(gp, want) {
		e.Errorf("player as the day left it\n got: %+v\nwant: %+v", gp, want)
	}
	wantOrders := map[string]gamedata.OrderChange{}
	for _, o := range []gamedata.Order{paidToday, paidTomorrow, keyed} {
		wantOrders[o.ID.String()+"/unpaid"] = gamedata.OrderChange{Order: o, At: o.CreatedAt}
	}
	wantOrders[paid.ID.String()+"/paid"] = gamedata.OrderChange{Order: paid, At: payAt}
	if len(got.orders) != len(wantOrders) {
		e.Errorf("%d order changes on %s, want %d: %+v", len(got.orders), d, len(wantOrders), got.orders)
	}
	for _, c := range got.orders {
		w, ok := wantOrders[c.ID.String()+"/"+string(c.Status)]
		if !ok || !equalOrder(c.Order, w.Order) || !c.At.Equal(w.At) {
			e.Errorf("order change %+v\nwant %+v", c, w)
		}
	}
	if gm, ok := got.messages[m.ID]; len(got.messages) != 1 || !ok || !equalMessage(gm, m) {
		e.Errorf("messages of %s: %+v, want %+v", d, got.messages, m)
	}
	if len(got.events) != 2 || !got.events[late.ID].At.Equal(late.At) || got.events[late.ID].Type != "late" ||
		!jsonEqual(got.events[late.ID].Data, late.Data) || got.events[onTime.ID].Type != "login" {
		e.Errorf("events stored on %s: %+v, want the late one and the one on time", d, got.events)
	}
	next := e.readDay(b.History, d.Add(1), name)
	if len(next.orders) != 1 || next.orders[0].ID != paidTomorrow.ID || next.orders[0].Status != gamedata.OrderPaid ||
		!next.orders[0].At.Equal(payLater) {
		e.Errorf("order changes of the next day: %+v, want the payment of %s", next.orders, paidTomorrow.ID)
	}
	if len(next.players)+len(next.messages)+len(next.events) != 0 {
		e.Errorf("the next day holds more than a payment: %+v", next)
	}
	before := e.readDay(b.History, d.Add(-1), name)
	if len(before.players) != 1 || before.players[p.ID].Email != p.Email {
		e.Errorf("players of the day before: %+v, want %s as created", before.players, name)
	}
}

// A taken name, an idempotency key used again and a second payment write
// nothing the history gives.
func testHistoryLostClaims(e *env, b gamedata.Backend) {
	d := gamedata.DayOf(e.clock.Now())
	name := e.name("Claim")
	p := e.newPlayer(name)
	e.must(e.s.CreatePlayer(e.ctx, p), "create player")
	again := e.newPlayer(name)
	e.wantErr(e.s.CreatePlayer(e.ctx, again), gamedata.ErrConflict, "create a taken name")
	o := e.newOrder(name, "gem")
	_, _, err := e.s.CreateOrder(e.ctx, o, "k")
	e.must(err, "create order")
	replay := e.newOrder(name, "gem")
	_, created, err := e.s.CreateOrder(e.ctx, replay, "k")
	e.must(err, "replay order")
	if created {
		e.Fatal("a replay created an order")
	}
	_, err = e.s.PayOrder(e.ctx, name, o.ID, e.tick())
	e.must(err, "pay")
	_, err = e.s.PayOrder(e.ctx, name, o.ID, e.tick())
	e.wantErr(err, gamedata.ErrConflict, "pay again")

	got := e.readDay(b.History, d, name)
	if _, ok := got.players[p.ID]; len(got.players) != 1 || !ok {
		e.Errorf("players: %+v, want only %s", got.players, p.ID)
	}
	if len(got.orders) != 2 || got.orders[0].ID != o.ID || got.orders[1].ID != o.ID {
		e.Errorf("order changes: %+v, want the creation and one payment of %s", got.orders, o.ID)
	}
}

func testLease(e *env, b gamedata.Backend) {
	name := e.name("lease")
	l := b.Leaser
	acquire := func(owner string, want bool) {
		e.Helper()
		got, err := l.AcquireLease(e.ctx, name, owner, time.Minute)
		e.must(err, "acquire "+owner)
		if got != want {
			e.Errorf("acquire by %s: %v, want %v", owner, got, want)
		}
	}
	acquire("a", true)
	acquire("b", false)
	acquire("a", true) // renewed
	e.must(l.ReleaseLease(e.ctx, name, "b"), "release by b")
	acquire("b", false)
	e.must(l.ReleaseLease(e.ctx, name, "a"), "release by a")
	acquire("b", true)
	// Of many at once, one gets it.
	errs := concurrently(6, func(i int) error {
		ok, err := l.AcquireLease(e.ctx, name+"x", string(rune('a'+i)), time.Minute)
		if err == nil && !ok {
			return errLeaseLost
		}
		return err
	})
	if won, lost := e.countOutcomes(errs, errLeaseLost); won != 1 || lost != 5 {
		e.Errorf("%d of 6 got the lease, want 1", won)
	}
}

var errLeaseLost = errors.New("lease held")
