package cluster

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
)

// Two regions serve at once, each from its own data centre: what one writes
// the other reads and searches, a session works in both and a logout ends it
// in both, a name is claimed once in the whole world, and an order paid in
// its home region is paid everywhere.
func TestTwoRegions(t *testing.T) {
	c, ks := keyspace(t)
	a, b := newRegion(t, c, ks, "dc1"), newRegion(t, c, ks, "dc2")
	ctx := context.Background()

	// Registered through A, logs in through B once replicated; the session
	// issued in A works in B, and a logout in B ends it in A.
	alice := a.register("alice")
	var inB *client.Client
	eventually(t, "log in through dc2 as a player registered in dc1", func() (err error) {
		inB, err = b.login(alice)
		return err
	})
	inA, err := a.login(alice)
	if err != nil {
		t.Fatal(err)
	}
	tokenOfA := b.anon.WithToken(inA.Token())
	eventually(t, "a dc1 session in dc2", func() error { _, err := tokenOfA.GetPlayer(ctx, alice); return err })
	if err := inB.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	inAWithBToken := a.anon.WithToken(inB.Token())
	eventually(t, "a logout in dc2 refused in dc1", func() error {
		if _, err := inAWithBToken.GetPlayer(ctx, alice); status(err) != http.StatusUnauthorized {
			return fmt.Errorf("GET with the logged-out token: %v", err)
		}
		return nil
	})

	// A name claimed from both regions at the same moment: exactly one
	// registration wins, and the winner's password is the one both regions
	// know. Each side retries an unknown outcome with its Idempotency-Key, as
	// a client should; that never turns its own success into a 409.
	for round := range 5 {
		n := name(fmt.Sprintf("duel%d", round))
		regions := []*region{a, b}
		codes := make([]int, 2)
		var start, wg sync.WaitGroup
		start.Add(1)
		for i, r := range regions {
			wg.Go(func() {
				kctx := client.WithIdempotencyKey(ctx, fmt.Sprintf("%s-%s", n, r.dc))
				start.Wait()
				for try := 0; ; try++ {
					_, err := r.anon.CreatePlayer(kctx, client.NewPlayer{Name: n, Password: "password-of-" + r.dc})
					codes[i] = status(err)
					if codes[i] != http.StatusGatewayTimeout && codes[i] != http.StatusServiceUnavailable || try == 5 {
						return
					}
				}
			})
		}
		start.Done()
		wg.Wait()
		slices.Sort(codes)
		if codes[0] != http.StatusOK || codes[1] != http.StatusConflict {
			t.Fatalf("round %d: concurrent claims of %s from both regions answered %v, want one 201 and one 409", round, n, codes)
		}
		for _, r := range regions {
			var wins int
			eventually(t, "the winner's password in "+r.dc, func() error {
				wins = 0
				for _, owner := range regions {
					if _, err := r.anon.Login(ctx, n, "password-of-"+owner.dc); err == nil {
						wins++
					}
				}
				if wins != 1 {
					return fmt.Errorf("%d passwords log %s in", wins, n)
				}
				return nil
			})
		}
	}

	// Messages sent in A are read in B.
	bob := b.register("bob")
	eventually(t, "bob from dc2 known in dc1", func() error { _, err := a.admin.GetPlayer(ctx, bob); return err })
	sent, err := a.admin.SendMessage(ctx, client.NewMessage{From: alice, To: bob, Text: "gg, rematch?"})
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "a message sent in dc1 in bob's inbox in dc2", func() error {
		page, err := b.admin.Inbox(ctx, bob, client.PageOptions{})
		if err != nil {
			return err
		}
		if !slices.ContainsFunc(page.Items, func(m gamedata.Message) bool { return m.ID == sent.ID }) {
			return fmt.Errorf("inbox %v", page.Items)
		}
		return nil
	})

	// Each region's search, fed by its own indexer, finds what the other
	// region wrote.
	a.searchFinds(bob)
	b.searchFinds(alice)

	// Payments are LOCAL_SERIAL, the order owned by its home region (docs/
	// operations.md): paid in A, the payment is seen in B, where paying
	// again is refused.
	price, _ := gamedata.ParseMoney("4.99")
	order, _, err := a.admin.CreateOrder(ctx, alice, client.NewOrder{Item: "sword", Amount: 1, Price: price})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.admin.PayOrder(ctx, alice, order.ID); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the payment made in dc1 seen in dc2", func() error {
		o, err := b.admin.GetOrder(ctx, alice, order.ID)
		if err != nil {
			return err
		}
		if o.Status != gamedata.OrderPaid {
			return fmt.Errorf("order %s", o.Status)
		}
		return nil
	})
	if _, err := b.admin.PayOrder(ctx, alice, order.ID); status(err) != http.StatusConflict {
		t.Errorf("paying again in dc2 an order paid in dc1: %v, want 409", err)
	}
}
