package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/metrics"
	"github.com/gamedata-dev/gamedata/opensearch"
)

// searchKinds are the values of --search.
var searchKinds = []string{"auto", "sqlite", "opensearch"}

// searchConfig chooses and configures search: SQL over the SQLite store, or
// OpenSearch fed from the store's change feed.
type searchConfig struct {
	Kind       string
	OpenSearch openSearchConfig
	Feed       feedConfig
	// Indexer runs the indexer and the lifecycle inside serve.
	Indexer bool
}

func (c *searchConfig) addFlags(fs *pflag.FlagSet) {
	fs.Var(newEnum(&c.Kind, "auto", searchKinds...), "search",
		"search backend: sqlite (SQL over the SQLite store), opensearch (the --opensearch-* cluster, fed from the store's change feed); "+
			"auto: sqlite with the SQLite store, none otherwise (the search endpoints answer 503)")
	c.OpenSearch.addFlags(fs)
	c.Feed.addFlags(fs)
	fs.BoolVar(&c.Indexer, "indexer", true,
		"with --search opensearch, run the indexer and the index lifecycle in this process; "+
			"turn it off on all but one node of a region, or where \"gamedata indexer\" runs")
}

// openSearchConfig holds the flags of the OpenSearch (or Elasticsearch)
// cluster and of its indices.
type openSearchConfig struct {
	URLs               []string
	Username, Password string
	CAFile             string
	InsecureSkipVerify bool
	IndexPrefix        string
	Shards, Replicas   int
	RefreshInterval    time.Duration
	Timeout            time.Duration
}

func (c *openSearchConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&c.URLs, "opensearch-url", []string{"http://127.0.0.1:9200"},
		"OpenSearch (or Elasticsearch) node URLs, comma-separated; https:// for TLS")
	fs.StringVar(&c.Username, "opensearch-username", "", "user for HTTP basic auth; empty: none")
	fs.StringVar(&c.Password, "opensearch-password", "", "password of --opensearch-username (prefer the environment variable to the flag)")
	fs.StringVar(&c.CAFile, "opensearch-ca-file", "", "PEM file of the CA that signed the cluster's certificate; empty: the system's CAs")
	fs.BoolVar(&c.InsecureSkipVerify, "opensearch-insecure-skip-verify", false,
		"accept any certificate from the cluster (tests only: it lets anyone on the path read and change searches)")
	fs.StringVar(&c.IndexPrefix, "opensearch-index-prefix", "",
		"starts every index, alias and template name, so that several deployments can share a cluster")
	fs.IntVar(&c.Shards, "opensearch-shards", opensearch.DefaultShards, "primary shards of each new index")
	fs.IntVar(&c.Replicas, "opensearch-replicas", opensearch.DefaultReplicas, "replicas of each shard of each new index")
	fs.DurationVar(&c.RefreshInterval, "opensearch-refresh-interval", opensearch.DefaultRefreshInterval,
		"how often new indices make writes searchable")
	fs.DurationVar(&c.Timeout, "opensearch-timeout", 10*time.Second, "how long a request to the cluster may take")
}

func (c openSearchConfig) open() (*opensearch.Client, error) {
	if c.Shards < 1 || c.Replicas < 0 || c.RefreshInterval <= 0 || c.Timeout <= 0 {
		return nil, fmt.Errorf("--opensearch-shards must be at least 1 (not %d), --opensearch-replicas at least 0 (not %d), "+
			"--opensearch-refresh-interval and --opensearch-timeout positive (not %s, %s)", c.Shards, c.Replicas, c.RefreshInterval, c.Timeout)
	}
	return opensearch.Open(opensearch.Config{
		URLs: c.URLs, Username: c.Username, Password: c.Password, CAFile: c.CAFile, InsecureSkipVerify: c.InsecureSkipVerify,
		Prefix: c.IndexPrefix, Shards: c.Shards, Replicas: c.Replicas, RefreshInterval: c.RefreshInterval, RequestTimeout: c.Timeout,
	})
}

// feedConfig holds the flags of the indexer and of the index lifecycle,
// which run wherever the cluster is fed: inside serve, or as "gamedata
// indexer".
type feedConfig struct {
	Region            string
	BatchSize         int
	PollInterval      time.Duration
	LifecycleInterval time.Duration
	OrdersMaxDocs     int64
	OrdersMaxSize     string
	MessagesMaxDocs   int64
	MessagesMaxSize   string
}

func (c *feedConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Region, "region", "",
		"this region's name: the indexer's position in the change feed, so that each region's cluster is fed on its own; "+
			"empty: --cassandra-local-dc with the Cassandra store, \"local\" with SQLite")
	fs.IntVar(&c.BatchSize, "indexer-batch-size", 500, "changes the indexer reads and bulk-indexes at once")
	fs.DurationVar(&c.PollInterval, "indexer-poll-interval", 100*time.Millisecond, "how often the indexer looks for changes while the feed is empty")
	fs.DurationVar(&c.LifecycleInterval, "opensearch-lifecycle-interval", time.Minute, "how often indices are rolled over and deleted past retention")
	fs.Int64Var(&c.OrdersMaxDocs, "opensearch-orders-max-docs", 0, "roll the orders index over before the month ends at this many documents; 0: no limit")
	fs.StringVar(&c.OrdersMaxSize, "opensearch-orders-max-size", "50GB", "roll the orders index over before the month ends at this size (with replicas); 0: no limit")
	fs.Int64Var(&c.MessagesMaxDocs, "opensearch-messages-max-docs", 0, "roll the messages index over before the week ends at this many documents; 0: no limit")
	fs.StringVar(&c.MessagesMaxSize, "opensearch-messages-max-size", "50GB", "roll the messages index over before the week ends at this size (with replicas); 0: no limit")
}

// rollover reads the size limits of a family.
func rollover(docs int64, size, flag string) (opensearch.Rollover, error) {
	bytes, err := humanize.ParseBytes(size)
	if err != nil || docs < 0 {
		return opensearch.Rollover{}, fmt.Errorf("--%s-max-size %q, --%s-max-docs %d: want a size such as 50GB and a count >= 0", flag, size, flag, docs)
	}
	return opensearch.Rollover{MaxDocs: docs, MaxBytes: int64(bytes)}, nil
}

// feeder is what keeps a cluster fed: the indexer of the change feed and
// the index lifecycle.
type feeder struct {
	indexer   *opensearch.Indexer
	lifecycle *opensearch.Lifecycle
}

// newFeeder makes the feeder of client from the store's change feed; the
// indexer reads rows from b.Store, which must not be cached.
func newFeeder(c feedConfig, sc storeConfig, retention time.Duration, client *opensearch.Client, b gamedata.Backend,
	clock gamedata.Clock, log *slog.Logger, reg prometheus.Registerer,
) (*feeder, error) {
	if b.Feed == nil {
		return nil, fmt.Errorf("the %s store has no change feed (yet): nothing could feed OpenSearch", sc.Kind)
	}
	region := c.Region
	if region == "" {
		region = "local"
		if sc.Kind == "cassandra" {
			region = sc.Cassandra.LocalDC
		}
	}
	if c.BatchSize < 1 || c.PollInterval <= 0 || c.LifecycleInterval <= 0 {
		return nil, fmt.Errorf("--indexer-batch-size must be at least 1 (not %d), --indexer-poll-interval and "+
			"--opensearch-lifecycle-interval positive (not %s, %s)", c.BatchSize, c.PollInterval, c.LifecycleInterval)
	}
	orders, err := rollover(c.OrdersMaxDocs, c.OrdersMaxSize, "opensearch-orders")
	if err != nil {
		return nil, err
	}
	messages, err := rollover(c.MessagesMaxDocs, c.MessagesMaxSize, "opensearch-messages")
	if err != nil {
		return nil, err
	}
	ix, err := opensearch.NewIndexer(client, b.Store, b.Feed, opensearch.IndexerConfig{
		Consumer: region, BatchSize: c.BatchSize, PollInterval: c.PollInterval, Clock: clock, Logger: log, Registerer: reg,
	})
	if err != nil {
		return nil, err
	}
	lc := opensearch.NewLifecycle(client, opensearch.LifecycleConfig{
		Orders: orders, Messages: messages, MessagesRetention: retention, Interval: c.LifecycleInterval, Clock: clock, Logger: log,
	})
	log.Info("feeding OpenSearch from the change feed", "region", region)
	return &feeder{indexer: ix, lifecycle: lc}, nil
}

// run runs the indexer and the lifecycle until ctx ends.
func (f *feeder) run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Go(func() { _ = f.lifecycle.Run(ctx) }) // Run logs its failures and stops only with ctx
	wg.Go(func() { _ = f.indexer.Run(ctx) })
	wg.Wait()
}

// searchBackend is the search side of a server: what answers the searches,
// what tells whether it is ready, and what feeds it.
type searchBackend struct {
	searcher gamedata.Searcher // nil: no search
	ready    func(context.Context) error
	feeder   *feeder
	close    func() error
}

// openSearch opens the search backend that c chooses for the store b; the
// OpenSearch searcher is measured by m.
func openSearch(c searchConfig, sc storeConfig, retention time.Duration, b gamedata.Backend, clock gamedata.Clock,
	log *slog.Logger, reg prometheus.Registerer, m *metrics.StoreMetrics,
) (*searchBackend, error) {
	none := &searchBackend{close: func() error { return nil }}
	kind := c.Kind
	if kind == "auto" {
		kind = "none"
		if b.Searcher != nil && sc.Kind == "sqlite" {
			kind = "sqlite"
		}
	}
	switch kind {
	case "sqlite":
		if b.Searcher == nil || sc.Kind != "sqlite" {
			return nil, errors.New("--search sqlite needs --store sqlite")
		}
		return &searchBackend{searcher: b.Searcher, close: none.close}, nil
	case "opensearch":
		client, err := c.OpenSearch.open()
		if err != nil {
			return nil, err
		}
		sb := &searchBackend{searcher: m.Searcher("opensearch", opensearch.NewSearcher(client)), ready: client.Ping, close: client.Close}
		if c.Indexer {
			if sb.feeder, err = newFeeder(c.Feed, sc, retention, client, b, clock, log, reg); err != nil {
				return nil, errors.Join(err, client.Close())
			}
		}
		return sb, nil
	default:
		log.Info("no search backend: the search endpoints answer 503", "store", sc.Kind)
		return none, nil
	}
}
