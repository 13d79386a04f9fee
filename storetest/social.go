package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// SocialOpener opens the backend under test with clock as its clock and at
// most friendCap friends per player (0: gamedata.MaxFriends). Its Social and
// Feed must be set. It closes the store in t.Cleanup.
type SocialOpener func(t *testing.T, clock gamedata.Clock, friendCap int) gamedata.Backend

// RunSocial runs the conformance suite of gamedata.SocialStore: the
// friendship graph and interests, one backend and clock per subtest.
func RunSocial(t *testing.T, open SocialOpener) {
	for _, tc := range socialTests {
		t.Run(tc.name, func(t *testing.T) {
			clock := NewClock(time.Now().Truncate(time.Millisecond))
			cap := 0
			if tc.cap {
				cap = testFriendCap
			}
			b := open(t, clock, cap)
			if b.Social == nil || b.Feed == nil {
				t.Fatal("the backend has no social store or no change feed")
			}
			e := &env{T: t, ctx: t.Context(), s: b.Store, clock: clock}
			tc.run(&socialEnv{feedEnv: &feedEnv{env: e, feed: b.Feed}, g: b.Social})
		})
	}
}

// testFriendCap is the cap of the test of the cap: small, so the test is
// quick on every store; the stores' default is gamedata.MaxFriends.
const testFriendCap = 5

var socialTests = []struct {
	name string
	cap  bool
	run  func(e *socialEnv)
}{
	{"FriendsAreMutualNewestFirst", false, testFriendsMutual},
	{"RemoveEndsBothSides", false, testFriendsRemove},
	{"AddTwiceIsOne", false, testFriendsTwice},
	{"OnlyExistingOthers", false, testFriendsRules},
	{"Paging", false, testFriendsPaging},
	{"Cap", true, testFriendsCap},
	{"SymmetricUnderConcurrency", false, testFriendsConcurrent},
	{"Interests", false, testInterests},
	{"EveryWriteIsRecorded", false, testSocialFeed},
}

type socialEnv struct {
	*feedEnv
	g gamedata.SocialStore
}

// players creates n players named prefix_..., in creation order.
func (e *socialEnv) players(prefix string, n int) []string {
	e.Helper()
	names := make([]string, n)
	for i := range names {
		names[i] = e.name(prefix)
		e.must(e.s.CreatePlayer(e.ctx, e.newPlayer(names[i])), "create player "+names[i])
	}
	return names
}

func (e *socialEnv) befriend(a, b string) time.Time {
	e.Helper()
	at := e.tick()
	e.must(e.g.AddFriend(e.ctx, a, b, at), "befriend "+a+" and "+b)
	return at
}

// friends lists every friend of player, page by page.
func (e *socialEnv) friends(player string) []gamedata.Friend {
	e.Helper()
	var all []gamedata.Friend
	p := gamedata.PageRequest{Limit: gamedata.MaxPageLimit}
	for range 100 {
		page, err := e.g.ListFriends(e.ctx, player, p)
		e.must(err, "list friends of "+player)
		all = append(all, page.Items...)
		if page.NextToken == "" {
			return all
		}
		p.Token = page.NextToken
	}
	e.Fatalf("friends of %s: the pages never end", player)
	return nil
}

func names(fs []gamedata.Friend) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.Name
	}
	return out
}

func (e *socialEnv) wantFriends(player string, want ...string) {
	e.Helper()
	got := e.friends(player)
	if !slices.Equal(names(got), want) {
		e.Errorf("friends of %s: %v, want %v", player, names(got), want)
	}
	n, err := e.g.FriendCount(e.ctx, player)
	e.must(err, "count friends of "+player)
	if n != len(want) {
		e.Errorf("friend count of %s: %d, want %d", player, n, len(want))
	}
}

func testFriendsMutual(e *socialEnv) {
	p := e.players("Mutual", 4)
	a := p[0]
	since := map[string]time.Time{}
	for _, other := range p[1:] {
		// Names are matched ignoring case; lists show display forms.
		since[other] = e.befriend(strings.ToUpper(a), strings.ToLower(other))
	}
	e.wantFriends(a, p[3], p[2], p[1])
	for _, f := range e.friends(a) {
		if !f.Since.Equal(since[f.Name]) {
			e.Errorf("friend %s of %s since %s, want %s", f.Name, a, f.Since, since[f.Name])
		}
	}
	for _, other := range p[1:] {
		e.wantFriends(other, a)
		if f := e.friends(other); len(f) == 1 && !f[0].Since.Equal(since[other]) {
			e.Errorf("%s's side says since %s, %s's side %s", other, f[0].Since, a, since[other])
		}
	}
}

func testFriendsRemove(e *socialEnv) {
	p := e.players("Remove", 3)
	e.befriend(p[0], p[1])
	e.befriend(p[0], p[2])
	// Either side ends it for both.
	e.must(e.g.RemoveFriend(e.ctx, strings.ToUpper(p[1]), p[0]), "unfriend")
	e.wantFriends(p[0], p[2])
	e.wantFriends(p[1])
	e.must(e.g.RemoveFriend(e.ctx, p[1], p[0]), "unfriend again")
	e.must(e.g.RemoveFriend(e.ctx, p[1], e.name("Nobody")), "unfriend a stranger")
	e.wantFriends(p[2], p[0])
}

func testFriendsTwice(e *socialEnv) {
	p := e.players("Twice", 2)
	since := e.befriend(p[0], p[1])
	e.befriend(p[1], p[0])
	e.befriend(p[0], p[1])
	e.wantFriends(p[0], p[1])
	e.wantFriends(p[1], p[0])
	if f := e.friends(p[0]); len(f) == 1 && !f[0].Since.Equal(since) {
		e.Errorf("a second add moved the friendship to %s from %s", f[0].Since, since)
	}
}

func testFriendsRules(e *socialEnv) {
	p := e.players("Rules", 1)
	e.wantErr(e.g.AddFriend(e.ctx, p[0], strings.ToUpper(p[0]), e.tick()), gamedata.ErrInvalid, "befriend oneself")
	ghost := e.name("Ghost")
	e.wantErr(e.g.AddFriend(e.ctx, p[0], ghost, e.tick()), gamedata.ErrNotFound, "befriend an unknown player")
	e.wantErr(e.g.AddFriend(e.ctx, ghost, p[0], e.tick()), gamedata.ErrNotFound, "an unknown player befriends")
	e.wantFriends(p[0])
	e.wantFriends(ghost)
}

func testFriendsPaging(e *socialEnv) {
	p := e.players("Page", 8)
	for _, other := range p[1:] {
		e.befriend(other, p[0])
	}
	var got []string
	req := gamedata.PageRequest{Limit: 3}
	pages := 0
	for {
		page, err := e.g.ListFriends(e.ctx, p[0], req)
		e.must(err, "list a page")
		pages++
		if len(page.Items) > 3 {
			e.Fatalf("a page of %d, limit 3", len(page.Items))
		}
		got = append(got, names(page.Items)...)
		if page.NextToken == "" {
			break
		}
		req.Token = page.NextToken
	}
	want := slices.Clone(p[1:])
	slices.Reverse(want)
	if !slices.Equal(got, want) || pages != 3 {
		e.Errorf("pages of 3: %v in %d pages, want %v in 3", got, pages, want)
	}
	_, err := e.g.ListFriends(e.ctx, p[0], gamedata.PageRequest{Token: "not-a-token"})
	e.wantErr(err, gamedata.ErrInvalid, "a bad page token")
}

func testFriendsCap(e *socialEnv) {
	p := e.players("Cap", testFriendCap+2)
	hub := p[0]
	for _, other := range p[1 : testFriendCap+1] {
		e.befriend(hub, other)
	}
	last := p[testFriendCap+1]
	e.wantErr(e.g.AddFriend(e.ctx, last, hub, e.tick()), gamedata.ErrConflict, "befriend a player at the cap")
	e.wantErr(e.g.AddFriend(e.ctx, hub, last, e.tick()), gamedata.ErrConflict, "a player at the cap befriends")
	e.wantFriends(last)
	if n, _ := e.g.FriendCount(e.ctx, hub); n != testFriendCap {
		e.Errorf("the hub has %d friends, the cap is %d", n, testFriendCap)
	}
	// Adding an existing friend at the cap changes nothing and is fine.
	e.must(e.g.AddFriend(e.ctx, p[1], hub, e.tick()), "befriend a friend at the cap")
	e.must(e.g.RemoveFriend(e.ctx, hub, p[1]), "unfriend")
	e.befriend(last, hub)
}

// Concurrent adds and removes of one friendship, from both sides, leave
// both sides alike: friends on both or on neither.
func testFriendsConcurrent(e *socialEnv) {
	const pairs, rounds = 6, 4
	p := e.players("Race", 2*pairs)
	var wg sync.WaitGroup
	errs := make(chan error, pairs*rounds*4)
	for i := range pairs {
		a, b := p[2*i], p[2*i+1]
		for r := range rounds {
			for j, op := range []func() error{
				func() error { return e.g.AddFriend(e.ctx, a, b, e.clock.Now()) },
				func() error { return e.g.AddFriend(e.ctx, b, a, e.clock.Now()) },
				func() error { return e.g.RemoveFriend(e.ctx, a, b) },
				func() error { return e.g.RemoveFriend(e.ctx, b, a) },
			} {
				wg.Go(func() {
					if (r+j+i)%2 == 0 {
						time.Sleep(time.Millisecond)
					}
					if err := op(); err != nil {
						errs <- err
					}
				})
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.Errorf("a concurrent add or remove failed: %v", err)
	}
	friendsNow := 0
	for i := range pairs {
		a, b := p[2*i], p[2*i+1]
		fa, fb := names(e.friends(a)), names(e.friends(b))
		ab, ba := slices.Contains(fa, b), slices.Contains(fb, a)
		if ab != ba || len(fa) > 1 || len(fb) > 1 {
			e.Errorf("pair %d: %s lists %v, %s lists %v: not symmetric", i, a, fa, b, fb)
		}
		if ab {
			friendsNow++
		}
	}
	e.Logf("%d of %d pairs ended as friends", friendsNow, pairs)
}

func testInterests(e *socialEnv) {
	p := e.players("Likes", 1)
	in, err := e.g.GetInterests(e.ctx, p[0])
	e.must(err, "interests never set")
	if len(in.Tags) != 0 {
		e.Errorf("interests never set: %v", in.Tags)
	}
	tags, err := gamedata.NormalizeTags([]string{" RPG ", "strategy", "rpg", "Co-op"})
	e.must(err, "normalise")
	at := e.tick()
	e.must(e.g.SetInterests(e.ctx, strings.ToUpper(p[0]), tags, at), "set interests")
	in, err = e.g.GetInterests(e.ctx, p[0])
	e.must(err, "get interests")
	if want := []string{"co-op", "rpg", "strategy"}; !slices.Equal(in.Tags, want) || !in.UpdatedAt.Equal(at) {
		e.Errorf("interests %v at %s, want %v at %s", in.Tags, in.UpdatedAt, want, at)
	}
	e.must(e.g.SetInterests(e.ctx, p[0], []string{"puzzle"}, e.tick()), "replace interests")
	in, _ = e.g.GetInterests(e.ctx, p[0])
	if !slices.Equal(in.Tags, []string{"puzzle"}) {
		e.Errorf("replaced interests: %v, want [puzzle]", in.Tags)
	}
	e.must(e.g.SetInterests(e.ctx, p[0], []string{}, e.tick()), "clear interests")
	in, _ = e.g.GetInterests(e.ctx, p[0])
	if len(in.Tags) != 0 {
		e.Errorf("cleared interests: %v", in.Tags)
	}
	e.wantErr(e.g.SetInterests(e.ctx, e.name("Ghost"), tags, e.tick()), gamedata.ErrNotFound, "interests of an unknown player")
}

func testSocialFeed(e *socialEnv) {
	c := e.consumer()
	p := e.players("FeedSocial", 2)
	e.befriend(p[0], p[1])
	e.must(e.g.RemoveFriend(e.ctx, p[1], p[0]), "unfriend")
	e.must(e.g.SetInterests(e.ctx, p[0], []string{"rpg"}, e.tick()), "set interests")
	friendship := func(name string) gamedata.Change {
		return gamedata.Change{Kind: gamedata.ChangeFriendship, Player: gamedata.NameKey(name)}
	}
	want := []gamedata.Change{
		playerChange(p[0]), playerChange(p[1]),
		friendship(p[0]), friendship(p[1]), friendship(p[1]), friendship(p[0]),
		{Kind: gamedata.ChangeInterests, Player: gamedata.NameKey(p[0])},
	}
	e.drainUnordered(c, of(p...), want)
}

// drainUnordered reads the feed until it has seen every change of want
// (in any order: the records of one write share its time).
func (e *socialEnv) drainUnordered(consumer string, mine func(gamedata.Change) bool, want []gamedata.Change) {
	e.Helper()
	var got []gamedata.Change
	deadline := time.Now().Add(feedWait)
	for time.Now().Before(deadline) {
		b := e.read(consumer, catchUpBatch)
		got = append(got, e.filter(b.Changes, mine)...)
		e.commit(consumer, b.Cursor)
		if len(got) >= len(want) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	left := slices.Clone(want)
	for _, g := range got {
		if i := slices.IndexFunc(left, func(w gamedata.Change) bool { return matches(g, w) }); i >= 0 {
			left = slices.Delete(left, i, i+1)
		}
	}
	if len(left) > 0 {
		e.Errorf("the feed lacks %d records: %s; it gave %s", len(left), fmt.Sprint(left), fmt.Sprint(got))
	}
}
