// Package migrate moves the v1 MySQL history into a gamedata store: it reads
// the v1 tables (from MySQL, package mysql, or from the CSV files of
// mysqldump --tab, ReadDump) in ranges of their primary keys, applies the
// rules of docs/migration.md to every row, and writes what it keeps through
// the store's bulk path, the social graph and the archive, recording each
// finished range in the store so that a stopped run resumes.
package migrate

import "context"

// Table names a v1 table.
type Table string

// The v1 tables, in the order a migration takes them: users first, since
// every other table refers to them.
const (
	Users     Table = "users"
	Orders    Table = "orders"
	Messages  Table = "messages"
	Friends   Table = "friends"
	Interests Table = "user_interests"
	Logs      Table = "game_logs"
	Config    Table = "game_config"
)

// Tables lists every v1 table in migration order.
var Tables = []Table{Users, Orders, Messages, Friends, Interests, Logs, Config}

// The v1 rows, as v1 holds them: DATETIME and DECIMAL columns as their
// text (a DATETIME is a local time without a zone, possibly
// "0000-00-00 00:00:00"; "" stands for NULL), so that no driver or CSV
// reader decides a zone or rounds money.

// User is a row of v1 users.
type User struct {
	ID        uint64
	Name      string
	Password  string // unsalted MD5, hex
	Age       *int
	Email     *string
	Phone     *string
	CreatedAt string
	UpdatedAt string
	Deleted   bool
}

// Order is a row of v1 orders.
type Order struct {
	ID        uint64
	UserID    uint64
	Item      string
	Amount    int64
	Price     string // DECIMAL(10,2) as text
	Status    string
	CreatedAt string
	UpdatedAt string
}

// Message is a row of v1 messages.
type Message struct {
	ID         uint64
	SenderID   uint64
	ReceiverID uint64
	Text       string
	CreatedAt  string
	ReadAt     string
}

// Friend is a row of v1 friends, with whether the other direction exists.
type Friend struct {
	UserID, FriendID uint64
	CreatedAt        string
	// Mutual: the row (FriendID, UserID) exists too; ReverseCreatedAt is its created_at.
	Mutual           bool
	ReverseCreatedAt string
}

// Interest is a row of v1 user_interests.
type Interest struct {
	UserID uint64
	Tag    string
}

// Log is a row of v1 game_logs.
type Log struct {
	ID        uint64
	UserID    uint64
	Event     string
	Payload   *string
	CreatedAt string
}

// ConfigRow is a row of v1 game_config.
type ConfigRow struct {
	Key       string
	Value     string
	UpdatedAt string
}

// Rows holds the rows of one range of one table (only the table's field is set).
type Rows struct {
	Users     []User
	Orders    []Order
	Messages  []Message
	Friends   []Friend
	Interests []Interest
	Logs      []Log
	Config    []ConfigRow
}

// Len is how many rows r holds.
func (r Rows) Len() int {
	return len(r.Users) + len(r.Orders) + len(r.Messages) + len(r.Friends) + len(r.Interests) + len(r.Logs) + len(r.Config)
}

// Source reads the v1 tables. Every table but game_config is read by
// ranges of its key: the id, or user_id for friends and user_interests
// (so that all the rows of one user come in one range); game_config, small,
// is read whole as range [0, 1).
type Source interface {
	// Bounds returns the lowest and highest key of table; ok is false when
	// the table is empty.
	Bounds(ctx context.Context, t Table) (lo, hi uint64, ok bool, err error)
	// Read returns the rows of t whose key is in [lo, hi), by key.
	Read(ctx context.Context, t Table, lo, hi uint64) (Rows, error)
	Close() error
}
