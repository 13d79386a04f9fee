// Package storetest is the conformance suite of gamedata.Store: one set of
// tests, with one set of expectations, run by every backend (Temporal's
// persistence tests are the model). A backend's _test.go calls Run with a
// function that opens its store, and its benchmark calls Bench.
//
// Backends may share state across subtests (Cassandra reuses one keyspace),
// so every test isolates itself with random names and keys, never assumes an
// empty store, and takes every time it writes from the injected clock, one
// distinct and increasing time per item so the order of every list is
// defined. Times are whole milliseconds: Cassandra's timestamp keeps no more.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
)

// Opener opens the store under test with clock as its clock (every expiry
// check reads it). It fails t if it cannot, and closes the store in
// t.Cleanup.
type Opener func(t *testing.T, clock gamedata.Clock) gamedata.Store

type testCase struct {
	name string
	run  func(e *env)
}

// areas lists every test, by area; a backend can run one area with
// -run 'TestConformance/Orders'.
var areas = []struct {
	name  string
	tests []testCase
}{
	{"Players", playerTests},
	{"Sessions", sessionTests},
	{"APIKeys", apiKeyTests},
	{"Orders", orderTests},
	{"Messages", messageTests},
	{"Events", eventTests},
	{"Meta", metaTests},
	{"Idempotency", idempotencyTests},
	{"Paging", pagingTests},
	{"Ping", []testCase{{"Works", testPing}}},
}

// Run runs the whole suite against the stores open returns, one store and
// one clock per subtest.
func Run(t *testing.T, open Opener) {
	for _, area := range areas {
		t.Run(area.name, func(t *testing.T) {
			for _, tc := range area.tests {
				t.Run(tc.name, func(t *testing.T) {
					clock := NewClock(time.Now().Truncate(time.Millisecond))
					tc.run(&env{T: t, ctx: t.Context(), s: open(t, clock), clock: clock})
				})
			}
		})
	}
}

// env is what every test works with.
type env struct {
	*testing.T
	ctx   context.Context
	s     gamedata.Store
	clock *Clock
}

// tick advances the clock by a millisecond and returns the new time: each
// item a test writes gets its own time.
func (e *env) tick() time.Time { return e.clock.Advance(time.Millisecond) }

// name returns a fresh player name, valid under gamedata.ValidateName, that
// starts with prefix (which should hold upper-case letters, so that the
// lower- and upper-case forms differ from the display form).
func (e *env) name(prefix string) string { return prefix + "_" + randomHex(6) }

// must fails the test at once if err is not nil.
func (e *env) must(err error, what string) {
	e.Helper()
	if err != nil {
		e.Fatalf("%s: %v", what, err)
	}
}

// wantErr fails the test unless err matches target under errors.Is.
func (e *env) wantErr(err, target error, what string) {
	e.Helper()
	if !errors.Is(err, target) {
		e.Errorf("%s: got error %v, want %v", what, err, target)
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return hex.EncodeToString(b)
}

// concurrently calls fn(0) ... fn(n-1) from n goroutines released at once,
// to make them race, and returns their errors by index.
func concurrently(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	done := make(chan struct{})
	for i := range n {
		go func() {
			defer func() { done <- struct{}{} }()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	for range n {
		<-done
	}
	return errs
}

// check fails the test if err is not nil or got is not want.
func check[T any](e *env, what string, got T, err error, want T, equal func(a, b T) bool) {
	e.Helper()
	e.must(err, what)
	if !equal(got, want) {
		e.Errorf("%s\n got: %+v\nwant: %+v", what, got, want)
	}
}

// countOutcomes counts nil errors and errors matching target; anything else
// fails the test.
func (e *env) countOutcomes(errs []error, target error) (ok, matched int) {
	e.Helper()
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, target):
			matched++
		default:
			e.Errorf("call %d: unexpected error %v", i, err)
		}
	}
	return ok, matched
}

func testPing(e *env) {
	e.must(e.s.Ping(e.ctx), "ping")
}
