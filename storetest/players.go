package storetest

import (
	"strings"
	"unicode"

	"github.com/gamedata-dev/gamedata"
)

var playerTests = []testCase{
	{"CreateGet", testPlayerCreateGet},
	{"NameTakenIgnoringCase", testPlayerNameTakenIgnoringCase},
	{"ConcurrentCreateOneName", testPlayerConcurrentCreate},
	{"UpdateChangesOnlyGivenFields", testPlayerUpdate},
	{"Unknown", testPlayerUnknown},
}

// A hash in the form package password writes; the store keeps it opaque.
const testHash = "$argon2id$v=19$m=65536,t=1,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"

func (e *env) newPlayer(name string) gamedata.Player {
	now := e.tick()
	age := 30
	return gamedata.Player{
		ID: gamedata.NewID(now), Name: name,
		Email: strings.ToLower(name) + "@example.com", Phone: "+1 (555) 0100", Age: &age,
		CreatedAt: now, UpdatedAt: now, PasswordHash: testHash,
	}
}

func equalPlayer(a, b gamedata.Player) bool {
	sameAge := (a.Age == nil && b.Age == nil) || (a.Age != nil && b.Age != nil && *a.Age == *b.Age)
	return a.ID == b.ID && a.Name == b.Name && a.Email == b.Email && a.Phone == b.Phone && sameAge &&
		a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt) && a.PasswordHash == b.PasswordHash
}

// checkPlayer gets the player by name and compares it with want.
func (e *env) checkPlayer(name string, want gamedata.Player) {
	e.Helper()
	got, err := e.s.GetPlayer(e.ctx, name)
	check(e, "get player "+name, got, err, want, equalPlayer)
}

func testPlayerCreateGet(e *env) {
	p := e.newPlayer(e.name("Alice"))
	e.must(e.s.CreatePlayer(e.ctx, p), "create")
	for _, asked := range []string{p.Name, strings.ToLower(p.Name), strings.ToUpper(p.Name)} {
		e.checkPlayer(asked, p) // the display form comes back, whatever the case asked
	}

	// Optional fields left out stay out: no age is not age 0.
	bare := gamedata.Player{ID: gamedata.NewID(e.tick()), Name: e.name("Bare"), PasswordHash: testHash}
	bare.CreatedAt, bare.UpdatedAt = e.clock.Now(), e.clock.Now()
	e.must(e.s.CreatePlayer(e.ctx, bare), "create bare")
	e.checkPlayer(bare.Name, bare)

	// Letters beyond ASCII: the display form round-trips.
	intl := e.newPlayer("玩家" + e.name("Zoë"))
	e.must(e.s.CreatePlayer(e.ctx, intl), "create international")
	e.checkPlayer(intl.Name, intl)
}

func testPlayerNameTakenIgnoringCase(e *env) {
	suffix := randomHex(5)
	for _, pair := range [][2]string{
		{"Bob_" + suffix, "bOB_" + strings.ToUpper(suffix)},
		{"Émile_" + suffix, "éMILE_" + suffix},
		// Case folding, not lower-casing: ß folds to ss.
		{"Straße_" + suffix, "STRASSE_" + suffix},
	} {
		first := e.newPlayer(pair[0])
		e.must(e.s.CreatePlayer(e.ctx, first), "create "+pair[0])
		second := e.newPlayer(pair[1])
		e.wantErr(e.s.CreatePlayer(e.ctx, second), gamedata.ErrConflict, "create "+pair[1]+" after "+pair[0])
		e.checkPlayer(pair[1], first)
	}
}

// mixCase returns name with the case of its letters chosen by the bits of i.
func mixCase(name string, i int) string {
	var b strings.Builder
	for j, r := range []rune(name) {
		if (i>>(j%6))&1 == 1 {
			r = unicode.ToUpper(r)
		} else {
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

func testPlayerConcurrentCreate(e *env) {
	const n = 50
	base := e.name("Race")
	players := make([]gamedata.Player, n)
	for i := range players {
		players[i] = e.newPlayer(mixCase(base, i))
	}
	errs := concurrently(n, func(i int) error { return e.s.CreatePlayer(e.ctx, players[i]) })
	ok, conflicts := e.countOutcomes(errs, gamedata.ErrConflict)
	if ok != 1 || conflicts != n-1 {
		e.Fatalf("%d concurrent creates of one name: %d succeeded, %d conflicted; want 1 and %d", n, ok, conflicts, n-1)
	}
	for i, err := range errs {
		if err == nil {
			e.checkPlayer(base, players[i])
		}
	}
}

func testPlayerUpdate(e *env) {
	p := e.newPlayer(e.name("Carol"))
	p.Phone = "+44 20 7946 0000"
	e.must(e.s.CreatePlayer(e.ctx, p), "create")

	// Each step changes some fields; the expected player follows along.
	email, age, hash, noPhone := "new-"+p.Email, 31, "$argon2id$v=19$m=65536,t=1,p=4$bmV3c2FsdA$bmV3aGFzaA", ""
	steps := []struct {
		what  string
		u     gamedata.PlayerUpdate
		apply func(*gamedata.Player)
	}{
		{"email only", gamedata.PlayerUpdate{Email: &email}, func(p *gamedata.Player) { p.Email = email }},
		{"age and password", gamedata.PlayerUpdate{Age: &age, PasswordHash: &hash},
			func(p *gamedata.Player) { p.Age, p.PasswordHash = &age, hash }},
		{"clear phone", gamedata.PlayerUpdate{Phone: &noPhone}, func(p *gamedata.Player) { p.Phone = "" }},
	}
	for i, step := range steps {
		step.u.UpdatedAt = e.tick()
		step.apply(&p)
		p.UpdatedAt = step.u.UpdatedAt
		got, err := e.s.UpdatePlayer(e.ctx, mixCase(p.Name, i), step.u)
		check(e, "update "+step.what, got, err, p, equalPlayer)
		e.checkPlayer(p.Name, p)
	}
}

func testPlayerUnknown(e *env) {
	name := e.name("Nobody")
	_, err := e.s.GetPlayer(e.ctx, name)
	e.wantErr(err, gamedata.ErrNotFound, "get unknown player")
	email := "x@example.com"
	_, err = e.s.UpdatePlayer(e.ctx, name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: e.tick()})
	e.wantErr(err, gamedata.ErrNotFound, "update unknown player")
	// The update must not have created the player.
	_, err = e.s.GetPlayer(e.ctx, name)
	e.wantErr(err, gamedata.ErrNotFound, "get after update of unknown player")
}
