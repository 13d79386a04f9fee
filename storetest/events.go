package storetest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata"
)

var eventTests = []testCase{
	{"AppendList", testEventAppendList},
	{"Range", testEventRange},
	{"Paging", testEventPaging},
	{"Retention", testEventRetention},
	{"Unicode", testEventUnicode},
}

// newEvent returns an event at the next tick that expires after ttl (never
// when ttl is 0).
func (e *env) newEvent(player, typ, data string, ttl time.Duration) gamedata.Event {
	at := e.tick()
	ev := gamedata.Event{ID: gamedata.NewID(at), Player: player, Type: typ, At: at}
	if data != "" {
		ev.Data = json.RawMessage(data)
	}
	if ttl != 0 {
		ev.ExpiresAt = at.Add(ttl)
	}
	return ev
}

// jsonEqual reports whether a and b hold the same JSON value; two empty
// documents are equal.
func jsonEqual(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	for _, d := range []struct {
		in  []byte
		out *any
	}{{a, &va}, {b, &vb}} {
		dec := json.NewDecoder(bytes.NewReader(d.in))
		dec.UseNumber()
		if dec.Decode(d.out) != nil {
			return false
		}
	}
	return reflect.DeepEqual(va, vb)
}

func equalEvent(a, b gamedata.Event) bool {
	return a.ID == b.ID && a.Player == b.Player && a.Type == b.Type && a.At.Equal(b.At) && jsonEqual(a.Data, b.Data)
}

// checkEvents walks player's events in r in pages of pageLimit and compares
// them with want (newest first).
func (e *env) checkEvents(what, player string, r gamedata.EventRange, want []gamedata.Event) {
	e.Helper()
	got := collect(e, what, pageLimit, func(p gamedata.PageRequest) (gamedata.Page[gamedata.Event], error) {
		return e.s.ListEvents(e.ctx, player, r, p)
	})
	checkList(e, what, got, want, equalEvent)
}

// appendEvents makes n events of player, oldest first, and appends them in one batch.
func (e *env) appendEvents(player string, n int, ttl time.Duration) []gamedata.Event {
	e.Helper()
	events := make([]gamedata.Event, n)
	for i := range events {
		events[i] = e.newEvent(player, "level_up", fmt.Sprintf(`{"level":%d}`, i), ttl)
	}
	e.must(e.s.AppendEvents(e.ctx, events), "append events")
	return events
}

func testEventAppendList(e *env) {
	p, q := e.name("Vera"), e.name("Walt")
	var batch, ofP, ofQ []gamedata.Event
	for i := range 4 {
		ep := e.newEvent(p, "login", fmt.Sprintf(`{"device":"phone","n":%d}`, i), gamedata.DefaultRetention)
		eq := e.newEvent(strings.ToLower(q), "match_won", `{"score":[3,1]}`, gamedata.DefaultRetention)
		batch, ofP, ofQ = append(batch, ep, eq), append(ofP, ep), append(ofQ, eq)
	}
	e.must(e.s.AppendEvents(e.ctx, batch), "append a batch of two players")
	e.checkEvents("events of p", strings.ToUpper(p), gamedata.EventRange{}, reversed(ofP))
	e.checkEvents("events of q", q, gamedata.EventRange{}, reversed(ofQ))
	e.checkEvents("events of a stranger", e.name("Nobody"), gamedata.EventRange{}, nil)
}

func testEventRange(e *env) {
	p := e.name("Xena")
	ev := e.appendEvents(p, 10, gamedata.DefaultRetention) // ev[i] is at tick i
	newest := reversed(ev)
	for _, tc := range []struct {
		what string
		r    gamedata.EventRange
		want []gamedata.Event
	}{
		{"from 3 to 7", gamedata.EventRange{From: ev[3].At, To: ev[7].At}, newest[3:7]},
		{"from 1 to 9", gamedata.EventRange{From: ev[1].At, To: ev[9].At}, newest[1:9]},
		{"from 7", gamedata.EventRange{From: ev[7].At}, newest[:3]},
		{"to 2", gamedata.EventRange{To: ev[2].At}, newest[8:]},
		{"empty", gamedata.EventRange{From: ev[5].At, To: ev[5].At}, nil},
		{"after the last", gamedata.EventRange{From: ev[9].At.Add(time.Millisecond)}, nil},
	} {
		e.checkEvents(tc.what, p, tc.r, tc.want)
	}
}

func testEventPaging(e *env) {
	p := e.name("Yuri")
	ev := e.appendEvents(p, 4*pageLimit-2, gamedata.DefaultRetention) // four pages, the last one short
	e.checkEvents("paged events", mixCase(p, 9), gamedata.EventRange{}, reversed(ev))
}

func testEventRetention(e *env) {
	p := e.name("Zack")
	short := e.newEvent(p, "login", `{}`, time.Hour)
	long := e.newEvent(p, "login", `{}`, gamedata.DefaultRetention)
	forever := e.newEvent(p, "purchase", `{}`, 0)
	e.must(e.s.AppendEvents(e.ctx, []gamedata.Event{short, long, forever}), "append")
	e.checkEvents("events before expiry", p, gamedata.EventRange{}, []gamedata.Event{forever, long, short})
	e.clock.Advance(2 * time.Hour)
	e.checkEvents("events after an hour", p, gamedata.EventRange{}, []gamedata.Event{forever, long})
	e.clock.Advance(gamedata.DefaultRetention)
	e.checkEvents("events after a year", p, gamedata.EventRange{}, []gamedata.Event{forever})
}

func testEventUnicode(e *env) {
	p := "Ünïcødé_" + randomHex(5)
	events := []gamedata.Event{
		e.newEvent(p, "🎉 level_up", `{"msg":"héllo 👋🏽 世界 𝄞","emoji":"\ud83d\ude00","nested":{"a":[1,2.5,null,true]}}`, gamedata.DefaultRetention),
		e.newEvent(p, "logout", "", gamedata.DefaultRetention), // no data
	}
	e.must(e.s.AppendEvents(e.ctx, events), "append")
	e.checkEvents("unicode events", strings.ToLower(p), gamedata.EventRange{}, reversed(events))
}
