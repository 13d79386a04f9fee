package v1gen_test

import (
	"context"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata/migrate/v1gen"
	"github.com/gamedata-dev/gamedata/mysql/mysqltest"
)

// TestLoadHasEveryQuirk loads the small database into MariaDB and checks
// that each quirk of the v1 notes is there, as v1 itself would hold it.
func TestLoadHasEveryQuirk(t *testing.T) {
	_, db := mysqltest.Database(t)
	ctx := context.Background()
	if err := v1gen.Load(ctx, db, v1gen.Small(time.Now())); err != nil {
		t.Fatal(err)
	}
	checks := map[string]string{
		"zero updated_at":              `SELECT COUNT(*) FROM users WHERE CAST(updated_at AS CHAR) = '0000-00-00 00:00:00'`,
		"NULL updated_at":              `SELECT COUNT(*) FROM orders WHERE updated_at IS NULL`,
		"soft-deleted users":           `SELECT COUNT(*) FROM users WHERE deleted = 1`,
		"names colliding in v2 (ß/ss)": `SELECT COUNT(*) FROM users a JOIN users b ON a.name = 'Straße1' AND b.name = 'STRASSE1'`,
		"names v2 refuses":             `SELECT COUNT(*) FROM users WHERE name LIKE '% %' OR CHAR_LENGTH(name) > 32 OR CHAR_LENGTH(name) < 3`,
		"4-byte characters":            `SELECT COUNT(*) FROM messages WHERE message LIKE '%🐉%'`,
		"orphan orders":                `SELECT COUNT(*) FROM orders o LEFT JOIN users u ON u.id = o.user_id WHERE u.id IS NULL`,
		"one-sided friendships":        `SELECT COUNT(*) FROM friends f LEFT JOIN friends r ON r.user_id = f.friend_id AND r.friend_id = f.user_id WHERE r.user_id IS NULL`,
		"payloads that are not JSON":   `SELECT COUNT(*) FROM game_logs WHERE payload IS NOT NULL AND NOT JSON_VALID(payload)`,
		"texts over 4000 characters":   `SELECT COUNT(*) FROM messages WHERE CHAR_LENGTH(message) > 4000`,
		"price 99999999.99":            `SELECT COUNT(*) FROM orders WHERE price = 99999999.99`,
	}
	for what, q := range checks {
		var n int
		if err := db.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if n == 0 {
			t.Errorf("no %s in the generated database", what)
		}
	}
	// The reverse collision: v1's collation holds jose1 and so refused José1.
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE name = 'José1'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("José1 matches %d users under v1's collation (%v), want 1 (jose1)", n, err)
	}
	var names []string
	rows, err := db.QueryContext(ctx, `SELECT name FROM users WHERE id IN (63, 64) ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		_ = rows.Scan(&s)
		names = append(names, s)
	}
	if len(names) != 1 || names[0] != "jose3" {
		t.Errorf("users 63, 64 = %q, want only jose3 (José3 refused by v1's unique key)", names)
	}
}

// TestGenerateIsDeterministic: one config, one database.
func TestGenerateIsDeterministic(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sum := func() (n int, last v1gen.Batch) {
		if err := v1gen.Generate(v1gen.Small(now), func(b v1gen.Batch) error { n += len(b.Rows); last = b; return nil }); err != nil {
			t.Fatal(err)
		}
		return n, last
	}
	n1, b1 := sum()
	n2, b2 := sum()
	if n1 != n2 || n1 < 1000 || len(b1.Rows) != len(b2.Rows) || b1.Rows[0][1] != b2.Rows[0][1] {
		t.Fatalf("two generations differ: %d rows vs %d", n1, n2)
	}
}
