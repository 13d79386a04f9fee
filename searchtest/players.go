package searchtest

import (
	"strings"

	"github.com/gamedata-dev/gamedata"
)

var playerTests = []testCase{
	{"ByEmail", testPlayersByEmail},
	{"ByNonASCIIEmail", testPlayersByNonASCIIEmail},
	{"ByPhone", testPlayersByPhone},
	{"ByNamePrefix", testPlayersByNamePrefix},
	{"ByAgeRange", testPlayersByAge},
	{"Combined", testPlayersCombined},
	{"Paging", testPlayersPaging},
	{"UpdatedEmail", testPlayersUpdatedEmail},
}

// A hash in the form package password writes: search must never hand it out.
const testHash = "$argon2id$v=19$m=65536,t=1,p=4$c29tZXNhbHQ$aGFzaGhhc2hoYXNo"

// player creates a player with the given profile.
func (e *env) player(name, email, phone string, years *int) gamedata.Player {
	e.Helper()
	now := e.tick()
	p := gamedata.Player{ID: gamedata.NewID(now), Name: name, Email: email, Phone: phone, Age: years,
		CreatedAt: now, UpdatedAt: now, PasswordHash: testHash}
	e.must(e.b.Store.CreatePlayer(e.ctx, p), "create player "+p.Name)
	return p
}

// equalPlayer compares a found player with the stored one: all of it but
// the password hash, which a search result must not carry.
func equalPlayer(got, want gamedata.Player) bool {
	sameAge := (got.Age == nil && want.Age == nil) || (got.Age != nil && want.Age != nil && *got.Age == *want.Age)
	return got.ID == want.ID && got.Name == want.Name && got.Email == want.Email && got.Phone == want.Phone &&
		sameAge && got.CreatedAt.Equal(want.CreatedAt) && got.UpdatedAt.Equal(want.UpdatedAt) && got.PasswordHash == ""
}

func showPlayer(p gamedata.Player) string { return p.Name }

// checkPlayers searches with q, walking every page, and compares the result
// with want (newest first).
func (e *env) checkPlayers(what string, q gamedata.PlayerQuery, want ...gamedata.Player) {
	e.Helper()
	checkList(e, what, collect(e, what, e.b.Searcher.SearchPlayers, q), want, equalPlayer, showPlayer)
}

func testPlayersByEmail(e *env) {
	ann := e.player(e.name("Ann"), e.email("ann"), randomPhone(), nil)
	bob := e.player(e.name("Bob"), "Bob.Builder@"+strings.ToUpper(e.tag)+".Example", randomPhone(), age(40))
	e.player(e.name("Cat"), "", randomPhone(), nil)
	e.sync()

	type Q = gamedata.PlayerQuery
	e.checkPlayers("ann's email", Q{Email: ann.Email}, ann)
	e.checkPlayers("ann's email in upper case", Q{Email: strings.ToUpper(ann.Email)}, ann)
	e.checkPlayers("bob's email in lower case", Q{Email: strings.ToLower(bob.Email)}, bob)
	e.checkPlayers("an email nobody has", Q{Email: e.email("nobody")}, nil...)
	e.checkPlayers("a part of ann's email", Q{Email: strings.TrimSuffix(ann.Email, "e")}, nil...)
	e.checkPlayers("a part of ann's email, its end", Q{Email: strings.TrimPrefix(ann.Email, "a")}, nil...)
}

// Case is ignored in all of Unicode, as OpenSearch's lowercase normalizer
// does, not in ASCII only; accents are not.
func testPlayersByNonASCIIEmail(e *env) {
	elodie := e.player(e.name("Elodie"), "ÉLODIE.ŒUVRE@"+strings.ToUpper(e.tag)+".EXEMPLE", randomPhone(), nil)
	e.player(e.name("Elodie2"), "elodie.oeuvre@"+e.tag+".exemple", randomPhone(), nil)
	e.sync()

	type Q = gamedata.PlayerQuery
	e.checkPlayers("élodie's email in lower case", Q{Email: "élodie.œuvre@" + e.tag + ".exemple"}, elodie)
	e.checkPlayers("élodie's email in mixed case", Q{Email: "Élodie.Œuvre@" + e.tag + ".Exemple"}, elodie)
	e.checkPlayers("élodie's email as stored", Q{Email: elodie.Email}, elodie)
	e.checkPlayers("élodie's email without accents", Q{Email: "ELODIE.ŒUVRE@" + e.tag + ".exemple"}, nil...)
}

func testPlayersByPhone(e *env) {
	ann := e.player(e.name("Ann"), "", randomPhone(), nil)
	bob := e.player(e.name("Bob"), "", ann.Phone+"9", nil) // ann's number is a prefix of bob's
	e.player(e.name("Cat"), "", "", age(30))
	e.sync()

	type Q = gamedata.PlayerQuery
	e.checkPlayers("ann's phone", Q{Phone: ann.Phone}, ann)
	e.checkPlayers("bob's phone", Q{Phone: bob.Phone}, bob)
	e.checkPlayers("a phone nobody has", Q{Phone: randomPhone()}, nil...)
}

func testPlayersByNamePrefix(e *env) {
	alpha := e.player(e.name("Alpha"), "", "", nil)
	alps := e.player(e.name("Alps"), "", "", nil)
	beta := e.player(e.name("Beta"), "", "", nil)
	umlaut := e.player(e.name("Ünïcødé"), "", "", nil)
	e.player("X"+e.name("Alpha"), "", "", nil) // the test's prefix inside a name: no match
	e.sync()

	type Q = gamedata.PlayerQuery
	e.checkPlayers("the test's prefix", Q{NamePrefix: e.prefix()}, umlaut, beta, alps, alpha)
	e.checkPlayers("'al', ignoring case", Q{NamePrefix: strings.ToUpper(e.name("al"))}, alps, alpha)
	e.checkPlayers("a whole name", Q{NamePrefix: strings.ToLower(beta.Name)}, beta)
	e.checkPlayers("beyond a whole name", Q{NamePrefix: alpha.Name + "bet"}, nil...)
	e.checkPlayers("unicode, ignoring case", Q{NamePrefix: e.name("üNÏ")}, umlaut)
}

func testPlayersByAge(e *env) {
	teen := e.player(e.name("Teen"), "", "", age(17))
	adult := e.player(e.name("Adult"), "", "", age(18))
	mid := e.player(e.name("Mid"), "", "", age(30))
	senior := e.player(e.name("Senior"), "", "", age(65))
	e.player(e.name("Ageless"), "", "", nil) // matches no age criterion
	e.sync()

	q := func(lo, hi *int) gamedata.PlayerQuery {
		return gamedata.PlayerQuery{NamePrefix: e.prefix(), AgeMin: lo, AgeMax: hi}
	}
	e.checkPlayers("18 to 30", q(age(18), age(30)), mid, adult)
	e.checkPlayers("from 30", q(age(30), nil), senior, mid)
	e.checkPlayers("up to 17", q(nil, age(17)), teen)
	e.checkPlayers("exactly 18", q(age(18), age(18)), adult)
	e.checkPlayers("from 0", q(age(0), nil), senior, mid, adult, teen)
	e.checkPlayers("from 66", q(age(66), nil), nil...)
	e.checkPlayers("from 31 to 29", q(age(31), age(29)), nil...)
}

func testPlayersCombined(e *env) {
	shared := randomPhone()
	ann := e.player(e.name("Ann"), e.email("ann"), shared, age(25))
	bob := e.player(e.name("Bob"), e.email("bob"), randomPhone(), age(40))
	cat := e.player(e.name("Cat"), e.email("cat"), shared, age(25))
	e.sync()

	type Q = gamedata.PlayerQuery
	e.checkPlayers("a shared phone", Q{Phone: shared}, cat, ann)
	e.checkPlayers("phone and age", Q{Phone: shared, AgeMin: age(20), AgeMax: age(30)}, cat, ann)
	e.checkPlayers("phone and another age", Q{Phone: shared, AgeMin: age(26)}, nil...)
	e.checkPlayers("phone and email", Q{Phone: shared, Email: cat.Email}, cat)
	e.checkPlayers("email and its name", Q{Email: ann.Email, NamePrefix: e.name("a")}, ann)
	e.checkPlayers("email and another name", Q{Email: ann.Email, NamePrefix: e.name("b")}, nil...)
	e.checkPlayers("email and another's phone", Q{Email: bob.Email, Phone: shared}, nil...)
	e.checkPlayers("name prefix and age", Q{NamePrefix: e.prefix(), AgeMin: age(30)}, bob)
	e.checkPlayers("name prefix, phone and age", Q{NamePrefix: e.prefix(), Phone: shared, AgeMax: age(25)}, cat, ann)
	e.checkPlayers("everything", Q{Email: strings.ToUpper(ann.Email), Phone: shared, NamePrefix: e.name("AN"),
		AgeMin: age(25), AgeMax: age(25)}, ann)
}

func testPlayersPaging(e *env) {
	const n = 3*pageLimit + 1 // four pages, the last one short
	want := make([]gamedata.Player, n)
	for i := range want {
		want[n-1-i] = e.player(e.name(string(rune('A'+i))+"_page"), e.email(string(rune('a'+i))), randomPhone(), age(20+i))
	}
	e.sync()
	e.checkPlayers("every player of the test", gamedata.PlayerQuery{NamePrefix: e.prefix()}, want...)
	e.checkPlayers("from age 22", gamedata.PlayerQuery{NamePrefix: e.prefix(), AgeMin: age(22)}, want[:n-2]...)

	for _, token := range []string{"not a token!", "%%%", "é"} {
		_, err := e.b.Searcher.SearchPlayers(e.ctx, gamedata.PlayerQuery{NamePrefix: e.prefix()},
			gamedata.PageRequest{Limit: pageLimit, Token: token})
		e.wantInvalid(err, "search players with page token "+token)
	}
}

// testPlayersUpdatedEmail: after an update is searchable, the player is
// found by the new email, and no longer by the old one.
func testPlayersUpdatedEmail(e *env) {
	p := e.player(e.name("Mover"), e.email("old"), randomPhone(), age(33))
	e.sync()
	e.checkPlayers("the old email before the update", gamedata.PlayerQuery{Email: p.Email}, p)

	old, email := p.Email, e.email("new")
	updated, err := e.b.Store.UpdatePlayer(e.ctx, p.Name, gamedata.PlayerUpdate{Email: &email, UpdatedAt: e.tick()})
	e.must(err, "update email")
	e.sync()
	e.checkPlayers("the new email", gamedata.PlayerQuery{Email: email}, updated)
	e.checkPlayers("the old email", gamedata.PlayerQuery{Email: old}, nil...)
}
