// Package sqlite is the embedded primary store: every gamedata.Store method
// over one SQLite file, through the pure-Go driver modernc.org/sqlite.
//
// Writes go through a single connection (SQLite allows one writer at a
// time, and queueing in Go is cheaper than spinning on SQLITE_BUSY), where
// concurrent writes are committed in groups (commit.go); reads use a
// separate pool, so in WAL mode they never wait for a write.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/gamedata-dev/gamedata"
)

// Config says where the store lives and how it behaves.
type Config struct {
	// Path of the database file; it is created when missing (its folder is not).
	Path string
	// Clock decides what has expired; nil means gamedata.SystemClock.
	Clock gamedata.Clock
	// Synchronous is "NORMAL" (the default) or "FULL". In WAL mode NORMAL
	// keeps every committed write across a crash or restart of the process
	// and never corrupts the file; only a power loss or OS crash may roll
	// back the last commits. FULL syncs the WAL at every commit and survives
	// those too, at the price of an fsync per commit (one for each group of
	// concurrent writes: see commit.go).
	Synchronous string
	// FeedRetention is how long change records are kept while no consumer
	// reads the change feed; zero means DefaultFeedRetention.
	FeedRetention time.Duration
	// HistoryRetention is how long the players' change history (what the
	// archive reads of players) is kept; zero means gamedata.DefaultRetention.
	HistoryRetention time.Duration
	// MaxFriends bounds each player's friends; zero means
	// gamedata.MaxFriends.
	MaxFriends int
}

// busyTimeoutMS is how long a connection waits for a lock held by another
// process (the CLI writing to the file of a running server) before SQLITE_BUSY.
const busyTimeoutMS = 5000

// Store is the SQLite gamedata.Store. It is safe for concurrent use.
type Store struct {
	w, r          *sql.DB // w: the one writer connection; r: the read-only pool
	clock         gamedata.Clock
	feedRetention time.Duration
	// historyRetention: Config.HistoryRetention.
	historyRetention time.Duration
	maxFriends       int
	closed           atomic.Bool
	commits          *committer    // every write of a request (commit.go)
	stopCommits      chan struct{} // closed by Close
	// prepared holds every prepared statement, with its SQL; Close closes them.
	prepared map[*sql.Stmt]string

	// Prepared statements, made once at Open (see the prepare* functions).
	insertPlayer, updatePlayer, getPlayer                                *sql.Stmt
	insertSession, deleteSession, getSession                             *sql.Stmt
	insertAPIKey, revokeAPIKey, getAPIKey, listAPIKeys                   *sql.Stmt
	insertOrder, orderByKey, payOrder, orderExists, getOrder, listOrders *sql.Stmt
	insertMessage, inbox, sent, conversation                             *sql.Stmt
	insertEvent, listEvents                                              *sql.Stmt
	putMeta, getMeta                                                     *sql.Stmt
	playerName, isFriend, countFriendsW, countFriends                    *sql.Stmt
	insertFriend, deleteFriend, listFriends, putInterests, getInterests  *sql.Stmt
	putRecs, getRecs, getRecsBuild, putRecsBuild                         *sql.Stmt
	scanPaid, scanPlays, scanFriends, scanInterests                      *sql.Stmt
	claimIdempotency, getIdempotency, putIdempotency                     *sql.Stmt
	ping                                                                 *sql.Stmt
	purge                                                                []*sql.Stmt

	insertChange, consumerPosition, registerConsumer, readChanges *sql.Stmt
	lastSeq, commitPosition, removePassed, feedStatus             *sql.Stmt
	anyConsumer, firstYoungChange, purgeOldChanges                *sql.Stmt
	listConsumers, dropConsumer, listAllPlayers                   *sql.Stmt

	// One statement per index that can drive a search (see search.go).
	searchPlayers [len(playerDrivers)]*sql.Stmt
	searchOrders  [len(orderDrivers)]*sql.Stmt
	revenue       *sql.Stmt

	history historyStatements // history.go
	backup  backupStatements  // backup.go
}

var _ gamedata.Store = (*Store)(nil)

// Backend is what the SQLite store offers: everything, search and the purge
// of expired rows included (see docs/architecture.md).
func (s *Store) Backend() gamedata.Backend {
	return gamedata.Backend{Store: s, Feed: s, FeedAdmin: s, Searcher: s, Lister: s, Purger: s, History: s, Leaser: s, Social: s,
		Recs: s, RecsSource: s, Backup: s}
}

// privateMode is the mode of a new database file: it holds password hashes
// and players' data. SQLite gives its -wal and -shm files the same mode.
const privateMode = 0o600

// private creates the database file at path with privateMode if it does not
// exist, and takes away what others may do with an existing one and its
// -wal and -shm files (a file of an older version was 0644); the group's
// rights, which an operator may have chosen, stay.
func private(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, privateMode)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return err
		}
		if m := fi.Mode().Perm(); m&0o007 != 0 {
			if err := os.Chmod(p, m&^0o007); err != nil {
				return fmt.Errorf("take the rights of others from %s: %w", p, err)
			}
		}
	}
	return nil
}

// Open opens (creating if needed) the database at cfg.Path, brings its schema
// up to date and prepares every statement.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	synchronous := strings.ToUpper(cfg.Synchronous)
	switch synchronous {
	case "":
		synchronous = "NORMAL"
	case "NORMAL", "FULL":
	default:
		return nil, fmt.Errorf("sqlite: synchronous must be NORMAL or FULL, not %q", cfg.Synchronous)
	}
	if cfg.Path == "" {
		return nil, errors.New("sqlite: no database path")
	}
	abs, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: path %q: %w", cfg.Path, err)
	}
	if err := private(abs); err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s := &Store{clock: cfg.Clock, feedRetention: cfg.FeedRetention, historyRetention: cfg.HistoryRetention,
		maxFriends: cfg.MaxFriends, prepared: map[*sql.Stmt]string{}}
	if s.historyRetention <= 0 {
		s.historyRetention = gamedata.DefaultRetention
	}
	if s.maxFriends <= 0 {
		s.maxFriends = gamedata.MaxFriends
	}
	if s.clock == nil {
		s.clock = gamedata.SystemClock{}
	}
	if s.feedRetention <= 0 {
		s.feedRetention = DefaultFeedRetention
	}

	// The writer opens first: it turns WAL on, which readers rely on.
	s.w, err = sql.Open("sqlite", dsn(abs, "immediate", "journal_mode(WAL)", "synchronous("+synchronous+")"))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := migrate(ctx, s.w); err != nil {
		_ = s.w.Close() // the migration error is the one to report
		return nil, s.fail("open "+abs, err)
	}

	// query_only rather than mode=ro: a read-only open of a WAL file fails
	// when the writer has not created the -shm file yet.
	s.r, err = sql.Open("sqlite", dsn(abs, "deferred", "query_only(1)"))
	if err != nil {
		_ = s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s for reading: %w", abs, err)
	}
	readers := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(readers)
	s.r.SetMaxIdleConns(readers)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(0)

	if err := s.prepareAll(ctx); err != nil {
		_ = s.Close() // the prepare error is the one to report
		return nil, s.fail("prepare statements", err)
	}
	s.stopCommits = make(chan struct{})
	go s.commits.run(s.stopCommits)
	return s, nil
}

// dsn builds the driver's name for the file at path: a file: URI (so any
// character of the path is escaped) whose _pragma parameters the driver runs
// on every new connection.
func dsn(path, txlock string, pragmas ...string) string {
	q := url.Values{"_txlock": {txlock}}
	for _, p := range append([]string{fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS)}, pragmas...) {
		q.Add("_pragma", p)
	}
	return (&url.URL{Scheme: "file", Path: path, RawQuery: q.Encode()}).String()
}

// preparer prepares statements, remembering them all and the first error.
type preparer struct {
	ctx context.Context
	s   *Store
	err error
}

func (p *preparer) on(db *sql.DB, query string) *sql.Stmt {
	if p.err != nil {
		return nil
	}
	st, err := db.PrepareContext(p.ctx, query)
	if err != nil {
		p.err = fmt.Errorf("prepare %q: %w", query, err)
		return nil
	}
	p.s.prepared[st] = query
	return st
}

// write prepares a statement for the writer connection.
func (p *preparer) write(query string) *sql.Stmt { return p.on(p.s.w, query) }

// read prepares a statement for the reader pool.
func (p *preparer) read(query string) *sql.Stmt { return p.on(p.s.r, query) }

func (s *Store) prepareAll(ctx context.Context) error {
	p := &preparer{ctx: ctx, s: s}
	s.preparePlayers(p)
	s.prepareAuth(p)
	s.prepareOrders(p)
	s.prepareMessages(p)
	s.prepareEvents(p)
	s.prepareMeta(p)
	s.prepareIdempotency(p)
	s.preparePurge(p)
	s.prepareFeed(p)
	s.prepareSearch(p)
	s.prepareHistory(p)
	s.prepareSocial(p)
	s.prepareRecs(p)
	s.prepareBackup(p)
	s.ping = p.read(`PRAGMA user_version`)
	s.commits = newCommitter(s, p)
	return p.err
}

// Close closes the store; calls after it fail with ErrUnavailable.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	if s.stopCommits != nil {
		s.commits.close(s.stopCommits) // the writes queued are committed first
	}
	for st := range s.prepared {
		_ = st.Close() // closing the databases below reports what matters
	}
	var errs []error
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	// The writer closes last: as the last connection it checkpoints the WAL.
	errs = append(errs, s.w.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// Ping reads the file header through the reader pool.
func (s *Store) Ping(ctx context.Context) error {
	var version int
	if err := s.ping.QueryRowContext(ctx).Scan(&version); err != nil {
		return s.fail("ping", err)
	}
	return nil
}

// fail wraps err with op and maps it to the domain errors: no rows is
// ErrNotFound, a constraint is ErrConflict, a busy, locked, full or failing
// file (or a closed store) is ErrUnavailable. Domain errors pass through.
func (s *Store) fail(op string, err error) error {
	code := 0
	var se *sqlite.Error
	if errors.As(err, &se) {
		code = se.Code() & 0xff // the primary code of an extended one
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlite: %s: %w", op, gamedata.ErrNotFound)
	case code == sqlite3.SQLITE_CONSTRAINT:
		return fmt.Errorf("sqlite: %s: %w: %v", op, gamedata.ErrConflict, err)
	case s.closed.Load(), errors.Is(err, context.DeadlineExceeded), outage[code]:
		return fmt.Errorf("%s: %w", op, gamedata.Unavailable("sqlite", err))
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// outage lists the result codes that mean the file cannot serve now, as
// opposed to a bad statement.
var outage = map[int]bool{
	sqlite3.SQLITE_BUSY: true, sqlite3.SQLITE_LOCKED: true, sqlite3.SQLITE_IOERR: true,
	sqlite3.SQLITE_FULL: true, sqlite3.SQLITE_CANTOPEN: true, sqlite3.SQLITE_NOMEM: true,
	sqlite3.SQLITE_READONLY: true, sqlite3.SQLITE_PROTOCOL: true, sqlite3.SQLITE_INTERRUPT: true,
}
