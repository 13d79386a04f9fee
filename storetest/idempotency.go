package storetest

import (
	"bytes"
	"fmt"
	"time"

	"github.com/gamedata-dev/gamedata"
)

var idempotencyTests = []testCase{
	{"ClaimThenAnswer", testIdempotencyClaim},
	{"ConcurrentClaimsOneWins", testIdempotencyConcurrent},
	{"ExpiresAfterItsTTL", testIdempotencyExpiry},
}

func (e *env) idempotencyRecord(key, fingerprint string) gamedata.IdempotencyRecord {
	return gamedata.IdempotencyRecord{
		Key: key, Fingerprint: fingerprint, Request: []byte(`{"request":"` + fingerprint + `"}`),
		ExpiresAt: e.clock.Now().Add(gamedata.IdempotencyTTL),
	}
}

func (e *env) claim(r gamedata.IdempotencyRecord) (gamedata.IdempotencyRecord, bool) {
	e.Helper()
	existing, claimed, err := e.s.ClaimIdempotency(e.ctx, r)
	e.must(err, "claim idempotency key "+r.Key)
	return existing, claimed
}

// checkRecord fails unless got is want, times to the millisecond.
func (e *env) checkRecord(what string, got, want gamedata.IdempotencyRecord) {
	e.Helper()
	if got.Key != want.Key || got.Fingerprint != want.Fingerprint || !bytes.Equal(got.Request, want.Request) ||
		got.Status != want.Status || !bytes.Equal(got.Response, want.Response) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		e.Errorf("%s\n got: %+v\nwant: %+v", what, got, want)
	}
}

func testIdempotencyClaim(e *env) {
	key := "storetest-" + randomHex(8)
	first := e.idempotencyRecord(key, "first")
	if _, claimed := e.claim(first); !claimed {
		e.Fatal("a new key was not claimed")
	}
	existing, claimed := e.claim(e.idempotencyRecord(key, "second"))
	if claimed {
		e.Fatal("a key claimed already was claimed again")
	}
	e.checkRecord("the pending record", existing, first)

	answered := first
	answered.Status, answered.Response = 201, []byte(`{"id":"x"}`)
	e.must(e.s.CompleteIdempotency(e.ctx, answered), "complete idempotency key")
	existing, claimed = e.claim(e.idempotencyRecord(key, "third"))
	if claimed {
		e.Fatal("an answered key was claimed again")
	}
	e.checkRecord("the answered record", existing, answered)

	if _, claimed := e.claim(e.idempotencyRecord(key+"-other", "other")); !claimed {
		e.Error("another key was not claimed")
	}
}

func testIdempotencyConcurrent(e *env) {
	key := "storetest-" + randomHex(8)
	const n = 12
	claims := make([]bool, n)
	records := make([]gamedata.IdempotencyRecord, n)
	errs := concurrently(n, func(i int) error {
		var err error
		records[i], claims[i], err = e.s.ClaimIdempotency(e.ctx, e.idempotencyRecord(key, fmt.Sprint(i)))
		return err
	})
	winner := -1
	for i, err := range errs {
		e.must(err, "concurrent claim")
		if claims[i] {
			if winner >= 0 {
				e.Fatalf("claims %d and %d both won", winner, i)
			}
			winner = i
		}
	}
	if winner < 0 {
		e.Fatal("no concurrent claim won")
	}
	for i, r := range records {
		if i != winner && r.Fingerprint != fmt.Sprint(winner) {
			e.Errorf("claim %d saw the record of %q, want the winner's, %d", i, r.Fingerprint, winner)
		}
	}
}

func testIdempotencyExpiry(e *env) {
	key := "storetest-" + randomHex(8)
	first := e.idempotencyRecord(key, "first")
	e.claim(first)
	e.clock.Set(first.ExpiresAt.Add(-time.Millisecond))
	if _, claimed := e.claim(e.idempotencyRecord(key, "early")); claimed {
		e.Error("a record was claimed over before it expired")
	}
	e.clock.Set(first.ExpiresAt)
	late := e.idempotencyRecord(key, "late")
	if _, claimed := e.claim(late); !claimed {
		e.Fatal("an expired record was not claimed over")
	}
	existing, _ := e.claim(e.idempotencyRecord(key, "after"))
	e.checkRecord("the record claimed over", existing, late)
}
