package storetest

import (
	"fmt"
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata"
)

var messageTests = []testCase{
	{"InboxSentConversation", testMessageLists},
	{"Paging", testMessagePaging},
	{"Retention", testMessageRetention},
}

// send stores a message that expires after ttl (never when ttl is 0).
func (e *env) send(from, to, text string, ttl time.Duration) gamedata.Message {
	e.Helper()
	now := e.tick()
	m := gamedata.Message{ID: gamedata.NewID(now), From: from, To: to, Text: text, CreatedAt: now}
	if ttl != 0 {
		m.ExpiresAt = now.Add(ttl)
	}
	e.must(e.s.SendMessage(e.ctx, m), "send message")
	return m
}

func equalMessage(a, b gamedata.Message) bool {
	return a.ID == b.ID && a.From == b.From && a.To == b.To && a.Text == b.Text && a.CreatedAt.Equal(b.CreatedAt)
}

type messageList func(gamedata.PageRequest) (gamedata.Page[gamedata.Message], error)

func (e *env) inbox(name string) messageList {
	return func(p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
		return e.s.Inbox(e.ctx, name, p)
	}
}

func (e *env) sent(name string) messageList {
	return func(p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) { return e.s.Sent(e.ctx, name, p) }
}

func (e *env) conversation(a, b string) messageList {
	return func(p gamedata.PageRequest) (gamedata.Page[gamedata.Message], error) {
		return e.s.Conversation(e.ctx, a, b, p)
	}
}

// checkMessages walks a message list in pages of pageLimit and compares it
// with want (newest first).
func (e *env) checkMessages(what string, list messageList, want []gamedata.Message) {
	e.Helper()
	checkList(e, what, collect(e, what, pageLimit, list), want, equalMessage)
}

func testMessageLists(e *env) {
	a, b, c := e.name("Olga"), e.name("Pete"), e.name("Quinn")
	m1 := e.send(a, b, "hello 👋🏽, wie geht's? 你好", gamedata.DefaultRetention)
	m2 := e.send(b, strings.ToLower(a), "fine 🙂", gamedata.DefaultRetention)
	m3 := e.send(a, c, "hi c", gamedata.DefaultRetention)
	m4 := e.send(c, b, "hi b, from c", gamedata.DefaultRetention)
	m5 := e.send(strings.ToUpper(a), b, "𝄞 music", gamedata.DefaultRetention)
	m6 := e.send(b, a, "bye", gamedata.DefaultRetention)
	type M = []gamedata.Message

	e.checkMessages("inbox of b", e.inbox(strings.ToUpper(b)), M{m5, m4, m1})
	e.checkMessages("inbox of a", e.inbox(a), M{m6, m2})
	e.checkMessages("sent by a", e.sent(strings.ToLower(a)), M{m5, m3, m1})
	e.checkMessages("sent by b", e.sent(b), M{m6, m2})
	both := M{m6, m5, m2, m1}
	e.checkMessages("conversation a,b", e.conversation(a, b), both)
	e.checkMessages("conversation b,a", e.conversation(strings.ToUpper(b), strings.ToLower(a)), both)
	e.checkMessages("conversation a,c", e.conversation(a, c), M{m3})
	e.checkMessages("conversation b,c", e.conversation(c, b), M{m4})
	e.checkMessages("inbox of a stranger", e.inbox(e.name("Nobody")), nil)
}

func testMessagePaging(e *env) {
	a, b := e.name("Rosa"), e.name("Sam")
	const n = 4*pageLimit - 2 // four pages per direction, the last one short
	var fromA, fromB, all []gamedata.Message
	for i := range n {
		m := e.send(a, b, fmt.Sprintf("ping %d", i), gamedata.DefaultRetention)
		r := e.send(b, a, fmt.Sprintf("pong %d", i), gamedata.DefaultRetention)
		fromA, fromB, all = append(fromA, m), append(fromB, r), append(all, m, r)
	}
	e.checkMessages("inbox of b", e.inbox(b), reversed(fromA))
	e.checkMessages("sent by a", e.sent(a), reversed(fromA))
	e.checkMessages("inbox of a", e.inbox(a), reversed(fromB))
	e.checkMessages("sent by b", e.sent(b), reversed(fromB))
	e.checkMessages("conversation a,b", e.conversation(a, b), reversed(all))
	e.checkMessages("conversation b,a", e.conversation(b, a), reversed(all))
}

func testMessageRetention(e *env) {
	a, b := e.name("Tina"), e.name("Uwe")
	short := e.send(a, b, "gone in an hour", time.Hour)
	long := e.send(a, b, "kept a year", gamedata.DefaultRetention)
	reply := e.send(b, a, "gone in an hour too", time.Hour)
	forever := e.send(b, a, "kept forever", 0)
	type M = []gamedata.Message
	e.checkMessages("inbox of b before expiry", e.inbox(b), M{long, short})
	e.checkMessages("conversation before expiry", e.conversation(a, b), M{forever, reply, long, short})

	e.clock.Advance(2 * time.Hour)
	e.checkMessages("inbox of b", e.inbox(b), M{long})
	e.checkMessages("sent by a", e.sent(a), M{long})
	e.checkMessages("inbox of a", e.inbox(a), M{forever})
	e.checkMessages("sent by b", e.sent(b), M{forever})
	e.checkMessages("conversation", e.conversation(b, a), M{forever, long})

	e.clock.Advance(gamedata.DefaultRetention)
	e.checkMessages("conversation a year later", e.conversation(a, b), M{forever})
}
