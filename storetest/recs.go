package storetest

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// RunRecs runs the conformance suite of the recommendations' store and
// source: stored sets, the build's state, and the scans the build reads.
func RunRecs(t *testing.T, open BackendOpener) {
	for _, tc := range []struct {
		name string
		run  func(e *recsEnv)
	}{
		{"SetsByPlayerAndKind", testRecSets},
		{"BuildState", testRecsBuildState},
		{"Scans", testRecsScans},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock(time.Now().Truncate(time.Millisecond))
			b := open(t, clock)
			if b.Recs == nil || b.RecsSource == nil || b.Social == nil {
				t.Fatal("the backend has no recommendation store, source or social store")
			}
			tc.run(&recsEnv{env: &env{T: t, ctx: t.Context(), s: b.Store, clock: clock}, b: b})
		})
	}
}

type recsEnv struct {
	*env
	b gamedata.Backend
}

func testRecSets(e *recsEnv) {
	key := gamedata.NameKey(e.name("Recs"))
	_, err := e.b.Recs.GetRecs(e.ctx, key, gamedata.RecItems)
	e.wantErr(err, gamedata.ErrNotFound, "recommendations never stored")
	at := e.tick()
	items := gamedata.RecSet{Player: key, Kind: gamedata.RecItems, GeneratedAt: at, Items: []gamedata.StoredRec{
		{ID: "sword of 🔥", Score: 0.75, Because: "shield", Friends: 3},
		{ID: "potion", Score: 0.5, Tag: "rpg"},
	}}
	friends := gamedata.RecSet{Player: key, Kind: gamedata.RecFriends, GeneratedAt: at, Items: []gamedata.StoredRec{
		{ID: "Bob", Score: 2.5, Friends: 4, Tag: "co-op", Tags: 2},
	}}
	e.must(e.b.Recs.PutRecs(e.ctx, []gamedata.RecSet{items, friends}), "store sets")
	check := func(want gamedata.RecSet) {
		e.Helper()
		got, err := e.b.Recs.GetRecs(e.ctx, key, want.Kind)
		e.must(err, "read "+string(want.Kind))
		if !slices.Equal(got.Items, want.Items) || !got.GeneratedAt.Equal(want.GeneratedAt) || got.Kind != want.Kind {
			e.Errorf("%s: %+v at %s, want %+v at %s", want.Kind, got.Items, got.GeneratedAt, want.Items, want.GeneratedAt)
		}
	}
	check(items)
	check(friends)
	items.Items, items.GeneratedAt = items.Items[1:], e.tick()
	e.must(e.b.Recs.PutRecs(e.ctx, []gamedata.RecSet{items}), "replace a set")
	check(items)
	check(friends)
	empty := gamedata.RecSet{Player: key, Kind: gamedata.RecFriends, GeneratedAt: e.tick(), Items: []gamedata.StoredRec{}}
	e.must(e.b.Recs.PutRecs(e.ctx, []gamedata.RecSet{empty}), "store an empty set")
	got, err := e.b.Recs.GetRecs(e.ctx, key, gamedata.RecFriends)
	e.must(err, "read the empty set")
	if len(got.Items) != 0 {
		e.Errorf("the empty set reads %+v", got.Items)
	}
}

func testRecsBuildState(e *recsEnv) {
	want := gamedata.RecsBuild{Started: e.tick(), After: gamedata.NameKey(e.name("After")), Done: 1234}
	e.must(e.b.Recs.SaveRecsBuild(e.ctx, want), "save the state")
	got, err := e.b.Recs.RecsBuild(e.ctx)
	e.must(err, "read the state")
	if !got.Started.Equal(want.Started) || got.After != want.After || got.Done != want.Done || !got.Finished.IsZero() {
		e.Errorf("build state %+v, want %+v", got, want)
	}
	want.Finished = e.tick()
	e.must(e.b.Recs.SaveRecsBuild(e.ctx, want), "finish")
	got, _ = e.b.Recs.RecsBuild(e.ctx)
	if !got.Finished.Equal(want.Finished) {
		e.Errorf("finished %s, want %s", got.Finished, want.Finished)
	}
}

func testRecsScans(e *recsEnv) {
	prefix := "Scan" + strings.ToUpper(randomHex(3))
	a, b := e.name(prefix), e.name(prefix)
	for _, n := range []string{a, b} {
		e.must(e.s.CreatePlayer(e.ctx, e.newPlayer(n)), "create "+n)
	}
	paid := e.newOrder(a, "sword")
	unpaid := e.newOrder(a, "shield")
	for _, o := range []gamedata.Order{paid, unpaid} {
		_, _, err := e.s.CreateOrder(e.ctx, o, "")
		e.must(err, "create order")
	}
	_, err := e.s.PayOrder(e.ctx, a, paid.ID, e.tick())
	e.must(err, "pay")
	event := func(typ string, data any) gamedata.Event {
		at := e.tick()
		js, _ := json.Marshal(data)
		return gamedata.Event{ID: gamedata.NewID(at), Player: b, Type: typ, At: at, Data: js, ExpiresAt: at.Add(time.Hour)}
	}
	e.must(e.s.AppendEvents(e.ctx, []gamedata.Event{
		event(gamedata.PlayEvent, map[string]any{"item": "Dota 2", "hours": 12.5}),
		event(gamedata.PlayEvent, map[string]any{"item": 730}),
		event(gamedata.PlayEvent, map[string]any{"hours": 3}),
		event("login", map[string]any{"item": "not a play"}),
	}), "append events")
	e.must(e.b.Social.AddFriend(e.ctx, a, b, e.tick()), "befriend")
	e.must(e.b.Social.SetInterests(e.ctx, b, []string{"moba", "rpg"}, e.tick()), "set interests")

	ka, kb := gamedata.NameKey(a), gamedata.NameKey(b)
	mine := func(k string) bool { return k == ka || k == kb }
	var orders []gamedata.PaidOrderRow
	e.must(e.b.RecsSource.ScanPaidOrders(e.ctx, func(o gamedata.PaidOrderRow) error {
		if mine(o.Player) {
			orders = append(orders, o)
		}
		return nil
	}), "scan paid orders")
	if want := []gamedata.PaidOrderRow{{Player: ka, Item: "sword", Amount: paid.Amount}}; !slices.Equal(orders, want) {
		e.Errorf("paid orders %+v, want %+v", orders, want)
	}
	var plays []gamedata.PlayRow
	e.must(e.b.RecsSource.ScanPlays(e.ctx, func(p gamedata.PlayRow) error {
		if mine(p.Player) {
			plays = append(plays, p)
		}
		return nil
	}), "scan plays")
	slices.SortFunc(plays, func(x, y gamedata.PlayRow) int { return strings.Compare(x.Item, y.Item) })
	if want := []gamedata.PlayRow{{Player: kb, Item: "730"}, {Player: kb, Item: "Dota 2", Hours: 12.5}}; !slices.Equal(plays, want) {
		e.Errorf("plays %+v, want %+v", plays, want)
	}
	var friends []gamedata.FriendshipRow
	e.must(e.b.RecsSource.ScanFriendships(e.ctx, func(f gamedata.FriendshipRow) error {
		if mine(f.Player) {
			friends = append(friends, f)
		}
		return nil
	}), "scan friendships")
	slices.SortFunc(friends, func(x, y gamedata.FriendshipRow) int { return strings.Compare(x.Player, y.Player) })
	want := []gamedata.FriendshipRow{{Player: ka, Friend: kb, FriendName: b}, {Player: kb, Friend: ka, FriendName: a}}
	slices.SortFunc(want, func(x, y gamedata.FriendshipRow) int { return strings.Compare(x.Player, y.Player) })
	if !slices.Equal(friends, want) {
		e.Errorf("friendships %+v, want %+v", friends, want)
	}
	var interests []gamedata.InterestRow
	e.must(e.b.RecsSource.ScanInterests(e.ctx, func(in gamedata.InterestRow) error {
		if mine(in.Player) {
			interests = append(interests, in)
		}
		return nil
	}), "scan interests")
	if len(interests) != 1 || interests[0].Player != kb || !slices.Equal(interests[0].Tags, []string{"moba", "rpg"}) {
		e.Errorf("interests %+v, want %s: [moba rpg]", interests, kb)
	}
}
