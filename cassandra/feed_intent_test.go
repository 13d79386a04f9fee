package cassandra_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/sync/errgroup"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/storetest"
)

// A reader that does what the indexer does, as fast as it can (read a
// batch, read the row of each change, commit), while orders are paid, each
// payment held up between its intent and its transaction: the write a
// record made before it could be read too early. Every order's final state,
// paid, reaches the reader, well within the intents' grace: by the record
// written after each payment.
func TestFeedDeliversTheStateAfterEachPayment(t *testing.T) {
	s := openShared(t, gamedata.SystemClock{})
	ctx := t.Context()
	r := newFeedReader(t, s, "paid-"+fmt.Sprint(time.Now().UnixNano()))
	r.drain()
	user := "Payer_" + fmt.Sprint(time.Now().UnixNano()%1e9)
	const n = 24
	orders := make([]gamedata.Order, n)
	for i := range orders {
		now := time.Now()
		orders[i] = gamedata.Order{ID: gamedata.NewID(now), UserName: user, Item: "gem", Amount: 1, Price: 99,
			Status: gamedata.OrderUnpaid, CreatedAt: now, UpdatedAt: now}
		if _, _, err := s.CreateOrder(ctx, orders[i], ""); err != nil {
			t.Fatal(err)
		}
	}

	// last is the state the reader last read of each order, and reads how
	// many times it read one.
	var mu sync.Mutex
	last, reads := map[uuid.UUID]gamedata.OrderStatus{}, 0
	stop := make(chan struct{})
	var g errgroup.Group
	g.Go(func() error {
		for {
			select {
			case <-stop:
				return nil
			default:
			}
			b, err := s.ReadChanges(ctx, r.consumer, 100)
			if err != nil {
				return err
			}
			for _, c := range changesOf(b.Changes, user) {
				o, err := s.GetOrder(ctx, user, c.OrderID)
				if err != nil {
					return err
				}
				mu.Lock()
				last[o.ID] = o.Status
				reads++
				mu.Unlock()
			}
			if err := s.CommitChanges(ctx, r.consumer, b.Cursor); err != nil {
				return err
			}
		}
	})
	seen := func(want gamedata.OrderStatus) (int, int) {
		mu.Lock()
		defer mu.Unlock()
		k := 0
		for _, o := range orders {
			if last[o.ID] == want {
				k++
			}
		}
		return k, reads
	}
	waitFor := func(want gamedata.OrderStatus, within time.Duration) {
		t.Helper()
		deadline := time.Now().Add(within)
		for k, _ := seen(want); k < n; k, _ = seen(want) {
			if time.Now().After(deadline) {
				close(stop)
				if err := g.Wait(); err != nil {
					t.Error(err)
				}
				t.Fatalf("after %v the reader last read %d of the %d orders %s", within, k, n, want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(gamedata.OrderUnpaid, 10*time.Second)
	_, before := seen(gamedata.OrderUnpaid)

	// Each payment waits between its intent and its transaction: a record
	// written before it is read meanwhile.
	s.SetWriteHook(func(afterWrite bool) error {
		if !afterWrite {
			time.Sleep(30 * time.Millisecond)
		}
		return nil
	})
	defer s.SetWriteHook(nil)
	var pays errgroup.Group
	pays.SetLimit(4)
	for _, o := range orders {
		pays.Go(func() error {
			_, err := s.PayOrder(ctx, user, o.ID, time.Now())
			return err
		})
	}
	if err := pays.Wait(); err != nil {
		t.Fatal(err)
	}
	grace := s.IntentGrace()
	waitFor(gamedata.OrderPaid, grace/2) // not the intents: the records after the payments
	close(stop)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, after := seen(gamedata.OrderPaid); after-before < n {
		t.Errorf("the reader read the orders %d times after the payments, want at least once each (%d)", after-before, n)
	}
}

// aloneInTime opens a store on the shared keyspace whose clock stands days
// ahead, in a period of its own (far from other tests' records), and a
// consumer caught up to it: what the test writes there is all it reads.
func aloneInTime(t *testing.T, days int, consumer string) (*cassandra.Store, *storetest.Clock, *feedReader) {
	t.Helper()
	offset := time.Duration(time.Now().UnixNano()%1e6) * time.Minute
	clock := storetest.NewClock(time.Now().AddDate(0, 0, days).Add(offset).Truncate(time.Millisecond))
	s := openShared(t, clock)
	r := newFeedReader(t, s, consumer+"-"+fmt.Sprint(time.Now().UnixNano()))
	r.drain()
	return s, clock, r
}

// errCrash stands for a process that dies at a point of a write.
var errCrash = errors.New("crash")

// A write whose process dies after the write but before the record that
// follows it, or before the write: its intent is delivered once its grace
// has passed, and not before (FeedStatus does not count it meanwhile), and
// the row then holds the write's outcome. Dying after the write, the write
// succeeded: the caller may have been told so.
func TestFeedDeliversTheIntentOfACrashedWrite(t *testing.T) {
	s, clock, r := aloneInTime(t, 30, "crash") // FeedStatus counts what the test alone writes
	t0, ctx, grace := clock.Now(), t.Context(), s.IntentGrace()

	name := "Crash_" + fmt.Sprint(time.Now().UnixNano()%1e9)
	p := gamedata.Player{ID: gamedata.NewID(t0), Name: name, PasswordHash: "$argon2id$x", CreatedAt: t0, UpdatedAt: t0}
	if err := s.CreatePlayer(ctx, p); err != nil {
		t.Fatal(err)
	}
	w := feedWriter{t, s, clock}
	paid, unpaid := w.order(name, t0), w.order(name, t0)
	if got := changesOf(r.drain(), name); len(got) != 3 {
		t.Fatalf("read %d changes of the player's creation and two orders, want 3 (the intent waits): %v", len(got), got)
	}

	s.SetWriteHook(func(afterWrite bool) error {
		if afterWrite {
			return errCrash
		}
		return nil
	})
	email := "crash@example.com"
	if _, err := s.UpdatePlayer(ctx, name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PayOrder(ctx, name, paid.ID, t0); err != nil {
		t.Fatal(err)
	}
	s.SetWriteHook(func(afterWrite bool) error {
		if !afterWrite {
			return errCrash
		}
		return nil
	})
	if _, err := s.PayOrder(ctx, name, unpaid.ID, t0); !errors.Is(err, errCrash) {
		t.Fatalf("a payment that dies before its transaction: %v", err)
	}
	s.SetWriteHook(nil)

	for _, at := range []time.Time{t0.Add(time.Second), t0.Add(grace - time.Millisecond)} {
		clock.Set(at)
		if st, err := s.FeedStatus(ctx, r.consumer); err != nil || st.Pending != 0 || !st.Oldest.IsZero() {
			t.Errorf("%v after the writes: status %+v, %v; want nothing pending (the intents wait)", at.Sub(t0), st, err)
		}
		if got := changesOf(r.next(100), name); len(got) != 0 {
			t.Errorf("%v after the writes: read %v, want nothing before the grace", at.Sub(t0), got)
		}
	}

	clock.Set(t0.Add(grace + 10*time.Millisecond))
	st, err := s.FeedStatus(ctx, r.consumer)
	if err != nil {
		t.Fatal(err)
	}
	// Four intents: the creation's, which its record made needless, the
	// update's, the payment's, and that of the payment never tried.
	if st.Pending != 4 || !st.Oldest.Equal(t0.Add(grace)) {
		t.Errorf("after the grace: status %+v; want 4 pending, the oldest from %v (the lag is since then)", st, t0.Add(grace))
	}
	got := changesOf(r.drain(), name)
	count := map[uuid.UUID]int{}
	for _, c := range got {
		count[c.OrderID]++ // the player's records count under the zero id
		if !gamedata.IDTime(c.ID).Equal(t0.Add(grace)) {
			t.Errorf("intent %s is stamped %v, want %v", c.ID, gamedata.IDTime(c.ID), t0.Add(grace))
		}
	}
	if len(got) != 4 || count[uuid.Nil] != 2 || count[paid.ID] != 1 || count[unpaid.ID] != 1 {
		t.Fatalf("after the grace: read %v; want the intents of the creation, the update and both payments", got)
	}
	// What the reader then reads of the rows: each write's outcome.
	if stored, err := s.GetPlayer(ctx, name); err != nil || stored.Email != email {
		t.Errorf("the player read after its intent: %+v, %v; want the email updated", stored, err)
	}
	for o, want := range map[uuid.UUID]gamedata.OrderStatus{paid.ID: gamedata.OrderPaid, unpaid.ID: gamedata.OrderUnpaid} {
		if stored, err := s.GetOrder(ctx, name, o); err != nil || stored.Status != want {
			t.Errorf("order %s read after its intent: %+v, %v; want %s", o, stored, err, want)
		}
	}
}

// An update of a player that does not exist, or a payment of an unknown or
// paid order, writes nothing, not even an intent.
func TestFeedRecordsNoRefusedWrite(t *testing.T) {
	s, clock, r := aloneInTime(t, 60, "refused")
	t0, ctx := clock.Now(), t.Context()
	name := "Nobody_" + fmt.Sprint(time.Now().UnixNano()%1e9)
	email := "nobody@example.com"
	if _, err := s.UpdatePlayer(ctx, name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: t0}); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("update of an unknown player: %v", err)
	}
	if _, err := s.GetPlayer(ctx, name); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("the update of an unknown player made it: %v", err)
	}
	if _, err := s.PayOrder(ctx, name, gamedata.NewID(t0), t0); !errors.Is(err, gamedata.ErrNotFound) {
		t.Fatalf("payment of an unknown order: %v", err)
	}
	o := feedWriter{t, s, clock}.order(name, t0)
	if _, err := s.PayOrder(ctx, name, o.ID, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PayOrder(ctx, name, o.ID, t0); !errors.Is(err, gamedata.ErrConflict) {
		t.Fatalf("a second payment: %v", err)
	}
	clock.Set(t0.Add(s.IntentGrace() + time.Second))
	var orders, intents int
	for _, c := range changesOf(r.drain(), name) {
		if c.Kind != gamedata.ChangeOrder || c.OrderID != o.ID {
			t.Errorf("a refused write left a record: %+v", c)
		}
		orders++
		if gamedata.IDTime(c.ID).After(t0) {
			intents++
		}
	}
	// The order's creation and its payment's record and intent.
	if orders != 3 || intents != 1 {
		t.Errorf("read %d records of the order, %d of them intents; want 3 and 1", orders, intents)
	}
}
