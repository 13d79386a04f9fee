package storetest

import (
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// inboxPage is the page size of the InboxPage benchmark: the API's default.
const inboxPage = gamedata.DefaultPageLimit

// Bench measures the hot paths of s: one sub-benchmark per operation, each
// on its own fresh names. s should use the system clock: the benchmark
// writes real times.
func Bench(b *testing.B, s gamedata.Store) {
	ctx := b.Context()
	now := func() time.Time { return time.Now().UTC() }
	newName := func(prefix string) string { return prefix + "_" + randomHex(6) }
	send := func(b *testing.B, from, to string) {
		at := now()
		m := gamedata.Message{ID: gamedata.NewID(at), From: from, To: to, Text: "gg, rematch? 🎮",
			CreatedAt: at, ExpiresAt: at.Add(gamedata.DefaultRetention)}
		if err := s.SendMessage(ctx, m); err != nil {
			b.Fatal(err)
		}
	}

	b.Run("GetPlayer", func(b *testing.B) {
		at := now()
		p := gamedata.Player{ID: gamedata.NewID(at), Name: newName("Bench"), Email: "bench@example.com",
			CreatedAt: at, UpdatedAt: at, PasswordHash: testHash}
		if err := s.CreatePlayer(ctx, p); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.GetPlayer(ctx, p.Name); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreateOrder", func(b *testing.B) {
		user := newName("Buyer")
		for b.Loop() {
			at := now()
			o := gamedata.Order{ID: gamedata.NewID(at), UserName: user, Item: "gem pack", Amount: 1, Price: 4_99,
				Status: gamedata.OrderUnpaid, CreatedAt: at, UpdatedAt: at}
			if _, _, err := s.CreateOrder(ctx, o, ""); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SendMessage", func(b *testing.B) {
		from, to := newName("Sender"), newName("Receiver")
		for b.Loop() {
			send(b, from, to)
		}
	})
	b.Run("InboxPage", func(b *testing.B) {
		from, to := newName("Sender"), newName("Reader")
		for range 2 * inboxPage {
			send(b, from, to)
		}
		for b.Loop() {
			page, err := s.Inbox(ctx, to, gamedata.PageRequest{Limit: inboxPage})
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Items) != inboxPage {
				b.Fatalf("inbox page holds %d messages, want %d", len(page.Items), inboxPage)
			}
		}
	})
}
