// Package v1gen generates a v1 database with every quirk the studio's notes
// list (shared v1 README, docs/migration.md): zero and NULL dates, local
// times, names that collide under v2's rule but not under MySQL's collation
// and the reverse, names v2 refuses, 4-byte characters, orphans, soft
// deletes, one-sided friendships, bad JSON, long texts, prices of
// 99999999.99. It is deterministic: the same Config gives the same rows.
// Tests load a small one; the benchmark a large one.
package v1gen

import (
	"context"
	"crypto/md5"
	"database/sql"
	_ "embed"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

//go:embed schema.sql
var Schema string

// Config sizes and seeds a generated database.
type Config struct {
	Seed  uint64
	Users int
	// Rows of each table per user, on average.
	OrdersPerUser, MessagesPerUser, FriendsPerUser, InterestsPerUser, LogsPerUser float64
	// Now is the present of the history: rows span Years before it.
	Now   time.Time
	Years int
	// Zone is the v1 host's zone, in which its DATETIMEs are written.
	Zone *time.Location
}

// Small is the database of the tests.
func Small(now time.Time) Config {
	return Config{Seed: 1, Users: 120, OrdersPerUser: 3, MessagesPerUser: 5, FriendsPerUser: 3, InterestsPerUser: 2,
		LogsPerUser: 8, Now: now, Years: 3, Zone: Shanghai()}
}

// Shanghai is the v1 host's zone.
func Shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic("v1gen: no zone data for Asia/Shanghai: " + err.Error())
	}
	return loc
}

// Password is the v1 password of user id (its MD5 is what v1 stores).
func Password(id uint64) string { return fmt.Sprintf("v1-pass-%d-%s", id, "秘密🔑") }

// MD5 is the v1 form of a password.
func MD5(pw string) string {
	sum := md5.Sum([]byte(pw))
	return hex.EncodeToString(sum[:])
}

// Batch is a number of rows of one table, as SQL values (nil for NULL).
type Batch struct {
	Table   string
	Columns []string
	Rows    [][]any
}

// batchRows is how many rows one INSERT carries.
const batchRows = 500

// gen holds the state of one generation.
type gen struct {
	cfg   Config
	r     *rand.Rand
	start time.Time
	emit  func(Batch) error
	cur   *Batch
}

// Generate calls emit with the rows of every table, in batches, in table
// order. Users come with ids 1..Users; the other tables refer to them, to a
// few ids past them (orphans) and to soft-deleted users.
func Generate(cfg Config, emit func(Batch) error) error {
	if cfg.Zone == nil {
		cfg.Zone = Shanghai()
	}
	if cfg.Years <= 0 {
		cfg.Years = 3
	}
	g := &gen{cfg: cfg, r: rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)),
		start: cfg.Now.AddDate(-cfg.Years, 0, 0), emit: emit}
	for _, step := range []func() error{g.users, g.orders, g.messages, g.friends, g.interests, g.logs, g.config} {
		if err := step(); err != nil {
			return err
		}
		if err := g.flush(); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) row(table string, cols []string, vals ...any) error {
	if g.cur != nil && (g.cur.Table != table || len(g.cur.Rows) == batchRows) {
		if err := g.flush(); err != nil {
			return err
		}
	}
	if g.cur == nil {
		g.cur = &Batch{Table: table, Columns: cols}
	}
	g.cur.Rows = append(g.cur.Rows, vals)
	return nil
}

func (g *gen) flush() error {
	if g.cur == nil || len(g.cur.Rows) == 0 {
		return nil
	}
	b := *g.cur
	g.cur = nil
	return g.emit(b)
}

// at returns the local v1 DATETIME of fraction f (0..1) of the history.
func (g *gen) at(f float64) time.Time {
	span := g.cfg.Now.Sub(g.start)
	return g.start.Add(time.Duration(f * float64(span))).Truncate(time.Second)
}

func (g *gen) local(t time.Time) string { return t.In(g.cfg.Zone).Format(time.DateTime) }

// chance is true with probability p.
func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

// count is a count around mean.
func (g *gen) count(mean float64) int {
	if mean <= 0 {
		return 0
	}
	return g.r.IntN(int(2*mean) + 1)
}

// ZeroDate is what an old sql_mode let v1 write.
const ZeroDate = "0000-00-00 00:00:00"

// Name quirks, by user id modulo nameCycle: the rest are plain names.
const nameCycle = 20

func (g *gen) name(id uint64) string {
	n := id / nameCycle
	switch id % nameCycle {
	case 1: // equal to case 2's under v2's fold (ß is ss), not under MySQL's collation
		return fmt.Sprintf("Straße%d", n)
	case 2:
		return fmt.Sprintf("STRASSE%d", n)
	case 3: // MySQL holds it; case 4's accented twin is the same name to MySQL, so v1 refused it
		return fmt.Sprintf("jose%d", n)
	case 4:
		return fmt.Sprintf("José%d", n) // refused by v1's unique key: the user does not exist
	case 5:
		return fmt.Sprintf("john smith %d", n) // a space
	case 6:
		return fmt.Sprintf("x!@#%d", n) // symbols
	case 7:
		return fmt.Sprintf("a_very_long_player_name_from_v1_days_%d", n) // over 32 characters
	case 8:
		return fmt.Sprintf("🐉dragon%d", n) // a 4-byte character v2 refuses (not a letter)
	case 9:
		return fmt.Sprintf("𝒜lice%d", n) // 4-byte letters: a valid v2 name
	case 10:
		return "ab" // too short (one user: v1's key refuses the next ones)
	case 11: // equal to case 12's under v2 (the ligature ﬁ folds to fi)
		return fmt.Sprintf("ﬁsher%d", n)
	case 12:
		return fmt.Sprintf("FIsher%d", n)
	}
	return fmt.Sprintf("player_%d", id)
}

var userCols = []string{"id", "name", "password", "age", "email", "phone", "created_at", "updated_at", "deleted"}

func (g *gen) users() error {
	for i := 1; i <= g.cfg.Users; i++ {
		id := uint64(i)
		created := g.at(float64(i) / float64(g.cfg.Users+1) * 0.9)
		var updated any = g.local(created.Add(time.Duration(g.r.IntN(1000)) * time.Hour))
		switch {
		case g.chance(0.05):
			updated = nil
		case g.chance(0.05):
			updated = ZeroDate
		}
		var age, email, phone any
		if g.chance(0.8) {
			age = g.r.IntN(90) + 8
		}
		if g.chance(0.03) {
			age = 200 // over v2's limit
		}
		switch {
		case g.chance(0.7):
			email = fmt.Sprintf("user%d@example.com", id)
		case g.chance(0.3):
			email = "not an email" // never validated
		case g.chance(0.3):
			email = fmt.Sprintf("😀%d@例子.测试", id)
		}
		switch {
		case g.chance(0.5):
			phone = fmt.Sprintf("+86 138 %04d %04d", g.r.IntN(10000), id%10000)
		case g.chance(0.2):
			phone = "call me maybe"
		}
		deleted := 0
		if g.chance(0.04) {
			deleted = 1
		}
		if err := g.row("users", userCols, id, g.name(id), MD5(Password(id)), age, email, phone,
			g.local(created), updated, deleted); err != nil {
			return err
		}
	}
	return nil
}

// user picks the user of a row: a real one, or (p) an orphan id past them.
func (g *gen) user(orphans float64) uint64 {
	if g.chance(orphans) {
		return uint64(g.cfg.Users + 1 + g.r.IntN(50))
	}
	return uint64(g.r.IntN(g.cfg.Users) + 1)
}

var orderCols = []string{"id", "user_id", "item", "amount", "price", "status", "created_at", "updated_at"}

var items = []string{"sword", "shield", "potion", "gem_pack", "skin_dragon", "season_pass", "宝箱", "🎁 gift box"}

func (g *gen) orders() error {
	n := int(g.cfg.OrdersPerUser * float64(g.cfg.Users))
	for i := 1; i <= n; i++ {
		created := g.at(float64(i) / float64(n+1))
		price := fmt.Sprintf("%d.%02d", g.r.IntN(1000), g.r.IntN(100))
		amount := g.r.IntN(5) + 1
		switch {
		case i%97 == 0:
			price = "99999999.99" // the top of DECIMAL(10,2)
		case i%89 == 0:
			price = "0.00"
		case i%83 == 0:
			price = "-5.00" // v2 refuses a negative price
		case i%79 == 0:
			amount = 0 // v2 refuses
		case i%73 == 0:
			amount = -2
		case i%71 == 0:
			amount = 2_000_000 // over v2's limit
		}
		status := "paid"
		if g.chance(0.3) {
			status = "unpaid"
		}
		var updated any = g.local(created.Add(time.Duration(g.r.IntN(48)) * time.Hour))
		switch {
		case g.chance(0.1):
			updated = nil
		case g.chance(0.05):
			updated = ZeroDate
		}
		if err := g.row("orders", orderCols, uint64(i), g.user(0.02), items[g.r.IntN(len(items))], amount,
			price, status, g.local(created), updated); err != nil {
			return err
		}
	}
	return nil
}

var messageCols = []string{"id", "sender_id", "receiver_id", "message", "created_at", "read_at"}

var phrases = []string{"gg", "rematch?", "好的，明天见", "nice move 👍", "🐉🔥 dragons!", "lol", "see you at 8", "𝒜 fancy hello"}

func (g *gen) messages() error {
	n := int(g.cfg.MessagesPerUser * float64(g.cfg.Users))
	for i := 1; i <= n; i++ {
		created := g.at(float64(i) / float64(n+1))
		text := phrases[g.r.IntN(len(phrases))] + fmt.Sprintf(" #%d", i)
		switch {
		case i%61 == 0:
			text = strings.Repeat("长文本🙂", 1200) // 6000 characters, over v2's 4000
		case i%67 == 0:
			text = "" // v2 refuses an empty text
		}
		from, to := g.user(0.02), g.user(0.02)
		var read any
		if g.chance(0.6) {
			read = g.local(created.Add(time.Duration(g.r.IntN(600)) * time.Minute))
		}
		if err := g.row("messages", messageCols, uint64(i), from, to, text, g.local(created), read); err != nil {
			return err
		}
	}
	return nil
}

var friendCols = []string{"user_id", "friend_id", "created_at"}

func (g *gen) friends() error {
	type pair struct{ a, b uint64 }
	seen := map[pair]bool{}
	n := int(g.cfg.FriendsPerUser * float64(g.cfg.Users) / 2)
	var rows []pair
	var times []time.Time
	for range n {
		a, b := g.user(0.02), g.user(0.0)
		if a == b || seen[pair{a, b}] || seen[pair{b, a}] {
			continue
		}
		seen[pair{a, b}] = true
		at := g.at(g.r.Float64())
		rows, times = append(rows, pair{a, b}), append(times, at)
		if !g.chance(0.1) { // 10% have one side only
			rows, times = append(rows, pair{b, a}), append(times, at.Add(time.Duration(g.r.IntN(3600))*time.Second))
		}
	}
	for i, p := range rows {
		if err := g.row("friends", friendCols, p.a, p.b, g.local(times[i])); err != nil {
			return err
		}
	}
	return nil
}

var tags = []string{"rpg", "pvp", "strategy", "casual", "anime", "音乐", "🎮gaming", "Racing"}

func (g *gen) interests() error {
	for u := 1; u <= g.cfg.Users+10; u++ {
		chosen := map[int]bool{}
		for range g.count(g.cfg.InterestsPerUser) {
			chosen[g.r.IntN(len(tags))] = true
		}
		for t := range len(tags) {
			if chosen[t] {
				if err := g.row("user_interests", []string{"user_id", "tag"}, uint64(u), tags[t]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

var logCols = []string{"id", "user_id", "event", "payload", "created_at"}

var events = []string{"login", "level_up", "quest_done", "play", "purchase_view", "logout"}

func (g *gen) logs() error {
	n := int(g.cfg.LogsPerUser * float64(g.cfg.Users))
	for i := 1; i <= n; i++ {
		created := g.at(float64(i) / float64(n+1))
		ev := events[g.r.IntN(len(events))]
		var payload any = fmt.Sprintf(`{"level":%d,"zone":"区域-%d","note":"ok 👍"}`, g.r.IntN(80), g.r.IntN(9))
		if ev == "play" {
			payload = fmt.Sprintf(`{"item":"%s","hours":%d.5}`, items[g.r.IntN(len(items))], g.r.IntN(10))
		}
		switch {
		case i%31 == 0:
			payload = `{"level": 3, broken` // not JSON
		case i%37 == 0:
			payload = nil
		case i%41 == 0:
			payload = `[1, 2, 3]` // JSON, not an object
		case i%43 == 0:
			payload = `{"blob":"` + strings.Repeat("x", 9000) + `"}` // over v2's 8 KiB
		}
		if err := g.row("game_logs", logCols, uint64(i), g.user(0.02), ev, payload, g.local(created)); err != nil {
			return err
		}
	}
	return nil
}

func (g *gen) config() error {
	cols := []string{"k", "v", "updated_at"}
	docs := [][2]string{
		{"shop", `{"items":[{"id":"sword","price":"4.99"},{"id":"宝箱","price":"0.99"}]}`},
		{"events.calendar", `{"season":7,"starts":"2024-05-01","title":"龍年 🐉"}`},
		{"motd", `"welcome back"`},
		{"broken.config", `{"oops": }`},                                  // not JSON
		{"big.table", `{"rows":"` + strings.Repeat("z", 300<<10) + `"}`}, // over v2's 256 KiB
		{"matchmaking", `{"mmr_window":150,"regions":["cn","sea"]}`},
	}
	for i, d := range docs {
		updated := g.local(g.at(0.5 + float64(i)/20))
		if i == 2 {
			updated = ZeroDate
		}
		if err := g.row("game_config", cols, d[0], d[1], updated); err != nil {
			return err
		}
	}
	return nil
}

// Load creates the v1 schema in db (empty) and fills it with cfg's rows, as
// v1 would have: in its old permissive sql_mode (zero dates), with INSERT
// IGNORE on users (v1's unique key under utf8mb4_general_ci refuses the
// names that collide there). db must allow multiple statements.
func Load(ctx context.Context, db *sql.DB, cfg Config) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SET SESSION sql_mode = ''`); err != nil {
		return fmt.Errorf("v1gen: sql_mode: %w", err)
	}
	for stmt := range strings.SplitSeq(stripComments(Schema), ";") {
		if s := strings.TrimSpace(stmt); s != "" {
			if _, err := conn.ExecContext(ctx, s); err != nil {
				return fmt.Errorf("v1gen: schema: %w", err)
			}
		}
	}
	return Generate(cfg, func(b Batch) error {
		verb := "INSERT"
		if b.Table == "users" {
			verb = "INSERT IGNORE"
		}
		row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(b.Columns)), ", ") + ")"
		rows := strings.TrimSuffix(strings.Repeat(row+", ", len(b.Rows)), ", ")
		args := make([]any, 0, len(b.Rows)*len(b.Columns))
		for _, r := range b.Rows {
			args = append(args, r...)
		}
		// Table and column names are this package's constants; values are bound.
		q := verb + " INTO " + b.Table + " (" + strings.Join(b.Columns, ", ") + ") VALUES " + rows
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("v1gen: insert into %s: %w", b.Table, err)
		}
		return nil
	})
}

func stripComments(stmt string) string {
	var keep []string
	for line := range strings.SplitSeq(stmt, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		keep = append(keep, line)
	}
	return strings.TrimSpace(strings.Join(keep, "\n"))
}
