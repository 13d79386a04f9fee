package sqlite

import (
	"context"
	"database/sql"
	sqldriver "database/sql/driver"
	"fmt"
	"strings"

	"modernc.org/sqlite"
)

// migrations are the schema steps in order; PRAGMA user_version counts the
// ones applied. Append new steps, never edit old ones.
//
// Conventions: times are INTEGER unix nanoseconds UTC; expires is
// math.MaxInt64 for "never"; ids are 16-byte uuid BLOBs; names are kept as
// their NameKey (for lookups and uniqueness) and their display form; money
// is INTEGER cents; JSON is TEXT. Each index serves one query exactly.
var migrations = []string{
	// 1: the primary store.
	`
CREATE TABLE players (
	id            BLOB    NOT NULL PRIMARY KEY,
	name_key      TEXT    NOT NULL UNIQUE,
	name          TEXT    NOT NULL,
	email         TEXT    NOT NULL,
	phone         TEXT    NOT NULL,
	age           INTEGER,
	password_hash TEXT    NOT NULL,
	created       INTEGER NOT NULL,
	updated       INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
	token_hash  TEXT    NOT NULL PRIMARY KEY,
	player_id   BLOB    NOT NULL,
	player_name TEXT    NOT NULL,
	created     INTEGER NOT NULL,
	expires     INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_expiry ON sessions (expires);

CREATE TABLE api_keys (
	id      BLOB    NOT NULL PRIMARY KEY,
	name    TEXT    NOT NULL,
	prefix  TEXT    NOT NULL,
	hash    TEXT    NOT NULL UNIQUE,
	created INTEGER NOT NULL,
	revoked INTEGER
) STRICT;

CREATE TABLE orders (
	id              BLOB    NOT NULL PRIMARY KEY,
	user_key        TEXT    NOT NULL,
	user_name       TEXT    NOT NULL,
	item            TEXT    NOT NULL,
	amount          INTEGER NOT NULL,
	price           INTEGER NOT NULL,
	status          TEXT    NOT NULL,
	created         INTEGER NOT NULL,
	updated         INTEGER NOT NULL,
	idempotency_key TEXT
) STRICT;
CREATE INDEX orders_by_user ON orders (user_key, created, id);
CREATE UNIQUE INDEX orders_by_idempotency_key ON orders (user_key, idempotency_key)
	WHERE idempotency_key IS NOT NULL;

-- pair_lo and pair_hi are the two name keys in sorted order: both directions
-- of a conversation share them.
CREATE TABLE messages (
	id           BLOB    NOT NULL PRIMARY KEY,
	sender_key   TEXT    NOT NULL,
	receiver_key TEXT    NOT NULL,
	pair_lo      TEXT    NOT NULL,
	pair_hi      TEXT    NOT NULL,
	sender       TEXT    NOT NULL,
	receiver     TEXT    NOT NULL,
	text         TEXT    NOT NULL,
	created      INTEGER NOT NULL,
	expires      INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_inbox ON messages (receiver_key, created, id);
CREATE INDEX messages_sent ON messages (sender_key, created, id);
CREATE INDEX messages_conversation ON messages (pair_lo, pair_hi, created, id);
CREATE INDEX messages_by_expiry ON messages (expires);

CREATE TABLE events (
	id         BLOB    NOT NULL,
	player_key TEXT    NOT NULL,
	player     TEXT    NOT NULL,
	type       TEXT    NOT NULL,
	at         INTEGER NOT NULL,
	data       TEXT,
	expires    INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX events_by_player ON events (player_key, at, id);
CREATE INDEX events_by_expiry ON events (expires);

CREATE TABLE meta (
	key     TEXT    NOT NULL PRIMARY KEY,
	value   TEXT    NOT NULL,
	updated INTEGER NOT NULL
) STRICT;
`,
	// 2: the change feed (see feed.go). AUTOINCREMENT, because a plain
	// INTEGER PRIMARY KEY reuses the numbers of deleted rows: once every
	// consumer has passed (and so removed) the newest change, the next one
	// would get a seq behind their positions and never be read.
	`
CREATE TABLE changes (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         BLOB    NOT NULL,
	at         INTEGER NOT NULL,
	kind       TEXT    NOT NULL,
	player_key TEXT    NOT NULL,
	order_id   BLOB,
	message    TEXT
) STRICT;

-- seq: the last change the consumer committed (0: none yet).
CREATE TABLE feed_consumers (
	consumer TEXT    NOT NULL PRIMARY KEY,
	seq      INTEGER NOT NULL
) STRICT;
`,
	// 3: the indexes of search (see search.go). Indexes for equality end in
	// (created, id), so their rows come out newest first and they seek to
	// the page cursor; ranges (age, price, and name prefixes on the name
	// key's own index) are read whole and sorted.
	`
CREATE INDEX players_by_created ON players (created, id);
CREATE INDEX players_by_email ON players (lower(email), created, id);
CREATE INDEX players_by_phone ON players (phone, created, id);
CREATE INDEX players_by_age ON players (age);

CREATE INDEX orders_by_created ON orders (created, id);
CREATE INDEX orders_by_item ON orders (item, created, id);
CREATE INDEX orders_by_status ON orders (status, created, id);
CREATE INDEX orders_by_price ON orders (price);
`,
	// 4: emails matched ignoring case as OpenSearch's lowercase normalizer
	// does, in all of Unicode (SQLite's lower() folds ASCII only): by a key
	// that Go lowercases (emailKey), filled here by foldFunc; and when each
	// consumer of the change feed last stored its position.
	`
ALTER TABLE players ADD COLUMN email_key TEXT NOT NULL DEFAULT '';
UPDATE players SET email_key = ` + foldFunc + `(email);
DROP INDEX players_by_email;
CREATE INDEX players_by_email_key ON players (email_key, created, id);

ALTER TABLE feed_consumers ADD COLUMN updated INTEGER;
`,
	// 5: what the archive reads (history.go), each day by an indexed time
	// range: players as each change left them (kept until expires, the
	// history retention), payments by their time, messages by theirs,
	// events by when they were stored (an event may be sent late); and
	// the leases that let one instance run a job.
	`
CREATE TABLE player_changes (
	at      INTEGER NOT NULL,
	id      BLOB    NOT NULL,
	name    TEXT    NOT NULL,
	email   TEXT    NOT NULL,
	phone   TEXT    NOT NULL,
	age     INTEGER,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	expires INTEGER NOT NULL,
	PRIMARY KEY (at, id)
) STRICT;
CREATE INDEX player_changes_by_expiry ON player_changes (expires);
INSERT INTO player_changes (at, id, name, email, phone, age, created, updated, expires)
	SELECT updated, id, name, email, phone, age, created, updated, 9223372036854775807 FROM players;

CREATE INDEX orders_paid_by_updated ON orders (updated, id) WHERE status = 'paid';
CREATE INDEX messages_by_created ON messages (created, id);

ALTER TABLE events ADD COLUMN stored INTEGER;
UPDATE events SET stored = at;
CREATE INDEX events_by_stored ON events (stored);

CREATE TABLE leases (
	name    TEXT    NOT NULL PRIMARY KEY,
	owner   TEXT    NOT NULL,
	expires INTEGER NOT NULL
) STRICT;
`,
	// 6: the social graph (see social.go): one row per side of a friendship,
	// both with the friendship's id and time; interests as a JSON array.
	`
CREATE TABLE friends (
	player_key TEXT    NOT NULL,
	friend_key TEXT    NOT NULL,
	friend     TEXT    NOT NULL,
	created    INTEGER NOT NULL,
	id         BLOB    NOT NULL,
	PRIMARY KEY (player_key, friend_key)
) STRICT, WITHOUT ROWID;
CREATE INDEX friends_by_time ON friends (player_key, created, id);

CREATE TABLE interests (
	player_key TEXT    NOT NULL PRIMARY KEY,
	tags       TEXT    NOT NULL,
	updated    INTEGER NOT NULL
) STRICT;
`,
	// 7: the built recommendations (see recs.go): one row per player and
	// kind, the suggestions as JSON; and the build's state, one row.
	`
CREATE TABLE recommendations (
	player_key TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	items      TEXT    NOT NULL,
	generated  INTEGER NOT NULL,
	PRIMARY KEY (player_key, kind)
) STRICT, WITHOUT ROWID;

CREATE TABLE recs_build (
	id       INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	started  INTEGER NOT NULL,
	after    TEXT    NOT NULL,
	done     INTEGER NOT NULL,
	finished INTEGER
) STRICT;
`,
	// 8: the recommendations as a rowid table: a row of suggestions (1 to 2
	// KiB) is too large for WITHOUT ROWID, whose rows spill into overflow
	// pages past about 200 bytes. The sets are rebuilt, not copied: the
	// build's state is cleared, so the next build starts at once.
	`
DROP TABLE recommendations;
CREATE TABLE recommendations (
	player_key TEXT    NOT NULL,
	kind       TEXT    NOT NULL,
	items      TEXT    NOT NULL,
	generated  INTEGER NOT NULL,
	PRIMARY KEY (player_key, kind)
) STRICT;
DELETE FROM recs_build;
`,
	// 9: the idempotency records of the API (see idempotency.go); status
	// 0 while the request has no answer.
	`
CREATE TABLE idempotency (
	key         TEXT    NOT NULL PRIMARY KEY,
	fingerprint TEXT    NOT NULL,
	request     BLOB    NOT NULL,
	status      INTEGER NOT NULL,
	response    BLOB,
	expires     INTEGER NOT NULL
) STRICT;
CREATE INDEX idempotency_by_expires ON idempotency (expires);
`,
}

// foldFunc is the SQL function that lowercases as emailKey does, for the
// migration that fills email_key; the store binds emailKey's result itself.
const foldFunc = "gamedata_email_key"

func init() {
	sqlite.MustRegisterDeterministicScalarFunction(foldFunc, 1, func(_ *sqlite.FunctionContext, args []sqldriver.Value) (sqldriver.Value, error) {
		s, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("%s: want TEXT, got %T", foldFunc, args[0])
		}
		return emailKey(s), nil
	})
}

// emailKey is what emails are matched by: lowercased rune by rune with
// Unicode's simple mappings, as OpenSearch's lowercase normalizer (Java's
// Character.toLowerCase) does.
func emailKey(email string) string { return strings.ToLower(email) }

// migrate applies the steps the file lacks, each in its own transaction.
// The version is read inside the transaction (BEGIN IMMEDIATE), so two
// processes opening a new file at once apply each step once.
func migrate(ctx context.Context, db *sql.DB) error {
	for {
		done, err := migrateStep(ctx, db)
		if err != nil || done {
			return err
		}
	}
}

// migrateStep applies the next missing step; done reports there was none.
func migrateStep(ctx context.Context, db *sql.DB) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin migration: %w", err)
	}
	defer func() {
		if err != nil || done {
			_ = tx.Rollback() // nothing was written, or err says why
		}
	}()
	var version int
	if err := tx.QueryRowContext(ctx, `PRAGMA user_version`).Scan(&version); err != nil {
		return false, fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case version == len(migrations):
		return true, nil
	case version > len(migrations):
		return false, fmt.Errorf("the file has schema version %d; this build knows up to %d", version, len(migrations))
	}
	if _, err := tx.ExecContext(ctx, migrations[version]); err != nil {
		return false, fmt.Errorf("schema step %d: %w", version+1, err)
	}
	// PRAGMA takes no parameters; the value is a number of ours.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`PRAGMA user_version = %d`, version+1)); err != nil {
		return false, fmt.Errorf("schema step %d: set version: %w", version+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("schema step %d: commit: %w", version+1, err)
	}
	return false, nil
}
