package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// RunFeed runs the conformance suite of gamedata.ChangeFeed against the
// stores open returns (each must implement it), one store and one clock per
// subtest.
//
// The feed may be shared with other tests (one keyspace), so each test uses
// consumers of its own, makes them known and catches them up before it
// writes, and reasons only about the records of its own players. It asserts
// that its records are there ("at least these"), never that nothing else
// is: a store may leave a harmless extra record before a lightweight
// transaction that then fails.
func RunFeed(t *testing.T, open Opener) {
	for _, tc := range feedTests {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock(time.Now().Truncate(time.Millisecond))
			s := open(t, clock)
			feed, ok := s.(gamedata.ChangeFeed)
			if !ok {
				t.Fatalf("%T does not implement gamedata.ChangeFeed", s)
			}
			tc.run(&feedEnv{env: &env{T: t, ctx: t.Context(), s: s, clock: clock}, feed: feed})
		})
	}
}

var feedTests = []struct {
	name string
	run  func(f *feedEnv)
}{
	{"EveryWriteKindIsRecorded", testFeedWriteKinds},
	{"BatchesOldestFirst", testFeedBatches},
	{"ReadAgainWithoutCommit", testFeedReadAgain},
	{"ConsumersAreIndependent", testFeedIndependentConsumers},
	{"KeptUntilEveryConsumerCommits", testFeedLaggingConsumer},
	{"Status", testFeedStatus},
	{"ConcurrentWritersLoseNothing", testFeedConcurrentWriters},
	{"BadCursorIsInvalid", testFeedBadCursor},
}

type feedEnv struct {
	*env
	feed gamedata.ChangeFeed
}

const (
	// catchUpBatch is the batch of reads that skip what others wrote.
	catchUpBatch = 500
	// feedWait bounds how long a consumer may take to see a write.
	feedWait = 30 * time.Second
)

// consumer returns a fresh consumer name, made known to the feed and caught
// up with it: its reads start about where the test's writes will.
func (f *feedEnv) consumer() string {
	f.Helper()
	c := "storetest-" + randomHex(6)
	for range 10_000 {
		b := f.read(c, catchUpBatch)
		f.commit(c, b.Cursor)
		if len(b.Changes) < catchUpBatch {
			return c
		}
	}
	f.Fatalf("consumer %s: the feed never ends", c)
	return c
}

func (f *feedEnv) read(consumer string, max int) gamedata.ChangeBatch {
	f.Helper()
	b, err := f.feed.ReadChanges(f.ctx, consumer, max)
	f.must(err, "read changes for "+consumer)
	if len(b.Changes) > max {
		f.Fatalf("read changes for %s: %d changes, max %d", consumer, len(b.Changes), max)
	}
	return b
}

func (f *feedEnv) commit(consumer, cursor string) {
	f.Helper()
	f.must(f.feed.CommitChanges(f.ctx, consumer, cursor), "commit changes of "+consumer)
}

func (f *feedEnv) status(consumer string) gamedata.FeedStatus {
	f.Helper()
	st, err := f.feed.FeedStatus(f.ctx, consumer)
	f.must(err, "feed status of "+consumer)
	return st
}

// of returns a filter of the changes of the given players.
func of(players ...string) func(gamedata.Change) bool {
	keys := map[string]bool{}
	for _, p := range players {
		keys[gamedata.NameKey(p)] = true
	}
	return func(c gamedata.Change) bool { return keys[c.Player] }
}

func (f *feedEnv) filter(changes []gamedata.Change, mine func(gamedata.Change) bool) []gamedata.Change {
	var out []gamedata.Change
	for _, c := range changes {
		if mine(c) {
			out = append(out, c)
		}
	}
	return out
}

// playerChange, orderChange and messageChange are the records a test expects.
func playerChange(name string) gamedata.Change {
	return gamedata.Change{Kind: gamedata.ChangePlayer, Player: gamedata.NameKey(name)}
}

func orderChange(o gamedata.Order) gamedata.Change {
	return gamedata.Change{Kind: gamedata.ChangeOrder, Player: gamedata.NameKey(o.UserName), OrderID: o.ID}
}

func messageChange(m gamedata.Message) gamedata.Change {
	return gamedata.Change{Kind: gamedata.ChangeMessage, Player: gamedata.NameKey(m.From), Message: &m}
}

// matches reports whether got is the record want expects (want has no id).
func matches(got, want gamedata.Change) bool {
	if got.Kind != want.Kind || got.Player != want.Player || got.OrderID != want.OrderID {
		return false
	}
	return want.Message == nil || (got.Message != nil && equalMessage(*got.Message, *want.Message))
}

// found returns how many of want, in order, got holds (want is a
// subsequence of got when that is len(want)).
func found(got, want []gamedata.Change) int {
	n := 0
	for _, c := range got {
		if n < len(want) && matches(c, want[n]) {
			n++
		}
	}
	return n
}

func describe(c gamedata.Change) string {
	switch c.Kind {
	case gamedata.ChangeOrder:
		return fmt.Sprintf("%s %s of %s", c.Kind, c.OrderID, c.Player)
	case gamedata.ChangeMessage:
		if c.Message != nil {
			return fmt.Sprintf("%s %s from %s: %+v", c.Kind, c.Message.ID, c.Player, *c.Message)
		}
	}
	return fmt.Sprintf("%s %s", c.Kind, c.Player)
}

// drain reads consumer's feed in batches of at most max, committing each,
// until the changes that mine selects hold every sequence of want in order,
// and returns those changes. It fails the test when one is missing after
// feedWait, or when a committed change comes again.
func (f *feedEnv) drain(consumer string, max int, mine func(gamedata.Change) bool, want ...[]gamedata.Change) []gamedata.Change {
	f.Helper()
	var got []gamedata.Change
	seen := map[uuid.UUID]bool{}
	done := func() bool {
		for _, w := range want {
			if found(got, w) < len(w) {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(feedWait)
	for !done() {
		b := f.read(consumer, max)
		for _, c := range b.Changes {
			if seen[c.ID] {
				f.Errorf("consumer %s: change %s (%s) came again after its commit", consumer, c.ID, describe(c))
			}
			seen[c.ID] = true
			if mine(c) {
				got = append(got, c)
			}
		}
		f.commit(consumer, b.Cursor)
		if len(b.Changes) > 0 {
			continue
		}
		if time.Now().After(deadline) {
			var missing []string
			for _, w := range want {
				if n := found(got, w); n < len(w) {
					missing = append(missing, describe(w[n]))
				}
			}
			f.Fatalf("consumer %s: after %v, the feed lacks (in write order) %s\n it holds: %v",
				consumer, feedWait, strings.Join(missing, "; "), got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return got
}

// createPlayers creates n players named after prefix, in order, and
// returns their names and the records they expect.
func (f *feedEnv) createPlayers(prefix string, n int) ([]string, []gamedata.Change) {
	f.Helper()
	names := make([]string, n)
	want := make([]gamedata.Change, n)
	for i := range names {
		p := f.newPlayer(f.name(prefix))
		f.must(f.s.CreatePlayer(f.ctx, p), "create player")
		names[i], want[i] = p.Name, playerChange(p.Name)
	}
	return names, want
}

func testFeedWriteKinds(f *feedEnv) {
	c := f.consumer()
	p := f.newPlayer(f.name("Feed"))
	f.must(f.s.CreatePlayer(f.ctx, p), "create player")
	email, hash := "changed-"+p.Email, "$argon2id$v=19$m=65536,t=1,p=4$bmV3c2FsdA$bmV3aGFzaA"
	_, err := f.s.UpdatePlayer(f.ctx, p.Name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: f.tick()})
	f.must(err, "update email")
	_, err = f.s.UpdatePlayer(f.ctx, mixCase(p.Name, 3), gamedata.PlayerUpdate{PasswordHash: &hash, UpdatedAt: f.tick()})
	f.must(err, "update password")

	bought := f.newOrder(p.Name, "feed sword")
	_, _, err = f.s.CreateOrder(f.ctx, bought, "")
	f.must(err, "create order")
	key := "feed-" + randomHex(6)
	keyed := f.newOrder(strings.ToUpper(p.Name), "feed shield")
	_, _, err = f.s.CreateOrder(f.ctx, keyed, key)
	f.must(err, "create order with idempotency key")
	_, created, err := f.s.CreateOrder(f.ctx, f.newOrder(p.Name, "feed shield"), key)
	f.must(err, "replay order")
	if created {
		f.Errorf("the replay of an idempotency key made an order")
	}
	_, err = f.s.PayOrder(f.ctx, p.Name, bought.ID, f.tick())
	f.must(err, "pay order")
	m := f.send(p.Name, f.name("Peer"), "feed me 🍕, s'il te plaît", gamedata.DefaultRetention)

	want := []gamedata.Change{
		playerChange(p.Name), playerChange(p.Name), playerChange(p.Name),
		orderChange(bought), orderChange(keyed), orderChange(bought), messageChange(m),
	}
	for _, ch := range f.drain(c, 100, of(p.Name), want) {
		if ch.ID.Version() != 1 {
			f.Errorf("change %s (%s): id is a version %d uuid, want a timeuuid", ch.ID, describe(ch), ch.ID.Version())
		}
	}
}

func testFeedBatches(f *feedEnv) {
	c := f.consumer()
	names, want := f.createPlayers("Batch", 10)
	// drain checks that no batch exceeds the max and the order of the records.
	f.drain(c, 3, of(names...), want)
}

func testFeedReadAgain(f *feedEnv) {
	c := f.consumer()
	names, want := f.createPlayers("Again", 6)
	first := f.read(c, 4)
	if len(first.Changes) == 0 {
		f.Fatalf("after 6 writes, the first read of a caught-up consumer is empty")
	}
	again := f.read(c, 4)
	ids := func(b gamedata.ChangeBatch) []uuid.UUID {
		out := make([]uuid.UUID, len(b.Changes))
		for i, ch := range b.Changes {
			out[i] = ch.ID
		}
		return out
	}
	if !slices.Equal(ids(first), ids(again)) {
		f.Fatalf("reading again without a commit returned other changes:\nfirst: %v\nagain: %v", ids(first), ids(again))
	}

	f.commit(c, first.Cursor)
	for _, ch := range f.read(c, 100).Changes {
		if slices.Contains(ids(first), ch.ID) {
			f.Errorf("change %s (%s) came again after its commit", ch.ID, describe(ch))
		}
	}
	// The rest follows in order after the committed batch.
	mine := of(names...)
	f.drain(c, 4, mine, want[found(f.filter(first.Changes, mine), want):])
}

func testFeedIndependentConsumers(f *feedEnv) {
	a, b := f.consumer(), f.consumer()
	names, want := f.createPlayers("Indie", 5)
	mine := of(names...)
	f.drain(a, 2, mine, want)
	f.drain(b, 2, mine, want) // a's commits did not move b
	if again := f.filter(f.read(a, catchUpBatch).Changes, mine); len(again) > 0 {
		f.Errorf("consumer a reads its committed changes again: %v", again)
	}
}

func testFeedLaggingConsumer(f *feedEnv) {
	fast, lagging := f.consumer(), f.consumer()
	first := f.clock.Now().Add(time.Millisecond) // the time of the first write
	names, want := f.createPlayers("Lag", 5)
	mine := of(names...)
	f.drain(fast, 2, mine, want)

	// fast is first, so writes of others in between only add to lagging's count.
	ahead, behind := f.status(fast), f.status(lagging)
	if behind.Pending-ahead.Pending < int64(len(want)) {
		f.Errorf("after the fast consumer committed %d changes, the lagging one has %d pending and the fast one %d",
			len(want), behind.Pending, ahead.Pending)
	}
	if behind.Oldest.IsZero() || behind.Oldest.After(first) {
		f.Errorf("the lagging consumer's oldest pending change is from %v, want at or before the first write at %v",
			behind.Oldest, first)
	}
	// The fast consumer's commits removed nothing the lagging one has not read.
	f.drain(lagging, 2, mine, want)
}

func testFeedStatus(f *feedEnv) {
	c := f.consumer()
	before := f.status(c)
	first := f.clock.Now().Add(time.Millisecond)
	names, want := f.createPlayers("Status", 4)
	st := f.status(c)
	if st.Pending < before.Pending+int64(len(want)) {
		f.Errorf("after %d writes, pending went from %d to %d", len(want), before.Pending, st.Pending)
	}
	if st.Oldest.IsZero() || st.Oldest.After(first) {
		f.Errorf("oldest pending change is from %v, want at or before the first write at %v", st.Oldest, first)
	}
	f.drain(c, 3, of(names...), want)
	after := f.status(c)
	if (after.Pending == 0) != after.Oldest.IsZero() {
		f.Errorf("after the commit: %d pending, the oldest from %v; want both or neither zero", after.Pending, after.Oldest)
	}
}

func testFeedConcurrentWriters(f *feedEnv) {
	const writers, writes = 8, 25
	c := f.consumer()
	users := make([]string, writers)
	want := make([][]gamedata.Change, writers)
	for g := range users {
		users[g] = f.name("Writer")
		want[g] = make([]gamedata.Change, writes)
	}
	peer := f.name("Peer")
	errs := concurrently(writers, func(g int) error {
		for i := range writes {
			if i%2 == 0 {
				o := f.newOrder(users[g], fmt.Sprintf("potion %d", i))
				if _, _, err := f.s.CreateOrder(f.ctx, o, ""); err != nil {
					return err
				}
				want[g][i] = orderChange(o)
				continue
			}
			at := f.tick()
			m := gamedata.Message{ID: gamedata.NewID(at), From: users[g], To: peer, Text: fmt.Sprintf("msg %d", i),
				CreatedAt: at, ExpiresAt: at.Add(gamedata.DefaultRetention)}
			if err := f.s.SendMessage(f.ctx, m); err != nil {
				return err
			}
			want[g][i] = messageChange(m)
		}
		return nil
	})
	for g, err := range errs {
		f.must(err, fmt.Sprintf("writer %d", g))
	}
	f.drain(c, 50, of(users...), want...)
}

func testFeedBadCursor(f *feedEnv) {
	c := f.consumer()
	for _, cursor := range []string{"not a cursor!", "%%%", "é"} {
		f.wantErr(f.feed.CommitChanges(f.ctx, c, cursor), gamedata.ErrInvalid, fmt.Sprintf("commit cursor %q", cursor))
	}
}
