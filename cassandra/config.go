package cassandra

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
)

// Config says which cluster and keyspace the store uses and how it talks to
// them. Zero fields take the defaults named on each.
type Config struct {
	// Hosts are contact points, "host" or "host:port"; the driver discovers
	// the rest of the cluster from them.
	Hosts []string
	// Port is used for the hosts that name none; default 9042 (9142 is
	// Amazon Keyspaces' TLS port).
	Port int
	// Keyspace holds the tables ("gamedata_<region>" in production); create
	// it with ApplySchema.
	Keyspace string
	// LocalDC is the data centre (one per region) this process lives in:
	// requests go to its replicas, and LOCAL_* consistency counts there.
	LocalDC string
	// Username and Password log in with PasswordAuthenticator (on Amazon
	// Keyspaces: service-specific credentials). Empty: no authentication.
	Username, Password string
	// TLS, when set, encrypts every connection (required by Keyspaces).
	// The driver dials nodes by IP address, so a certificate issued for a
	// host name verifies only when TLS.ServerName names it.
	TLS *tls.Config

	// Consistency of reads and writes; default LOCAL_QUORUM.
	Consistency string
	// SerialConsistency of the lightweight transactions that only need to
	// be serial within this region (orders, payments, idempotency keys);
	// default LOCAL_SERIAL.
	SerialConsistency string
	// NameSerialConsistency of the claim of a player name, which must be
	// unique in every region; default SERIAL (LOCAL_SERIAL in Keyspaces
	// mode, where each region is its own keyspace).
	NameSerialConsistency string

	// Timeout bounds each request to a node; default 5s.
	Timeout time.Duration
	// ConnectTimeout bounds the initial connection to each node; default 5s.
	ConnectTimeout time.Duration
	// NumConns is the number of connections to each node in the local data
	// centre; default 2 (each carries thousands of requests at once).
	NumConns int
	// Retries is how often an idempotent statement is retried on another
	// replica after a timeout or an unavailable node; default 2. Statements
	// that are not idempotent (lightweight transactions) are never retried.
	Retries int
	// SpeculativeDelay is how long a read waits for its replica before the
	// same read is also sent to another one (the first answer wins), so a
	// node that died without closing its connections costs a read this
	// delay, not Timeout; default 500ms, negative: never. Only reads
	// speculate: a write sent twice costs twice on every replica.
	SpeculativeDelay time.Duration
	// RemoteDCs lets requests go to a coordinator in another data centre
	// when no node of LocalDC answers. Off by default: LOCAL_QUORUM would
	// then count in that other region, behind its players' backs and across
	// the WAN; a region whose data centre is down should be unready so that
	// its players are sent to another region's servers (docs/operations.md).
	RemoteDCs bool

	// Keyspaces adapts the store to Amazon Keyspaces (see docs/cassandra.md).
	Keyspaces bool

	// Observer, when set, is told of every query the driver runs (for
	// metrics and tracing).
	Observer gocql.QueryObserver

	// Clock decides what has expired and stamps change records; default
	// gamedata.SystemClock.
	Clock gamedata.Clock

	// FeedConsumers names the consumers of the change feed (one per region)
	// known before they first read it: the records wait for them from the
	// start. A consumer becomes known anyway at its first read.
	FeedConsumers []string
	// FeedRetention is how long change records are kept while no consumer
	// is known (search is not configured); default 7 days. Once one is,
	// records go only when every known consumer has passed them.
	FeedRetention time.Duration
	// FeedMargin is how late a change record may become visible after the
	// time in its id and still be read (see feed.go); default the longest
	// a write may take, (Retries+1) x Timeout, plus 5s of clock skew. Raise
	// it where records reach a region late (replication across regions).
	FeedMargin time.Duration
	// HistoryRetention is how long the day log keeps the changes of
	// players and orders for the archive (history.go); default
	// gamedata.DefaultRetention. Messages and events keep their own TTL.
	HistoryRetention time.Duration

	// MaxFriends bounds each player's friends (one partition each); default
	// gamedata.MaxFriends.
	MaxFriends int

	// Logger gets what the store's background work has to say (the removal
	// of change records); default slog.Default().
	Logger *slog.Logger
}

// Defaults.
const (
	DefaultPort     = 9042
	defaultTimeout  = 5 * time.Second
	defaultNumConns = 2
	defaultRetries  = 2
	// defaultSpeculativeDelay is well above a healthy read's p99 on a
	// loaded node (tens of milliseconds), so that speculation adds load only
	// when a replica is in trouble.
	defaultSpeculativeDelay = 500 * time.Millisecond
	// defaultFeedRetention is how long records are kept while no consumer
	// reads the feed, as in the SQLite store.
	defaultFeedRetention = 7 * 24 * time.Hour
	// clockSkew is what FeedMargin allows for the clocks of the application
	// servers to differ.
	clockSkew = 5 * time.Second
)

// identifier is what a keyspace name may be: CQL's unquoted identifier,
// within Cassandra's 48-character limit. It is checked because keyspace
// names are the one part of a statement that cannot be bound.
var identifier = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]{0,47}$`)

// settings is a Config checked and completed with its defaults.
type settings struct {
	Config
	consistency, serial, nameSerial gocql.Consistency
	// speculative is the policy of reads (see Config.SpeculativeDelay).
	speculative gocql.SpeculativeExecutionPolicy
	// intentGrace is how far ahead of the clock an intent is stamped (see
	// feed.go): the longest a write may take, plus clock skew.
	intentGrace time.Duration
}

func (c Config) settings() (settings, error) {
	s := settings{Config: c}
	var errs []error
	if len(c.Hosts) == 0 {
		errs = append(errs, errors.New("no hosts"))
	}
	if !identifier.MatchString(c.Keyspace) {
		errs = append(errs, fmt.Errorf("keyspace %q is not a name of 1 to 48 letters, digits and _ starting with a letter", c.Keyspace))
	}
	if c.LocalDC == "" {
		errs = append(errs, errors.New("no local data centre"))
	}
	if s.Port == 0 {
		s.Port = DefaultPort
	}
	if s.Timeout == 0 {
		s.Timeout = defaultTimeout
	}
	if s.ConnectTimeout == 0 {
		s.ConnectTimeout = defaultTimeout
	}
	if s.NumConns == 0 {
		s.NumConns = defaultNumConns
	}
	if s.Retries == 0 {
		s.Retries = defaultRetries
	}
	switch {
	case s.SpeculativeDelay == 0:
		s.SpeculativeDelay = defaultSpeculativeDelay
		fallthrough
	case s.SpeculativeDelay > 0:
		s.speculative = &gocql.SimpleSpeculativeExecution{NumAttempts: 1, TimeoutDelay: s.SpeculativeDelay}
	default:
		s.speculative = gocql.NonSpeculativeExecution{}
	}
	if s.Clock == nil {
		s.Clock = gamedata.SystemClock{}
	}
	if s.FeedRetention == 0 {
		s.FeedRetention = defaultFeedRetention
	}
	if s.HistoryRetention <= 0 {
		s.HistoryRetention = gamedata.DefaultRetention
	}
	if s.MaxFriends <= 0 {
		s.MaxFriends = gamedata.MaxFriends
	}
	s.intentGrace = time.Duration(s.Retries+1)*s.Timeout + clockSkew
	if s.FeedMargin == 0 {
		s.FeedMargin = s.intentGrace
	}
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	for _, c := range c.FeedConsumers {
		if err := checkConsumer(c); err != nil {
			errs = append(errs, fmt.Errorf("feed consumer %q: %w", c, err))
		}
	}
	if s.FeedRetention < 0 || s.FeedMargin < 0 || s.Retries < 0 {
		errs = append(errs, errors.New("negative feed retention, feed margin or retries"))
	}
	nameSerial := "SERIAL"
	if c.Keyspaces {
		nameSerial = "LOCAL_SERIAL"
	}
	var err error
	if s.consistency, err = parseConsistency("consistency", c.Consistency, "LOCAL_QUORUM", false); err != nil {
		errs = append(errs, err)
	}
	if s.serial, err = parseConsistency("serial consistency", c.SerialConsistency, "LOCAL_SERIAL", true); err != nil {
		errs = append(errs, err)
	}
	if s.nameSerial, err = parseConsistency("name serial consistency", c.NameSerialConsistency, nameSerial, true); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return s, fmt.Errorf("cassandra: config: %w", err)
	}
	return s, nil
}

// parseConsistency reads a consistency level by name; serial says whether
// it must be SERIAL or LOCAL_SERIAL (the levels of a Paxos round).
func parseConsistency(what, name, def string, serial bool) (gocql.Consistency, error) {
	if name == "" {
		name = def
	}
	c, err := gocql.ParseConsistencyWrapper(strings.ToUpper(name))
	if err != nil {
		return c, fmt.Errorf("%s: %w", what, err)
	}
	isSerial := c == gocql.Serial || c == gocql.LocalSerial
	if isSerial != serial {
		if serial {
			return c, fmt.Errorf("%s must be SERIAL or LOCAL_SERIAL, not %s", what, name)
		}
		return c, fmt.Errorf("%s must not be SERIAL or LOCAL_SERIAL (those are for lightweight transactions)", what)
	}
	return c, nil
}

// cluster is the driver's configuration for s; keyspace is the keyspace
// every connection uses ("" for none, to create it).
func (s settings) cluster(keyspace string) *gocql.ClusterConfig {
	cl := gocql.NewCluster(s.Hosts...)
	cl.Port = s.Port
	cl.Keyspace = keyspace
	cl.Timeout = s.Timeout
	cl.ConnectTimeout = s.ConnectTimeout
	cl.NumConns = s.NumConns
	cl.Consistency = s.consistency
	cl.SerialConsistency = s.serial
	// Token-aware routing sends each request to a replica of its partition
	// in the local data centre; shuffling the replicas spreads the load of a
	// hot partition over all of them.
	cl.PoolConfig.HostSelectionPolicy = gocql.TokenAwareHostPolicy(
		gocql.DCAwareRoundRobinPolicy(s.LocalDC), gocql.ShuffleReplicas())
	if !s.RemoteDCs {
		// The driver does not even connect to another data centre's nodes,
		// so no request, retry or speculative read can go there.
		cl.HostFilter = gocql.DataCenterHostFilter(s.LocalDC)
	}
	// The driver retries only statements marked idempotent (see statement);
	// ExponentialBackoffRetryPolicy would sleep without watching the context.
	cl.RetryPolicy = &gocql.SimpleRetryPolicy{NumRetries: s.Retries}
	// Pages are fetched when the store asks for them: a page of the API is
	// one page of the driver, and prefetching would read rows never used.
	cl.NextPagePrefetch = 0
	cl.QueryObserver = s.Observer
	if s.Username != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: s.Username, Password: s.Password}
	}
	if s.TLS != nil {
		cl.SslOpts = &gocql.SslOptions{Config: s.TLS} // verification as s.TLS says
	}
	return cl
}
