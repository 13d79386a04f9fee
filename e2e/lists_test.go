package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/client"
)

// pageLimit is small so that a handful of items spans several pages.
const pageLimit = 2

// all walks a list page by page and returns the ids in the order listed;
// it fails t unless the list takes more than three pages.
func all[T any](t *testing.T, id func(T) uuid.UUID, list func(client.PageOptions) (client.Page[T], error)) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	opt := client.PageOptions{Limit: pageLimit}
	pages := 0
	for {
		p, err := list(opt)
		if err != nil {
			t.Fatalf("page %d: %v", pages+1, err)
		}
		pages++
		if len(p.Items) > pageLimit {
			t.Fatalf("page of %d items with limit %d", len(p.Items), pageLimit)
		}
		for _, it := range p.Items {
			ids = append(ids, id(it))
		}
		if p.NextPageToken == "" {
			break
		}
		if pages > 100 {
			t.Fatal("the list does not end")
		}
		opt.Token = p.NextPageToken
	}
	if pages <= 3 {
		t.Fatalf("the list took %d pages; the test needs more than 3", pages)
	}
	return ids
}

func newestFirst(ids []uuid.UUID) []uuid.UUID {
	out := slices.Clone(ids)
	slices.Reverse(out)
	return out
}

func sameIDs(t *testing.T, what string, got, want []uuid.UUID) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Fatalf("%s: listed %d ids %v\nwant %d ids %v", what, len(got), got, len(want), want)
	}
}

func messageID(m gamedata.Message) uuid.UUID { return m.ID }

func TestMessagesPagingAndConversation(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		bob, asBob := h.player("bob")
		carol, _ := h.player("carol")

		// Nine messages, one second apart, alternating directions, plus
		// one to carol that the conversation must leave out.
		var sentByAlice, toAlice, between []uuid.UUID
		for i := range 9 {
			h.clock.Advance(time.Second)
			from, to, c := alice, bob, asAlice
			if i%3 == 2 {
				from, to, c = bob, alice, asBob
			}
			m, err := c.SendMessage(ctx, client.NewMessage{From: from, To: strings.ToUpper(to), Text: fmt.Sprint("message ", i)})
			if err != nil {
				t.Fatal(err)
			}
			if m.To != to || m.From != from || !m.CreatedAt.Equal(h.clock.Now()) {
				t.Fatalf("sent %+v", m)
			}
			between = append(between, m.ID)
			if from == alice {
				sentByAlice = append(sentByAlice, m.ID)
			} else {
				toAlice = append(toAlice, m.ID)
			}
		}
		h.clock.Advance(time.Second)
		m, err := asAlice.SendMessage(ctx, client.NewMessage{From: alice, To: carol, Text: "hi carol"})
		if err != nil {
			t.Fatal(err)
		}
		sentByAlice = append(sentByAlice, m.ID)
		for range 6 { // enough for the inbox to span more than 3 pages
			h.clock.Advance(time.Second)
			m, err := h.admin.SendMessage(ctx, client.NewMessage{From: carol, To: alice, Text: "hi alice"})
			if err != nil {
				t.Fatal(err)
			}
			toAlice = append(toAlice, m.ID)
		}

		sameIDs(t, "sent", all(t, messageID, func(o client.PageOptions) (client.Page[gamedata.Message], error) {
			return asAlice.Sent(ctx, alice, o)
		}), newestFirst(sentByAlice))
		sameIDs(t, "inbox", all(t, messageID, func(o client.PageOptions) (client.Page[gamedata.Message], error) {
			return asAlice.Inbox(ctx, alice, o)
		}), newestFirst(toAlice))
		want := newestFirst(between)
		sameIDs(t, "conversation", all(t, messageID, func(o client.PageOptions) (client.Page[gamedata.Message], error) {
			return asAlice.Conversation(ctx, alice, bob, o)
		}), want)
		sameIDs(t, "conversation seen by bob", all(t, messageID, func(o client.PageOptions) (client.Page[gamedata.Message], error) {
			return asBob.Conversation(ctx, strings.ToUpper(bob), alice, o)
		}), want)
	})
}

func TestMessageRules(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		bob, _ := h.player("bob")
		if _, err := asAlice.SendMessage(ctx, client.NewMessage{From: bob, To: alice, Text: "spoofed"}); !client.IsForbidden(err) {
			t.Fatalf("session sends as another player: %v", err)
		}
		var e *client.Error
		_, err := asAlice.SendMessage(ctx, client.NewMessage{From: alice, To: h.name("ghost"), Text: "hello?"})
		if !errors.Is(err, gamedata.ErrNotFound) || !errors.As(err, &e) || e.Fields[0].Field != "to" {
			t.Fatalf("to an unknown player: %v", err)
		}
		if _, err := h.admin.SendMessage(ctx, client.NewMessage{From: h.name("ghost"), To: alice, Text: "boo"}); !errors.Is(err, gamedata.ErrNotFound) {
			t.Fatalf("from an unknown player: %v", err)
		}
		for text, ok := range map[string]bool{"": false, strings.Repeat("é", 4000): true, strings.Repeat("x", 4001): false} {
			_, err := asAlice.SendMessage(ctx, client.NewMessage{From: alice, To: bob, Text: text})
			if ok != (err == nil) {
				t.Fatalf("text of %d characters: %v", len([]rune(text)), err)
			}
			if !ok && !errors.Is(err, gamedata.ErrInvalid) {
				t.Fatalf("text of %d characters: %v", len([]rune(text)), err)
			}
		}
		for _, path := range []string{"inbox", "sent", "conversations/" + alice} {
			h.raw("GET", "/v1/players/"+bob+"/"+path, asAlice.Token(), "", nil).problem(t, http.StatusForbidden)
		}
	})
}

func TestOrdersPaging(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		var ids []uuid.UUID
		for i := range 7 {
			h.clock.Advance(time.Second)
			o, _, err := asAlice.CreateOrder(ctx, alice, client.NewOrder{Item: fmt.Sprint("item", i), Amount: 1, Price: gamedata.Money(i)})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		sameIDs(t, "orders", all(t, func(o gamedata.Order) uuid.UUID { return o.ID }, func(o client.PageOptions) (client.Page[gamedata.Order], error) {
			return asAlice.ListOrders(ctx, alice, o)
		}), newestFirst(ids))

		base := "/v1/players/" + alice + "/orders"
		h.raw("GET", base+"?limit=0", adminKey, "", nil).fields(t, "limit")
		h.raw("GET", base+"?limit=501", adminKey, "", nil).fields(t, "limit")
		h.raw("GET", base+"?limit=ten", adminKey, "", nil).fields(t, "limit")
		h.raw("GET", base+"?page_token=garbage", adminKey, "", nil).fields(t, "page_token")
		if p, err := asAlice.ListOrders(ctx, alice, client.PageOptions{}); err != nil || len(p.Items) != 7 || p.NextPageToken != "" {
			t.Fatalf("default page: %d items, token %q, %v", len(p.Items), p.NextPageToken, err)
		}
		a := h.raw("GET", "/v1/players/"+h.name("nobody")+"/orders", adminKey, "", nil)
		if a.status != 200 || strings.TrimSpace(string(a.body)) != `{"items":[]}` {
			t.Fatalf("empty list: %d %s", a.status, a.body)
		}
	})
}

func TestEvents(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		start := h.clock.Now()
		var ids []time.Time
		var batch []client.NewEvent
		for i := range 7 {
			at := start.Add(-time.Duration(7-i) * time.Minute)
			ids = append(ids, at)
			batch = append(batch, client.NewEvent{Player: alice, Type: "level_up", At: &at, Data: json.RawMessage(fmt.Sprintf(`{"level": %d}`, i))})
		}
		n, err := h.admin.AppendEvents(ctx, batch)
		if err != nil || n != 7 {
			t.Fatalf("append: %d %v", n, err)
		}
		if n, err := h.admin.AppendEvents(ctx, []client.NewEvent{{Player: alice, Type: "login"}}); err != nil || n != 1 {
			t.Fatalf("append without at: %d %v", n, err)
		}

		var listed []gamedata.Event
		opt := client.PageOptions{Limit: pageLimit}
		for pages := 0; ; pages++ {
			p, err := asAlice.ListEvents(ctx, alice, gamedata.EventRange{}, opt)
			if err != nil {
				t.Fatal(err)
			}
			listed = append(listed, p.Items...)
			if p.NextPageToken == "" {
				if pages < 3 {
					t.Fatalf("events took %d pages", pages+1)
				}
				break
			}
			opt.Token = p.NextPageToken
		}
		if len(listed) != 8 || listed[0].Type != "login" || !listed[0].At.Equal(start) {
			t.Fatalf("listed %d events, first %+v", len(listed), listed[0])
		}
		for i, e := range listed[1:] {
			want := ids[len(ids)-1-i]
			if !e.At.Equal(want) || string(e.Data) != fmt.Sprintf(`{"level":%d}`, 6-i) {
				t.Fatalf("event %d: at %v data %s; want at %v", i+1, e.At, e.Data, want)
			}
		}

		// [from, to) selects.
		p, err := asAlice.ListEvents(ctx, alice, gamedata.EventRange{From: ids[2], To: ids[5]}, client.PageOptions{})
		if err != nil || len(p.Items) != 3 || !p.Items[0].At.Equal(ids[4]) || !p.Items[2].At.Equal(ids[2]) {
			t.Fatalf("range: %+v %v", p.Items, err)
		}
		base := "/v1/players/" + alice + "/events"
		h.raw("GET", base+"?from=yesterday", adminKey, "", nil).fields(t, "from")
		h.raw("GET", base+"?to=2026-13-01T00:00:00Z", adminKey, "", nil).fields(t, "to")
		h.raw("GET", base+"?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", adminKey, "", nil).fields(t, "to")
	})
}

func TestEventInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		now := h.clock.Now()
		ev := func(extra string) string { return `{"player":"alice","type":"t"` + extra + `}` }
		many := strings.Repeat(ev("")+",", 1000) + ev("")
		cases := []struct {
			body  string
			field string
		}{
			{`{"events":[]}`, "events"},
			{`{"events":null}`, "events"},
			{`{"events":[` + many + `]}`, "events"},
			{`{"events":[` + ev("") + `,{"player":"alice","type":""}]}`, "events[1].type"},
			{`{"events":[{"player":"alice","type":"` + strings.Repeat("t", 65) + `"}]}`, "events[0].type"},
			{`{"events":[{"player":"alice"}]}`, "events[0].type"},
			{`{"events":[` + ev(`,"data":[1,2]`) + `]}`, "events[0].data"},
			{`{"events":[` + ev(`,"data":"text"`) + `]}`, "events[0].data"},
			{`{"events":[` + ev(`,"data":{"blob":"`+strings.Repeat("x", 8<<10)+`"}`) + `]}`, "events[0].data"},
			{`{"events":[` + ev(`,"at":"`+now.Add(-366*24*time.Hour).Format(time.RFC3339)+`"`) + `]}`, "events[0].at"},
			{`{"events":[` + ev("") + `,` + ev(`,"at":"`+now.Add(2*time.Hour).Format(time.RFC3339)+`"`) + `]}`, "events[1].at"},
			{`{"events":[` + ev(`,"at":"not a time"`) + `]}`, "events[0].at"},
		}
		for _, c := range cases {
			h.raw("POST", "/v1/events", adminKey, "application/json", []byte(c.body)).fields(t, c.field)
		}
	})
}

func TestRetention(t *testing.T) {
	eachBackend(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		alice, asAlice := h.player("alice")
		bob, _ := h.player("bob")
		if _, err := asAlice.SendMessage(ctx, client.NewMessage{From: alice, To: bob, Text: "soon gone"}); err != nil {
			t.Fatal(err)
		}
		if _, err := h.admin.AppendEvents(ctx, []client.NewEvent{{Player: alice, Type: "soon_gone"}}); err != nil {
			t.Fatal(err)
		}
		counts := func() [4]int {
			in, err1 := h.admin.Inbox(ctx, bob, client.PageOptions{})
			sent, err2 := h.admin.Sent(ctx, alice, client.PageOptions{})
			conv, err3 := h.admin.Conversation(ctx, alice, bob, client.PageOptions{})
			ev, err4 := h.admin.ListEvents(ctx, alice, gamedata.EventRange{}, client.PageOptions{})
			if err := errors.Join(err1, err2, err3, err4); err != nil {
				t.Fatal(err)
			}
			return [4]int{len(in.Items), len(sent.Items), len(conv.Items), len(ev.Items)}
		}
		if got := counts(); got != [4]int{1, 1, 1, 1} {
			t.Fatalf("before the retention ends: inbox, sent, conversation, events = %v", got)
		}
		h.clock.Advance(364 * 24 * time.Hour)
		if got := counts(); got != [4]int{1, 1, 1, 1} {
			t.Fatalf("within the retention: %v", got)
		}
		h.clock.Advance(2 * 24 * time.Hour)
		if got := counts(); got != [4]int{} {
			t.Fatalf("past the retention (366 days): %v", got)
		}
	})
}
