package storetest

import (
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata"
)

var sessionTests = []testCase{
	{"CreateGetDelete", testSessionLifecycle},
	{"ExpiredIsGone", testSessionExpiry},
}

func (e *env) newSession(player string, ttl time.Duration) gamedata.Session {
	now := e.tick()
	return gamedata.Session{
		TokenHash: gamedata.HashSecret(gamedata.NewSecret(gamedata.SessionPrefix)),
		PlayerID:  gamedata.NewID(now), PlayerName: player,
		CreatedAt: now, ExpiresAt: now.Add(ttl),
	}
}

func equalSession(a, b gamedata.Session) bool {
	return a.TokenHash == b.TokenHash && a.PlayerID == b.PlayerID && a.PlayerName == b.PlayerName &&
		a.CreatedAt.Equal(b.CreatedAt) && a.ExpiresAt.Equal(b.ExpiresAt)
}

func (e *env) checkSession(want gamedata.Session) {
	e.Helper()
	got, err := e.s.GetSession(e.ctx, want.TokenHash)
	check(e, "get session", got, err, want, equalSession)
}

func testSessionLifecycle(e *env) {
	name := e.name("Dave")
	kept, ended := e.newSession(name, time.Hour), e.newSession(strings.ToLower(name), time.Hour)
	e.must(e.s.CreateSession(e.ctx, kept), "create session")
	e.must(e.s.CreateSession(e.ctx, ended), "create second session")
	e.checkSession(kept)
	e.checkSession(ended)

	e.must(e.s.DeleteSession(e.ctx, ended.TokenHash), "delete session")
	_, err := e.s.GetSession(e.ctx, ended.TokenHash)
	e.wantErr(err, gamedata.ErrNotFound, "get deleted session")
	e.checkSession(kept) // logging out one device leaves the others logged in

	_, err = e.s.GetSession(e.ctx, gamedata.HashSecret(gamedata.NewSecret(gamedata.SessionPrefix)))
	e.wantErr(err, gamedata.ErrNotFound, "get unknown session")
}

func testSessionExpiry(e *env) {
	s := e.newSession(e.name("Erin"), 10*time.Minute)
	e.must(e.s.CreateSession(e.ctx, s), "create session")
	e.clock.Set(s.ExpiresAt.Add(-time.Second))
	e.checkSession(s)
	e.clock.Set(s.ExpiresAt.Add(time.Second))
	_, err := e.s.GetSession(e.ctx, s.TokenHash)
	e.wantErr(err, gamedata.ErrNotFound, "get expired session")
}
