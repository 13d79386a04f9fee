// Package mysql reads the v1 MySQL database for the migration (a
// migrate.Source) through go-sql-driver/mysql.
//
// Every DATETIME and DECIMAL column is read as its text: the driver never
// picks a zone for a v1 local time (no parseTime) nor a float for a price;
// package migrate applies the rules to the text.
package mysql

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/migrate"
)

// Config returns the driver's settings for a URL mysql://USER:PASS@HOST:PORT/DB.
func Config(source string) (*driver.Config, error) {
	u, err := url.Parse(source)
	if err != nil || u.Scheme != "mysql" || u.Host == "" || strings.Trim(u.Path, "/") == "" {
		return nil, fmt.Errorf("source %q: want mysql://USER:PASS@HOST:PORT/DB", redact(source))
	}
	cfg := driver.NewConfig()
	cfg.User = u.User.Username()
	cfg.Passwd, _ = u.User.Password()
	cfg.Net = "tcp"
	cfg.Addr = u.Host
	if u.Port() == "" {
		cfg.Addr += ":3306"
	}
	cfg.DBName = strings.Trim(u.Path, "/")
	// Text, not time.Time: the rules read v1's local times in --source-tz.
	cfg.ParseTime = false
	cfg.Loc = time.UTC
	cfg.Collation = "utf8mb4_general_ci"
	cfg.Timeout = 10 * time.Second
	cfg.ReadTimeout = 5 * time.Minute
	cfg.WriteTimeout = 5 * time.Minute
	// A v1 of an old sql_mode holds zero dates; reading them is fine, but
	// the session must not refuse them in comparisons.
	cfg.Params = map[string]string{"sql_mode": "''"}
	return cfg, nil
}

// redact hides the password of a source URL, for messages.
func redact(source string) string {
	u, err := url.Parse(source)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Open connects to the v1 database named by source, with up to conns
// connections (the readers of a migration run at once).
func Open(ctx context.Context, source string, conns int) (*DB, error) {
	cfg, err := Config(source)
	if err != nil {
		return nil, err
	}
	conn, err := driver.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("mysql: %w", err)
	}
	db := sql.OpenDB(conn)
	db.SetMaxOpenConns(conns)
	db.SetMaxIdleConns(conns)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("mysql: connect to %s: %w", redact(source), gamedata.Unavailable("mysql", err))
	}
	return &DB{db: db}, nil
}

// DB is a v1 database; it implements migrate.Source.
type DB struct {
	db *sql.DB
}

var _ migrate.Source = (*DB)(nil)

// SQL returns the database handle (for the v1 generator of tests and benchmarks).
func (d *DB) SQL() *sql.DB { return d.db }

// Close closes every connection.
func (d *DB) Close() error { return d.db.Close() }

// keyColumn is the column a table is read by ranges of.
var keyColumn = map[migrate.Table]string{
	migrate.Users: "id", migrate.Orders: "id", migrate.Messages: "id", migrate.Logs: "id",
	migrate.Friends: "user_id", migrate.Interests: "user_id",
}

// Bounds returns the lowest and highest key of t.
func (d *DB) Bounds(ctx context.Context, t migrate.Table) (lo, hi uint64, ok bool, err error) {
	if t == migrate.Config {
		var n int64
		if err := d.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM game_config`).Scan(&n); err != nil {
			return 0, 0, false, d.fail("count game_config", err)
		}
		return 0, 0, n > 0, nil
	}
	col, known := keyColumn[t]
	if !known {
		return 0, 0, false, fmt.Errorf("mysql: no table %q", t)
	}
	var min, max sql.NullInt64
	// The table and column names are constants of this package.
	if err := d.db.QueryRowContext(ctx, `SELECT MIN(`+col+`), MAX(`+col+`) FROM `+string(t)).Scan(&min, &max); err != nil {
		return 0, 0, false, d.fail("bounds of "+string(t), err)
	}
	if !min.Valid {
		return 0, 0, false, nil
	}
	return uint64(min.Int64), uint64(max.Int64), true, nil
}

// The reads of each table. DATETIMEs and DECIMALs come as text (CAST AS CHAR).
const (
	readUsers = `SELECT id, name, password, age, email, phone, CAST(created_at AS CHAR), CAST(updated_at AS CHAR), deleted
		FROM users WHERE id >= ? AND id < ? ORDER BY id`
	readOrders = `SELECT id, user_id, item, amount, CAST(price AS CHAR), CAST(status AS CHAR), CAST(created_at AS CHAR), CAST(updated_at AS CHAR)
		FROM orders WHERE id >= ? AND id < ? ORDER BY id`
	readMessages = `SELECT id, sender_id, receiver_id, message, CAST(created_at AS CHAR), CAST(read_at AS CHAR)
		FROM messages WHERE id >= ? AND id < ? ORDER BY id`
	// Each row with the created_at of the other direction, if there is one.
	readFriends = `SELECT f.user_id, f.friend_id, CAST(f.created_at AS CHAR), r.user_id IS NOT NULL, CAST(r.created_at AS CHAR)
		FROM friends f LEFT JOIN friends r ON r.user_id = f.friend_id AND r.friend_id = f.user_id
		WHERE f.user_id >= ? AND f.user_id < ? ORDER BY f.user_id, f.friend_id`
	readInterests = `SELECT user_id, tag FROM user_interests WHERE user_id >= ? AND user_id < ? ORDER BY user_id, tag`
	readLogs      = `SELECT id, user_id, event, payload, CAST(created_at AS CHAR)
		FROM game_logs WHERE id >= ? AND id < ? ORDER BY id`
	readConfig = `SELECT k, v, CAST(updated_at AS CHAR) FROM game_config ORDER BY k`
)

// Read returns the rows of t with keys in [lo, hi).
func (d *DB) Read(ctx context.Context, t migrate.Table, lo, hi uint64) (migrate.Rows, error) {
	var r migrate.Rows
	var err error
	switch t {
	case migrate.Users:
		r.Users, err = query(ctx, d.db, readUsers, lo, hi, func(sc scanner) (u migrate.User, err error) {
			var age sql.NullInt64
			var email, phone, created, updated sql.NullString
			err = sc.Scan(&u.ID, &u.Name, &u.Password, &age, &email, &phone, &created, &updated, &u.Deleted)
			if age.Valid {
				a := int(age.Int64)
				u.Age = &a
			}
			u.Email, u.Phone = ptr(email), ptr(phone)
			u.CreatedAt, u.UpdatedAt = created.String, updated.String
			return u, err
		})
	case migrate.Orders:
		r.Orders, err = query(ctx, d.db, readOrders, lo, hi, func(sc scanner) (o migrate.Order, err error) {
			var created, updated sql.NullString
			err = sc.Scan(&o.ID, &o.UserID, &o.Item, &o.Amount, &o.Price, &o.Status, &created, &updated)
			o.CreatedAt, o.UpdatedAt = created.String, updated.String
			return o, err
		})
	case migrate.Messages:
		r.Messages, err = query(ctx, d.db, readMessages, lo, hi, func(sc scanner) (m migrate.Message, err error) {
			var created, read sql.NullString
			err = sc.Scan(&m.ID, &m.SenderID, &m.ReceiverID, &m.Text, &created, &read)
			m.CreatedAt, m.ReadAt = created.String, read.String
			return m, err
		})
	case migrate.Friends:
		r.Friends, err = query(ctx, d.db, readFriends, lo, hi, func(sc scanner) (f migrate.Friend, err error) {
			var created, reverse sql.NullString
			err = sc.Scan(&f.UserID, &f.FriendID, &created, &f.Mutual, &reverse)
			f.CreatedAt, f.ReverseCreatedAt = created.String, reverse.String
			return f, err
		})
	case migrate.Interests:
		r.Interests, err = query(ctx, d.db, readInterests, lo, hi, func(sc scanner) (i migrate.Interest, err error) {
			err = sc.Scan(&i.UserID, &i.Tag)
			return i, err
		})
	case migrate.Logs:
		r.Logs, err = query(ctx, d.db, readLogs, lo, hi, func(sc scanner) (l migrate.Log, err error) {
			var payload, created sql.NullString
			err = sc.Scan(&l.ID, &l.UserID, &l.Event, &payload, &created)
			l.Payload, l.CreatedAt = ptr(payload), created.String
			return l, err
		})
	case migrate.Config:
		r.Config, err = query(ctx, d.db, readConfig, nil, nil, func(sc scanner) (c migrate.ConfigRow, err error) {
			var updated sql.NullString
			err = sc.Scan(&c.Key, &c.Value, &updated)
			c.UpdatedAt = updated.String
			return c, err
		})
	default:
		return r, fmt.Errorf("mysql: no table %q", t)
	}
	if err != nil {
		return r, d.fail(fmt.Sprintf("read %s [%d, %d)", t, lo, hi), err)
	}
	return r, nil
}

type scanner interface{ Scan(dest ...any) error }

// query runs a read of one range (lo and hi nil: no range) and scans each row.
func query[T any](ctx context.Context, db *sql.DB, q string, lo, hi any, scan func(scanner) (T, error)) ([]T, error) {
	var args []any
	if lo != nil {
		args = []any{lo, hi}
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func ptr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

// fail marks a lost or refused connection as ErrUnavailable.
func (d *DB) fail(op string, err error) error {
	var me *driver.MySQLError
	if errors.As(err, &me) {
		return fmt.Errorf("mysql: %s: %w", op, err)
	}
	if errors.Is(err, context.Canceled) {
		return fmt.Errorf("mysql: %s: %w", op, err)
	}
	return fmt.Errorf("mysql: %s: %w", op, gamedata.Unavailable("mysql", err))
}
