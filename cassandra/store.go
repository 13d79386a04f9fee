// Package cassandra is the production primary store: every gamedata.Store
// method over Apache Cassandra (or Amazon Keyspaces), through the Apache
// Cassandra Go driver.
//
// Every read the API makes is a read of one partition, or of a small
// bounded set of them found through a bucket index; state changes that must
// happen once are lightweight transactions; rows written for one fact go in
// one LOGGED batch; data kept for a while carries its TTL. The tables are
// created by ApplySchema (gamedata schema apply); docs/cassandra.md explains
// the model.
package cassandra

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
)

// Store is the Cassandra gamedata.Store. It is safe for concurrent use.
type Store struct {
	cfg     settings
	session *gocql.Session
	// run runs every statement (see Executor).
	run    Executor
	clock  gamedata.Clock
	feed   *feed
	closed atomic.Bool
	// dayParts remembers the day-log index rows written (history.go).
	dayParts     sync.Map
	dayPartCount atomic.Int64
	// began remembers the earliest day this process logged, by table.
	began sync.Map
}

var _ gamedata.Store = (*Store)(nil)

// Backend is what the Cassandra store offers: no searcher (OpenSearch
// answers searches, fed by the change feed) and no purger (rows expire by
// TTL). See docs/architecture.md.
func (s *Store) Backend() gamedata.Backend {
	return gamedata.Backend{Store: s, Feed: s, FeedAdmin: s, Lister: s, History: s, Leaser: s, Social: s, Backup: s,
		Recs: s, RecsSource: s, Nodes: s}
}

// LocalNodes counts the nodes of the local data centre the driver knows of
// (from the ring it reads through its control connection) and those it
// holds up (it marks a node down when its connections fail or the cluster
// says so, and up again when it reconnects).
func (s *Store) LocalNodes() gamedata.NodeCount {
	n := gamedata.NodeCount{DC: s.cfg.LocalDC}
	for _, h := range s.session.GetHosts() {
		if h.DataCenter() != s.cfg.LocalDC {
			continue
		}
		n.Known++
		if h.IsUp() {
			n.Up++
		}
	}
	return n
}

// Open connects to the cluster, checks that the keyspace holds the schema
// this build needs (see ApplySchema) and prepares every statement, so that
// a missing table or column is reported now, not on the first request.
func Open(ctx context.Context, cfg Config) (*Store, error) { return open(ctx, cfg, driverExecutor{}) }

// open is Open with the statements run by run.
func open(ctx context.Context, cfg Config, run Executor) (*Store, error) {
	set, err := cfg.settings()
	if err != nil {
		return nil, err
	}
	session, err := set.cluster(set.Keyspace).CreateSession()
	if err != nil {
		return nil, connectError(ctx, set, err)
	}
	s := &Store{cfg: set, session: session, run: run, clock: set.Clock, feed: newFeed()}
	if err := s.checkSchema(ctx); err != nil {
		session.Close()
		return nil, err
	}
	for _, st := range statements {
		if _, err := session.StatementMetadata(ctx, st.cql, ""); err != nil {
			session.Close()
			return nil, s.fail(fmt.Sprintf("prepare %q", st.cql), err)
		}
	}
	// The removal of change records outlives ctx, which only bounds Open.
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.feed.stop, s.feed.done = stop, make(chan struct{})
	go s.removeLoop(bg, s.feed.done)
	return s, nil
}

// connectError explains why no connection to the keyspace could be made:
// the keyspace is missing, or the cluster is unreachable.
func connectError(ctx context.Context, set settings, err error) error {
	if session, err2 := set.cluster("").CreateSession(); err2 == nil {
		defer session.Close()
		var name string
		err2 = session.Query(`SELECT keyspace_name FROM system_schema.keyspaces WHERE keyspace_name = ?`, set.Keyspace).
			ScanContext(ctx, &name)
		if errors.Is(err2, gocql.ErrNotFound) {
			return fmt.Errorf("cassandra: keyspace %s does not exist: create it with `gamedata schema apply`", set.Keyspace)
		}
	}
	return fmt.Errorf("cassandra: connect to %v in data centre %s (the driver uses the nodes of --cassandra-local-dc only): %w",
		set.Hosts, set.LocalDC, gamedata.Unavailable("cassandra", err))
}

// Close stops the store's background work and closes every connection;
// calls after it fail with ErrUnavailable.
func (s *Store) Close() error {
	if !s.closed.Swap(true) {
		if s.feed != nil && s.feed.stop != nil {
			s.feed.stop()
			<-s.feed.done
		}
		s.session.Close()
	}
	return nil
}

// asStored returns t as a timestamp column gives it back: in UTC, to the
// millisecond.
func asStored(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

var ping = read(`SELECT release_version FROM system.local WHERE key = ?`)

// Ping asks the node the driver picks for its version.
func (s *Store) Ping(ctx context.Context) error {
	var version string
	if err := s.query(ping, "local").scan(ctx, &version); err != nil {
		return s.fail("ping", err)
	}
	return nil
}

// fail wraps err with op and maps it to the domain errors: no row is
// ErrNotFound; a write that timed out on the replicas, or a lightweight
// transaction whose Paxos round may still commit, is ErrUnknownOutcome
// (either may be applied later); a node that is down, overloaded or slow, a
// lost connection, a deadline or a closed store is ErrUnavailable. Domain
// errors pass through; anything else (a bad statement) is wrapped as it is.
func (s *Store) fail(op string, err error) error {
	var reqErr gocql.RequestError
	var netErr net.Error
	var writeTimeout *gocql.RequestErrWriteTimeout
	var casUnknown *gocql.RequestErrCASWriteUnknown
	switch {
	case errors.Is(err, gamedata.ErrNotFound), errors.Is(err, gamedata.ErrConflict),
		errors.Is(err, gamedata.ErrInvalid), errors.Is(err, gamedata.ErrUnavailable),
		errors.Is(err, gamedata.ErrUnknownOutcome):
		return fmt.Errorf("cassandra: %s: %w", op, err)
	case errors.Is(err, gocql.ErrNotFound):
		return fmt.Errorf("cassandra: %s: %w", op, gamedata.ErrNotFound)
	case errors.As(err, &writeTimeout), errors.As(err, &casUnknown):
		return fmt.Errorf("%s: %w", op, gamedata.UnknownOutcome("cassandra", err))
	case s.closed.Load(), errors.As(err, &netErr), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &reqErr) && outage[reqErr.Code()], transient(err):
		return fmt.Errorf("%s: %w", op, gamedata.Unavailable("cassandra", err))
	}
	return fmt.Errorf("cassandra: %s: %w", op, err)
}

// outage lists the error codes of a cluster that cannot serve now, as
// opposed to a bad statement: not enough replicas alive, overload, a read's
// timeout, a failure of the replicas. (A write's timeout is not an outage:
// see fail.)
var outage = map[int]bool{
	gocql.ErrCodeServer: true, gocql.ErrCodeUnavailable: true, gocql.ErrCodeOverloaded: true,
	gocql.ErrCodeBootstrapping: true, gocql.ErrCodeTruncate: true, gocql.ErrCodeReadTimeout: true,
	gocql.ErrCodeReadFailure: true, gocql.ErrCodeWriteFailure: true, gocql.ErrCodeCDCWriteFailure: true,
}

// transient reports the driver's own errors for a cluster it cannot reach.
func transient(err error) bool {
	for _, e := range []error{gocql.ErrNoConnections, gocql.ErrSessionClosed, gocql.ErrTimeoutNoResponse,
		gocql.ErrConnectionClosed, gocql.ErrNoStreams, gocql.ErrTooManyTimeouts, gocql.ErrUnavailable} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}
