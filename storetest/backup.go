package storetest

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// RunBackup runs the conformance suite of gamedata.BackupReader: every live
// row of every table a backup keeps comes out once, as stored, and nothing
// past its expiry does. The store may hold other tests' rows: only this
// test's are compared.
func RunBackup(t *testing.T, open BackendOpener) {
	clock := NewClock(time.Now().Truncate(time.Millisecond))
	b := open(t, clock)
	if b.Backup == nil || b.Social == nil {
		t.Fatal("the backend has no backup reader or social store")
	}
	e := &env{T: t, ctx: t.Context(), s: b.Store, clock: clock}
	r := b.Backup
	const short = time.Minute // the TTL of the rows that expire before the scan

	prefix := "Bak" + strings.ToUpper(randomHex(2))
	pa, pb := e.newPlayer(e.name(prefix)), e.newPlayer(e.name(prefix))
	for _, p := range []gamedata.Player{pa, pb} {
		e.must(e.s.CreatePlayer(e.ctx, p), "create player")
	}
	email := "changed@" + strings.ToLower(prefix) + ".example"
	updated, err := e.s.UpdatePlayer(e.ctx, pa.Name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: e.tick()})
	e.must(err, "update player")
	pa.Email, pa.UpdatedAt = updated.Email, updated.UpdatedAt

	live, gone := e.newSession(pa.Name, time.Hour), e.newSession(pb.Name, short)
	for _, s := range []gamedata.Session{live, gone} {
		e.must(e.s.CreateSession(e.ctx, s), "create session")
	}

	at := e.tick()
	keep, revoked := gamedata.APIKey{ID: gamedata.NewID(at), Name: prefix + "-a", Prefix: "gdk_aaaa", Hash: "hash-a-" + prefix, CreatedAt: at},
		gamedata.APIKey{ID: gamedata.NewID(e.tick()), Name: prefix + "-b", Prefix: "gdk_bbbb", Hash: "hash-b-" + prefix, CreatedAt: at}
	for _, k := range []gamedata.APIKey{keep, revoked} {
		e.must(e.s.CreateAPIKey(e.ctx, k), "create api key")
	}
	revokedAt := e.tick()
	e.must(e.s.RevokeAPIKey(e.ctx, revoked.ID, revokedAt), "revoke api key")
	revoked.RevokedAt = &revokedAt

	plain, keyed := e.newOrder(pa.Name, "sword"), e.newOrder(pa.Name, "shield")
	_, _, err = e.s.CreateOrder(e.ctx, plain, "")
	e.must(err, "create order")
	_, _, err = e.s.CreateOrder(e.ctx, keyed, "key-"+prefix)
	e.must(err, "create order with a key")
	paid, err := e.s.PayOrder(e.ctx, pa.Name, plain.ID, e.tick())
	e.must(err, "pay order")

	kept := e.send(pa.Name, pb.Name, "gg", time.Hour)
	e.send(pb.Name, pa.Name, "soon gone", short)
	event, old := e.newEvent(pb.Name, "level_up", `{"level":2}`, time.Hour), e.newEvent(pb.Name, "login", "", short)
	e.must(e.s.AppendEvents(e.ctx, []gamedata.Event{event, old}), "append events")
	doc := e.putMeta("backup-"+prefix, `{"items":[1,2]}`)

	since := e.tick()
	e.must(b.Social.AddFriend(e.ctx, pa.Name, pb.Name, since), "befriend")
	interestsAt := e.tick()
	e.must(b.Social.SetInterests(e.ctx, pb.Name, []string{"moba", "rpg"}, interestsAt), "set interests")

	clock.Advance(2 * short) // past the short TTLs

	ka, kb := gamedata.NameKey(pa.Name), gamedata.NameKey(pb.Name)
	ours := func(name string) bool { k := gamedata.NameKey(name); return k == ka || k == kb }

	var players []gamedata.Player
	e.must(r.BackupPlayers(e.ctx, func(p gamedata.Player) error {
		if ours(p.Name) {
			players = append(players, p)
		}
		return nil
	}), "back up players")
	wantOnce(e, "players", players, []gamedata.Player{pa, pb}, func(p gamedata.Player) string { return p.ID.String() },
		func(a, b gamedata.Player) bool { return equalPlayer(a, b) && a.PasswordHash == b.PasswordHash })

	var sessions []gamedata.Session
	e.must(r.BackupSessions(e.ctx, func(s gamedata.Session) error {
		if ours(s.PlayerName) {
			sessions = append(sessions, s)
		}
		return nil
	}), "back up sessions")
	wantOnce(e, "sessions", sessions, []gamedata.Session{live}, func(s gamedata.Session) string { return s.TokenHash }, equalSession)

	var keys []gamedata.APIKey
	e.must(r.BackupAPIKeys(e.ctx, func(k gamedata.APIKey) error {
		if strings.HasPrefix(k.Name, prefix) {
			keys = append(keys, k)
		}
		return nil
	}), "back up api keys")
	wantOnce(e, "api keys", keys, []gamedata.APIKey{keep, revoked}, func(k gamedata.APIKey) string { return k.ID.String() }, equalAPIKey)

	var orders []gamedata.BackupOrder
	e.must(r.BackupOrders(e.ctx, func(o gamedata.BackupOrder) error {
		if ours(o.UserName) {
			orders = append(orders, o)
		}
		return nil
	}), "back up orders")
	wantOnce(e, "orders", orders, []gamedata.BackupOrder{{Order: paid}, {Order: keyed, IdempotencyKey: "key-" + prefix}},
		func(o gamedata.BackupOrder) string { return o.ID.String() },
		func(a, b gamedata.BackupOrder) bool {
			return equalOrder(a.Order, b.Order) && a.IdempotencyKey == b.IdempotencyKey
		})

	var messages []gamedata.Message
	e.must(r.BackupMessages(e.ctx, func(m gamedata.Message) error {
		if ours(m.From) {
			messages = append(messages, m)
		}
		return nil
	}), "back up messages")
	wantOnce(e, "messages", messages, []gamedata.Message{kept}, func(m gamedata.Message) string { return m.ID.String() },
		func(a, b gamedata.Message) bool { return equalMessage(a, b) && a.ExpiresAt.Equal(b.ExpiresAt) })

	var events []gamedata.Event
	e.must(r.BackupEvents(e.ctx, func(ev gamedata.Event) error {
		if ours(ev.Player) {
			events = append(events, ev)
		}
		return nil
	}), "back up events")
	wantOnce(e, "events", events, []gamedata.Event{event}, func(ev gamedata.Event) string { return ev.ID.String() },
		func(a, b gamedata.Event) bool {
			return a.ID == b.ID && a.Player == b.Player && a.Type == b.Type && a.At.Equal(b.At) &&
				sameJSON(a.Data, b.Data) && a.ExpiresAt.Equal(b.ExpiresAt)
		})

	var docs []gamedata.MetaDoc
	e.must(r.BackupMeta(e.ctx, func(d gamedata.MetaDoc) error {
		if d.Key == doc.Key {
			docs = append(docs, d)
		}
		return nil
	}), "back up metadata")
	wantOnce(e, "metadata", docs, []gamedata.MetaDoc{doc}, func(d gamedata.MetaDoc) string { return d.Key },
		func(a, b gamedata.MetaDoc) bool { return sameJSON(a.Value, b.Value) && a.UpdatedAt.Equal(b.UpdatedAt) })

	var friends []gamedata.BackupFriend
	e.must(r.BackupFriends(e.ctx, func(f gamedata.BackupFriend) error {
		if f.Player == ka || f.Player == kb {
			friends = append(friends, f)
		}
		return nil
	}), "back up friends")
	wantOnce(e, "friends", friends, []gamedata.BackupFriend{{Player: ka, Friend: pb.Name, Since: since}, {Player: kb, Friend: pa.Name, Since: since}},
		func(f gamedata.BackupFriend) string { return f.Player },
		func(a, b gamedata.BackupFriend) bool { return a.Friend == b.Friend && a.Since.Equal(b.Since) })

	var interests []gamedata.BackupInterests
	e.must(r.BackupInterests(e.ctx, func(in gamedata.BackupInterests) error {
		if in.Player == ka || in.Player == kb {
			interests = append(interests, in)
		}
		return nil
	}), "back up interests")
	wantOnce(e, "interests", interests,
		[]gamedata.BackupInterests{{Player: kb, Interests: gamedata.Interests{Tags: []string{"moba", "rpg"}, UpdatedAt: interestsAt}}},
		func(in gamedata.BackupInterests) string { return in.Player },
		func(a, b gamedata.BackupInterests) bool {
			return slices.Equal(a.Tags, b.Tags) && a.UpdatedAt.Equal(b.UpdatedAt)
		})
}

// wantOnce checks that got holds each row of want once (by id), equal to
// it, and nothing else.
func wantOnce[R any](e *env, what string, got, want []R, id func(R) string, equal func(a, b R) bool) {
	e.Helper()
	seen := map[string]int{}
	for _, g := range got {
		seen[id(g)]++
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(g R) bool { return id(g) == id(w) })
		switch {
		case i < 0:
			e.Errorf("backup of %s lacks %s", what, id(w))
		case seen[id(w)] != 1:
			e.Errorf("backup of %s gives %s %d times", what, id(w), seen[id(w)])
		case !equal(got[i], w):
			e.Errorf("backup of %s gives %+v, want %+v", what, got[i], w)
		}
	}
	if len(got) != len(want) {
		e.Errorf("backup of %s gives %d rows, want %d: %+v", what, len(got), len(want), got)
	}
}

// sameJSON reports whether a and b hold the same JSON value.
func sameJSON(a, b json.RawMessage) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && fmt.Sprint(x) == fmt.Sprint(y)
}
