package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gamedata-dev/gamedata"
)

// IdempotencyHeader is the Idempotency-Key header of the POSTs that create
// or pay. The contract is in docs/api.md ("Retries"): a retry with the same
// key, by the same caller, within gamedata.IdempotencyTTL, answers what the
// first call answered, and never writes a second copy.
type IdempotencyHeader struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"64" doc:"makes a retry safe: the same key, by the same caller, within a day, answers what the first call answered (status and body) and never writes twice"`
}

// answer is the output of an operation whose answer a retry may replay:
// its status and its body.
type answer[B any] struct {
	Status int
	Body   B
}

// attempt tells a request's first run from its repeat, after an earlier
// call with its key got no answer (its outcome was unknown, or it failed).
// A repeat counts the write it finds done as its own: the earlier call
// made it.
type attempt int

const (
	firstRun attempt = iota
	repeatRun
)

// idempotent is one operation that a key makes safe to retry.
type idempotent[P, B any] struct {
	// op names the operation (its OperationID): keys of one caller are
	// apart per operation.
	op string
	// same is the request as the key's fingerprint covers it: a retry must
	// send the same.
	same any
	// prepare checks the request and resolves it: the ids and times its
	// write will carry. It runs on every call; a repeat uses the first
	// call's.
	prepare func() (P, error)
	// run makes the write of p and answers. Run again with the same p, it
	// writes nothing new and answers the same.
	run func(p P, a attempt) (*answer[B], error)
}

// do runs o for the request, once per Idempotency-Key: a call with a key
// claims it in the store (pending), and stores its answer, a success or a
// refusal (4xx). A retry replays a stored answer; for a pending key (the
// first call failed, or its outcome is unknown) it repeats the first call's
// write, which answers what that write did. An outage or unknown outcome
// leaves the key pending.
func (o idempotent[P, B]) do(ctx context.Context, s *Server, key string) (*answer[B], error) {
	p, err := o.prepare()
	if err != nil {
		return nil, err
	}
	if key == "" {
		return o.run(p, firstRun)
	}
	request, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("encode the request of %s: %w", o.op, err)
	}
	rec := gamedata.IdempotencyRecord{
		Key: s.scopedKey(ctx, o.op, key), Fingerprint: fingerprint(o.op, o.same), Request: request,
		ExpiresAt: s.clock.Now().Add(gamedata.IdempotencyTTL),
	}
	existing, claimed, err := s.store.ClaimIdempotency(ctx, rec)
	if err != nil {
		return nil, err
	}
	run := firstRun
	if !claimed {
		switch {
		case existing.Fingerprint != rec.Fingerprint:
			return nil, newProblem(http.StatusUnprocessableEntity,
				"this Idempotency-Key was used with another request; use a new key for a new request").withType(problemKeyReused)
		case existing.Status != 0:
			return replay[B](existing)
		}
		if err := json.Unmarshal(existing.Request, &p); err != nil {
			return nil, fmt.Errorf("decode the pending request of %s: %w", o.op, err)
		}
		rec, run = existing, repeatRun
	}
	out, err := o.run(p, run)
	if err != nil {
		pr := s.problemOf(ctx, err)
		if pr.Status >= http.StatusInternalServerError || pr.Status == statusClientClosed {
			return nil, pr // no answer yet: the key stays pending
		}
		rec.Status, rec.Response, err = pr.Status, mustJSON(pr), pr
	} else {
		rec.Status, rec.Response = out.Status, mustJSON(out.Body)
	}
	if cerr := s.store.CompleteIdempotency(ctx, rec); cerr != nil {
		// The answer stands; a retry finds the key pending and repeats the
		// write, which answers the same.
		s.log.LogAttrs(ctx, slog.LevelWarn, "store the answer of an idempotency key", slog.String("op", o.op),
			slog.String("err", cerr.Error()), requestIDAttr(ctx))
	}
	return out, err
}

// replay answers what the request of rec answered.
func replay[B any](rec gamedata.IdempotencyRecord) (*answer[B], error) {
	if rec.Status >= http.StatusBadRequest {
		var pr problem
		if err := json.Unmarshal(rec.Response, &pr); err != nil {
			return nil, fmt.Errorf("decode a stored answer: %w", err)
		}
		return nil, &pr
	}
	out := &answer[B]{Status: rec.Status}
	if err := json.Unmarshal(rec.Response, &out.Body); err != nil {
		return nil, fmt.Errorf("decode a stored answer: %w", err)
	}
	return out, nil
}

// scopedKey is the store's key of an Idempotency-Key: apart for each
// caller (a server key, a player, or anyone for the open endpoints) and
// each operation, and hashed, so that its length and characters are
// bounded.
func (s *Server) scopedKey(ctx context.Context, op, key string) string {
	p := principalOf(ctx)
	caller := "anyone"
	switch {
	case p.server:
		caller = "server:" + p.key
	case p.player != "":
		caller = "player:" + p.player
	}
	h := sha256.Sum256([]byte(caller + "\x00" + op + "\x00" + key))
	return hex.EncodeToString(h[:])
}

// fingerprint tells one request of op from another.
func fingerprint(op string, same any) string {
	h := sha256.Sum256(append([]byte(op+"\x00"), mustJSON(same)...))
	return hex.EncodeToString(h[:])
}

// mustJSON encodes v, a value of this package's types, which always encode.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("api: encode " + fmt.Sprintf("%T", v) + ": " + err.Error())
	}
	return b
}
