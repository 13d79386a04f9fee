package opensearch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/opensearch"
	"github.com/gamedata-dev/gamedata/opensearch/opensearchtest"
)

// cluster is a test's view of its own indices.
type cluster struct {
	t   testing.TB
	cfg opensearch.Config
	c   *opensearch.Client
}

// newCluster gives t a client on fresh indices, deleted when t ends.
func newCluster(t testing.TB) *cluster {
	cfg := opensearchtest.Require(t)
	return &cluster{t: t, cfg: cfg, c: opensearchtest.Open(t, cfg)}
}

// via returns a client of the same indices through another URL (a proxy).
func (cl *cluster) via(rawURL string) *opensearch.Client {
	cfg := cl.cfg
	cfg.URLs = []string{rawURL}
	cfg.RequestTimeout = 5 * time.Second
	c, err := opensearch.Open(cfg)
	if err != nil {
		cl.t.Fatal(err)
	}
	cl.t.Cleanup(func() { _ = c.Close() })
	return c
}

// call sends a request straight to the node and decodes its JSON answer.
func (cl *cluster) call(method, path string, body any) map[string]any {
	cl.t.Helper()
	out, err := cl.try(method, path, body)
	if err != nil {
		cl.t.Fatal(err)
	}
	return out
}

// try is call for any goroutine: it returns the failure.
func (cl *cluster) try(method, path string, body any) (map[string]any, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(cl.t.Context(), method, strings.TrimSuffix(cl.cfg.URLs[0], "/")+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return nil, fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		return nil, fmt.Errorf("%s %s: %s: %v", method, path, resp.Status, out)
	}
	return out, nil
}

// hit is a document as a search returns it.
type hit struct {
	Index   string          `json:"_index"`
	ID      string          `json:"_id"`
	Version int64           `json:"_version"`
	Source  json.RawMessage `json:"_source"`
}

// docs returns every document under index (an alias or pattern of this
// test's prefix), after a refresh.
func (cl *cluster) docs(index string) []hit {
	cl.t.Helper()
	if err := cl.c.Refresh(cl.t.Context()); err != nil {
		cl.t.Fatal(err)
	}
	out := cl.call(http.MethodPost, "/"+cl.cfg.Prefix+index+"/_search?version=true&ignore_unavailable=true&allow_no_indices=true",
		map[string]any{"size": 10000, "query": map[string]any{"match_all": map[string]any{}}})
	b, err := json.Marshal(out["hits"].(map[string]any)["hits"])
	if err != nil {
		cl.t.Fatal(err)
	}
	var hits []hit
	if err := json.Unmarshal(b, &hits); err != nil {
		cl.t.Fatal(err)
	}
	return hits
}

// indices returns this test's indices with their aliases, names without the
// prefix.
func (cl *cluster) indices() map[string][]string {
	cl.t.Helper()
	all, err := cl.c.Indices(cl.t.Context())
	if err != nil {
		cl.t.Fatal(err)
	}
	out := map[string][]string{}
	for index, aliases := range all {
		var as []string
		for _, a := range aliases {
			as = append(as, strings.TrimPrefix(a, cl.cfg.Prefix))
		}
		out[strings.TrimPrefix(index, cl.cfg.Prefix)] = as
	}
	return out
}

// newIndexer returns an indexer of src into c, with quick retries, its
// metrics registered on reg (nil: a registry of its own).
func newIndexer(t testing.TB, c *opensearch.Client, src source, reg *prometheus.Registry) *opensearch.Indexer {
	t.Helper()
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	ix, err := opensearch.NewIndexer(c, src, src, opensearch.IndexerConfig{
		Consumer:   "test-region",
		BatchSize:  50,
		MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 500 * time.Millisecond,
		Registerer: reg,
		Logger:     slog.New(slog.NewTextHandler(t.Output(), nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

// drain indexes everything the feed holds and makes it searchable.
func drain(t *testing.T, ix *opensearch.Indexer, c *opensearch.Client) { opensearchtest.Sync(t, ix, c) }

// runIndexer runs ix in the background until the returned stop is called.
func runIndexer(t testing.TB, ix *opensearch.Indexer) (stop func()) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := ix.Run(ctx); err != nil {
			t.Errorf("indexer: %v", err)
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// eventually polls cond every 50ms until it holds, failing t after limit.
func eventually(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", limit, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pending returns how many changes the test consumer has not committed.
func pending(t *testing.T, feed gamedata.ChangeFeed) int64 {
	t.Helper()
	st, err := feed.FeedStatus(t.Context(), "test-region")
	if err != nil {
		t.Fatal(err)
	}
	return st.Pending
}

// metric reads one metric (summed over its labels) from reg.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	sum := 0.0
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// proxy is a TCP proxy to the test node that a test can stop, restart, and
// make misbehave, so that the shared node never has to.
type proxy struct {
	t      *testing.T
	target string
	addr   string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
	// cut: close a connection as soon as the node answers a bulk request on
	// it, after the request reached the node (an indexer killed mid-bulk
	// sees no answer).
	cut atomic.Bool
	// hold: keep the node's answers to bulk requests back until the
	// connection closes.
	hold atomic.Bool
	// answered counts the answers cut or held.
	answered atomic.Int64
}

// newProxy starts a proxy to the node at nodeURL.
func newProxy(t *testing.T, nodeURL string) *proxy {
	u, err := url.Parse(nodeURL)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, target: u.Host, addr: "127.0.0.1:0", conns: map[net.Conn]bool{}}
	p.start()
	t.Cleanup(p.stop)
	return p
}

func (p *proxy) url() string { return "http://" + p.addr }

// start listens (again, on the same port).
func (p *proxy) start() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
}

// stop closes the listener and every connection: the node is unreachable.
func (p *proxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		_ = p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		_ = c.Close()
	}
	clear(p.conns)
}

func (p *proxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = true
	}
}

func (p *proxy) serve(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	p.track(client, server)
	closeBoth := func() { _ = client.Close(); _ = server.Close() }
	// bulk: the request being answered on this connection is a _bulk.
	var bulk atomic.Bool
	go func() {
		buf := make([]byte, 32<<10)
		for {
			n, err := client.Read(buf)
			if n > 0 {
				if line, _, ok := bytes.Cut(buf[:n], []byte("\r\n")); ok && bytes.Contains(line, []byte(" HTTP/1.1")) {
					bulk.Store(bytes.Contains(line, []byte("/_bulk")))
				}
				if _, werr := server.Write(buf[:n]); werr != nil {
					break
				}
			}
			if err != nil {
				break
			}
		}
		closeBoth()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := server.Read(buf)
		if n > 0 {
			switch {
			case !bulk.Load():
			case p.cut.Load():
				p.answered.Add(1)
				closeBoth()
				return
			case p.hold.Load():
				p.answered.Add(1)
				_, _ = io.Copy(io.Discard, server) // until either side closes
				closeBoth()
				return
			}
			if _, werr := client.Write(buf[:n]); werr != nil {
				closeBoth()
				return
			}
		}
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				closeBoth()
			}
			return
		}
	}
}
