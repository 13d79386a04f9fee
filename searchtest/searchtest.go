// Package searchtest is the conformance suite of gamedata.Searcher: one set
// of tests, with one set of expectations, run by every search backend (SQL
// over SQLite, OpenSearch fed from a store's change feed), so that both give
// the same answers.
//
// Backends may share state across subtests and runs (one OpenSearch
// cluster), so every test writes players, emails, phones and items of its
// own (a random tag is in each) and scopes every query to them: by user,
// item, email, phone or name prefix. Revenue, which takes no such filter,
// works in a random period far from now and compares against what was
// there before it wrote.
package searchtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/storetest"
)

// Backend is what the suite tests: writes go to Store, queries to Searcher.
type Backend struct {
	Store    gamedata.Store
	Searcher gamedata.Searcher
	// Sync blocks until every write made so far through Store is searchable
	// (SQLite: nothing to do; OpenSearch: drain the feed through the indexer
	// and refresh). Nil means nothing to do.
	Sync func(t *testing.T)
}

type testCase struct {
	name string
	run  func(e *env)
}

// areas lists every test, by area; a backend can run one area with
// -run 'TestSearch/Orders'.
var areas = []struct {
	name  string
	tests []testCase
}{
	{"Players", playerTests},
	{"Orders", orderTests},
	{"Revenue", revenueTests},
}

// Run runs the whole suite against the backends open returns, one backend
// and one clock per subtest; open fails t if it cannot, and closes what it
// opened in t.Cleanup. The clock is the store's: every time it writes
// comes from it.
func Run(t *testing.T, open func(t *testing.T, clock gamedata.Clock) Backend) {
	for _, area := range areas {
		t.Run(area.name, func(t *testing.T) {
			for _, tc := range area.tests {
				t.Run(tc.name, func(t *testing.T) {
					clock := storetest.NewClock(time.Now().Truncate(time.Millisecond))
					tc.run(&env{T: t, ctx: t.Context(), b: open(t, clock), clock: clock, tag: randomHex(4)})
				})
			}
		})
	}
}

// env is what every test works with.
type env struct {
	*testing.T
	ctx   context.Context
	b     Backend
	clock *storetest.Clock
	tag   string // 8 random hex digits, in every name, email, phone and item of the test
}

// pageLimit is small so that every query walks pages.
const pageLimit = 2

// tick advances the clock by a millisecond and returns the new time: each
// item a test writes gets its own time, in whole milliseconds (what
// OpenSearch and Cassandra keep).
func (e *env) tick() time.Time { return e.clock.Advance(time.Millisecond) }

// prefix starts every player name of the test.
func (e *env) prefix() string { return "P" + e.tag }

// name returns the player name of label in this test.
func (e *env) name(label string) string { return e.prefix() + "_" + label }

// email returns an address of this test's own domain.
func (e *env) email(label string) string { return strings.ToLower(label) + "@" + e.tag + ".example" }

// item returns an item name of this test.
func (e *env) item(label string) string { return "item " + e.tag + " " + label }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// randomPhone returns a phone number nobody else has.
func randomPhone() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e10)) // crypto/rand never fails on supported platforms
	return fmt.Sprintf("+1 555 %010d", n)
}

func age(n int) *int { return &n }

func money(m gamedata.Money) *gamedata.Money { return &m }

// must fails the test at once if err is not nil.
func (e *env) must(err error, what string) {
	e.Helper()
	if err != nil {
		e.Fatalf("%s: %v", what, err)
	}
}

// sync makes every write so far searchable.
func (e *env) sync() {
	e.Helper()
	if e.b.Sync != nil {
		e.b.Sync(e.T)
	}
}

// collect runs search with q, walking every page, and returns every item
// in the order served, checking what a caller relies on: no page is larger
// than asked, a page that promises more is not empty, and the walk ends.
func collect[Q, T any](e *env, what string, search func(context.Context, Q, gamedata.PageRequest) (gamedata.Page[T], error), q Q) []T {
	e.Helper()
	var all []T
	req := gamedata.PageRequest{Limit: pageLimit}
	for pages := 1; ; pages++ {
		if pages > 1000 {
			e.Fatalf("%s: more than 1000 pages", what)
		}
		page, err := search(e.ctx, q, req)
		e.must(err, fmt.Sprintf("%s: page %d", what, pages))
		if len(page.Items) > pageLimit {
			e.Fatalf("%s: page %d holds %d items, limit %d", what, pages, len(page.Items), pageLimit)
		}
		all = append(all, page.Items...)
		if page.NextToken == "" {
			return all
		}
		if len(page.Items) == 0 {
			e.Fatalf("%s: page %d is empty but has a next page token", what, pages)
		}
		req.Token = page.NextToken
	}
}

// checkList compares a result with the expected one, item by item; show
// names an item in a message.
func checkList[T any](e *env, what string, got, want []T, equal func(a, b T) bool, show func(T) string) {
	e.Helper()
	names := func(items []T) []string {
		out := make([]string, len(items))
		for i, it := range items {
			out[i] = show(it)
		}
		return out
	}
	if len(got) != len(want) {
		e.Errorf("%s: got %d items, want %d\n got: %v\nwant: %v", what, len(got), len(want), names(got), names(want))
		return
	}
	for i := range got {
		if !equal(got[i], want[i]) {
			e.Errorf("%s: item %d\n got: %+v\nwant: %+v", what, i, got[i], want[i])
		}
	}
}

// wantInvalid fails the test unless err is ErrInvalid.
func (e *env) wantInvalid(err error, what string) {
	e.Helper()
	if !errors.Is(err, gamedata.ErrInvalid) {
		e.Errorf("%s: got error %v, want %v", what, err, gamedata.ErrInvalid)
	}
}
