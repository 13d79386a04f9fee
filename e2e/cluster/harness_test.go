package cluster

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
	"github.com/gamedata-dev/gamedata/cassandra/clustertest"
	"github.com/gamedata-dev/gamedata/client"
	"github.com/gamedata-dev/gamedata/metrics"
	"github.com/gamedata-dev/gamedata/opensearch"
	"github.com/gamedata-dev/gamedata/opensearch/opensearchtest"
	"github.com/gamedata-dev/gamedata/recs"
)

// adminKey is the GAMEDATA_ADMIN_KEY of every region's server.
const adminKey = "cluster-admin-key-0123456789"

// replicationWait bounds how long a write made in one region may take to be
// seen in the other (replication, hints after an outage, an indexer's
// poll). It is a bound for a loaded machine, not a measure.
const replicationWait = 2 * time.Minute

// replication is the keyspace's: three replicas in dc1 (one per node), one
// in dc2. A SERIAL round needs 3 of the 4, so names stay claimable in dc1
// while dc2 or one node of dc1 is down.
var replication = map[string]int{"dc1": 3, "dc2": 1}

// The keyspace every test of the run shares (names are random), made on
// first use and dropped by TestMain.
var shared struct {
	once sync.Once
	cfg  cassandra.Config
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.cfg.Keyspace != "" && shared.err == nil {
		if err := cassandratest.Drop(shared.cfg); err != nil {
			fmt.Fprintln(os.Stderr, "drop the cluster keyspace:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// keyspace returns the cluster and the shared keyspace's name.
func keyspace(t *testing.T) (*clustertest.Cluster, string) {
	t.Helper()
	c := clustertest.Require(t)
	shared.once.Do(func() {
		cfg := c.Config("dc1")
		cfg.Keyspace = cassandratest.FreshName()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		start := time.Now()
		_, shared.err = cassandra.ApplySchema(ctx, cfg, cassandra.Schema{Keyspace: cfg.Keyspace, Replication: replication})
		shared.cfg = cfg
		t.Logf("keyspace %s %v made in %.1fs", cfg.Keyspace, replication, time.Since(start).Seconds())
	})
	if shared.err != nil {
		t.Fatalf("create the keyspace: %v", shared.err)
	}
	return c, shared.cfg.Keyspace
}

// region is one region's deployment: an API server over the store of its
// data centre, its own search indices and indexer.
type region struct {
	t          *testing.T
	dc         string
	store      *cassandra.Store
	url        string
	metricsURL string
	admin      *client.Client
	anon       *client.Client
	search     *opensearch.Client
	indexer    *opensearch.Indexer
	// stopIndexer stops the indexer's loop and waits for it.
	stopIndexer func()
}

// newRegion starts region dc on keyspace ks: as serve wires it (readiness
// of the store, search and the data centre's nodes; the nodes' metrics),
// with its indexer running.
func newRegion(t *testing.T, c *clustertest.Cluster, ks, dc string) *region {
	t.Helper()
	cfg := c.Config(dc)
	cfg.Keyspace = ks
	cfg.FeedConsumers = []string{"dc1", "dc2"}
	store, err := cassandra.Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open the store of %s: %v", dc, err)
	}
	t.Cleanup(func() { _ = store.Close() })
	b := store.Backend()
	osc := opensearchtest.Open(t, opensearchtest.Require(t))
	reg := prometheus.NewRegistry()
	ready := map[string]func(context.Context) error{"store": store.Ping, "search": osc.Ping}
	optional := map[string]func(context.Context) error{"store:" + dc: metrics.NodesCheck(b.Nodes)}
	reg.MustRegister(metrics.NewNodes(b.Nodes))
	srv, err := api.New(api.Config{
		Store: store, Searcher: opensearch.NewSearcher(osc), Social: b.Social,
		Recommender: &recs.Service{Recs: b.Recs, Social: b.Social, Orders: store},
		Registry:    reg, AdminKey: adminKey, Ready: ready, Optional: optional,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = api.Listener(hs.Listener)
	hs.Start()
	t.Cleanup(hs.Close)
	ms := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(ms.Close)
	r := &region{t: t, dc: dc, store: store, url: hs.URL, metricsURL: ms.URL + "/metrics", search: osc}
	r.anon = r.client("")
	r.admin = r.client(adminKey)
	r.indexer, err = opensearch.NewIndexer(osc, store, store, opensearch.IndexerConfig{
		Consumer: dc, Registerer: prometheus.NewRegistry(), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	r.startIndexer()
	t.Cleanup(r.stopIndexer)
	return r
}

// startIndexer runs the region's indexer in the background, as serve does.
func (r *region) startIndexer() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = r.indexer.Run(ctx) // it retries outages itself; it ends with ctx
	}()
	r.stopIndexer = sync.OnceFunc(func() { cancel(); <-done })
}

func (r *region) client(token string) *client.Client {
	c, err := client.New(r.url, client.WithToken(token))
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// name returns a player name no other test uses.
func name(base string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s_%x", base, b)
}

const password = "correct-horse-battery"

// register registers a new player in r and returns its name.
func (r *region) register(base string) string {
	r.t.Helper()
	n := name(base)
	if _, err := r.anon.CreatePlayer(context.Background(), client.NewPlayer{Name: n, Password: password}); err != nil {
		r.t.Fatalf("register %s in %s: %v", n, r.dc, err)
	}
	return n
}

// login logs n in through r and returns a client acting as it.
func (r *region) login(n string) (*client.Client, error) {
	s, err := r.anon.Login(context.Background(), n, password)
	if err != nil {
		return nil, err
	}
	return r.anon.WithToken(s.Token), nil
}

// eventually calls fn until it returns nil, for up to replicationWait, and
// fails t with its last error if it never does.
func eventually(t *testing.T, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(replicationWait)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not after %v: %v", what, replicationWait, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// searchPlayers answers GET /v1/search/players?name_prefix= in r.
func (r *region) searchPlayers(prefix string) ([]string, error) {
	var page client.Page[gamedata.Player]
	q := url.Values{"name_prefix": {prefix}, "limit": {"100"}}
	if err := r.admin.Do(context.Background(), http.MethodGet, "/v1/search/players?"+q.Encode(), nil, &page); err != nil {
		return nil, err
	}
	var out []string
	for _, p := range page.Items {
		out = append(out, p.Name)
	}
	return out, nil
}

// searchFinds waits until r's search finds every player of names.
func (r *region) searchFinds(names ...string) {
	r.t.Helper()
	for _, n := range names {
		eventually(r.t, fmt.Sprintf("search in %s finds %s", r.dc, n), func() error {
			got, err := r.searchPlayers(n)
			if err != nil {
				return err
			}
			for _, g := range got {
				if strings.EqualFold(g, n) {
					return nil
				}
			}
			return fmt.Errorf("found %v", got)
		})
	}
}

// readiness returns r's /readyz: its HTTP status and body.
func (r *region) readiness() (int, client.Readiness) {
	r.t.Helper()
	resp, err := r.anon.Raw(context.Background(), http.MethodGet, "/readyz", "", nil)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var body client.Readiness
	b, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(b, &body)
	return resp.StatusCode, body
}

// metric returns the line of r's metrics that starts with prefix (name and
// labels), or "".
func (r *region) metric(prefix string) string {
	r.t.Helper()
	resp, err := http.Get(r.metricsURL)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for line := range strings.SplitSeq(string(b), "\n") {
		if strings.HasPrefix(line, prefix) {
			return line
		}
	}
	return ""
}

// status is the HTTP status of a client error, 0 for another error, 200
// for none.
func status(err error) int {
	if err == nil {
		return http.StatusOK
	}
	var e *client.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}
