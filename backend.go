package gamedata

import "context"

// Backend is what a primary store offers: the Store every store is, and
// the optional capabilities, each nil where the store lacks it. A store
// fills it in its Backend method; a decorator (metrics, cache) replaces the
// fields it wraps and leaves the others; cmd/gamedata hands each field to
// whatever needs it. No code finds a capability by a type assertion.
// docs/architecture.md says how to add one.
type Backend struct {
	Store Store
	// Feed is the change feed that keeps search up to date.
	Feed ChangeFeed
	// FeedAdmin lists and retires the feed's consumers.
	FeedAdmin FeedAdmin
	// Searcher answers the complex queries from the store itself (SQLite);
	// nil where search lives elsewhere (OpenSearch).
	Searcher Searcher
	// Lister scans every player, for offline jobs (reindex).
	Lister PlayerLister
	// Social keeps the friendship graph and interests (every store).
	Social SocialStore
	// Recs keeps the built recommendations; RecsSource scans what they
	// are built from (every store).
	Recs       RecsStore
	RecsSource RecsSource
	// Purger deletes rows past their retention, for a store whose rows do
	// not expire by themselves (SQLite; Cassandra's expire by TTL).
	Purger Purger
	// History reads one day's writes, for the archive (both stores).
	History HistoryReader
	// Leaser hands out the lease that lets one instance run a job (both).
	Leaser Leaser
	// Backup reads every table a backup keeps (both stores).
	Backup BackupReader
	// Nodes tells how many of the store's nodes in this region answer
	// (Cassandra; nil for a store of one process).
	Nodes NodeReporter
}

// NodeReporter reports the nodes of a distributed store in the data centre
// (region) of this process, as its driver sees them: for /readyz and the
// metrics, which thus say which region is degraded.
type NodeReporter interface {
	LocalNodes() NodeCount
}

// NodeCount is the state of one data centre's nodes.
type NodeCount struct {
	DC string
	// Up of Known nodes answer.
	Up, Known int
}

// PlayerLister enumerates every player of the primary store. It is a scan
// of the whole players table, for offline jobs such as a reindex: never on
// a request path. A player created during the scan may be missed; one that
// exists throughout is listed once.
type PlayerLister interface {
	ListAllPlayers(ctx context.Context, fn func(Player) error) error
}

// Purger deletes the rows whose ExpiresAt has passed.
type Purger interface {
	// PurgeExpired deletes what has expired and returns how many rows.
	PurgeExpired(ctx context.Context) (int64, error)
}
