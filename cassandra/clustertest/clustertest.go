// Package clustertest gives tests the multi-node Cassandra cluster that
// scripts/testenv starts (engine cassandra-cluster: three nodes in dc1, one
// in dc2, each on its own loopback address), fresh keyspaces on it, and the
// means to stop and start a node:
//
//	scripts/testenv/testenv up cassandra-cluster
//	eval "$(scripts/testenv/testenv env)"   # GAMEDATA_TEST_CLUSTER...
//
// Without it a test skips, saying so, except under CI (CI=true), where a
// missing cluster fails the run. Tests that stop nodes would disturb each
// other, so the first Require of a test binary takes a lock that only one
// binary on the machine holds at a time, until it exits.
package clustertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
)

// Environment variables that scripts/testenv exports.
const (
	// EnvHosts lists every node's CQL address, comma-separated.
	EnvHosts = "GAMEDATA_TEST_CLUSTER"
	// EnvNodes describes each node: name=host:port@dc/rack, space-separated.
	EnvNodes = "GAMEDATA_TEST_CLUSTER_NODES"
	// EnvTestenv and EnvTestenvCmd name the runtime dir and the testenv
	// script, which stops and starts nodes.
	EnvTestenv    = "GAMEDATA_TESTENV"
	EnvTestenvCmd = "GAMEDATA_TESTENV_CMD"
)

// Missing says how to get the cluster, for a test that has none.
const Missing = EnvNodes + " is not set: start the cluster with `scripts/testenv/testenv up cassandra-cluster` " +
	"and `eval \"$(scripts/testenv/testenv env)\"` (or run `make test`, which starts it for ./e2e/cluster)"

// Timeouts of the cluster's chores on a small, shared machine.
const (
	setupTimeout = 3 * time.Minute
	// nodeTimeout bounds stopping or starting one node.
	nodeTimeout = 5 * time.Minute
)

// Node is one node of the cluster.
type Node struct {
	Name     string // node1, node2, ...
	Addr     string // host:port of CQL
	DC, Rack string
}

// Host is the node's address without the port.
func (n Node) Host() string { h, _, _ := strings.Cut(n.Addr, ":"); return h }

// Cluster is the test cluster.
type Cluster struct {
	Nodes []Node
	cmd   string
}

var lock struct {
	once sync.Once
	file *os.File
	err  error
}

// Require returns the cluster, or skips tb (fails it under CI). The first
// call of a test binary waits for, and takes, the machine-wide lock of the
// cluster (see the package comment).
func Require(tb testing.TB) *Cluster {
	tb.Helper()
	spec := os.Getenv(EnvNodes)
	if spec == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("CI: " + Missing)
		}
		tb.Skip(Missing)
	}
	c, err := parse(spec)
	if err != nil {
		tb.Fatalf("%s: %v", EnvNodes, err)
	}
	c.cmd = os.Getenv(EnvTestenvCmd)
	lock.once.Do(func() { lock.file, lock.err = takeLock(tb) })
	if lock.err != nil {
		tb.Fatal(lock.err)
	}
	return c
}

func parse(spec string) (*Cluster, error) {
	c := &Cluster{}
	for f := range strings.FieldsSeq(spec) {
		name, rest, ok1 := strings.Cut(f, "=")
		addr, place, ok2 := strings.Cut(rest, "@")
		dc, rack, ok3 := strings.Cut(place, "/")
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("node %q: want name=host:port@dc/rack", f)
		}
		c.Nodes = append(c.Nodes, Node{Name: name, Addr: addr, DC: dc, Rack: rack})
	}
	if len(c.Nodes) == 0 {
		return nil, fmt.Errorf("no node in %q", spec)
	}
	return c, nil
}

// takeLock holds an exclusive flock on a file of the runtime dir until the
// process exits.
func takeLock(tb testing.TB) (*os.File, error) {
	dir := os.Getenv(EnvTestenv)
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, "run", "cassandra-cluster.tests.lock")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
		tb.Logf("another test binary uses the cluster: waiting for %s", path)
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
	}
	return f, nil
}

// DCs returns the data centres, each with its number of nodes.
func (c *Cluster) DCs() map[string]int {
	m := map[string]int{}
	for _, n := range c.Nodes {
		m[n.DC]++
	}
	return m
}

// InDC returns the nodes of dc.
func (c *Cluster) InDC(dc string) []Node {
	var out []Node
	for _, n := range c.Nodes {
		if n.DC == dc {
			out = append(out, n)
		}
	}
	return out
}

// Node returns the node named name.
func (c *Cluster) Node(tb testing.TB, name string) Node {
	tb.Helper()
	i := slices.IndexFunc(c.Nodes, func(n Node) bool { return n.Name == name })
	if i < 0 {
		tb.Fatalf("no node %s in the cluster", name)
	}
	return c.Nodes[i]
}

// Config is the store's configuration for a process of region dc: the
// nodes of dc as contact points (the driver finds the others), LOCAL_QUORUM
// there, no keyspace.
func (c *Cluster) Config(dc string) cassandra.Config {
	var hosts []string
	for _, n := range c.InDC(dc) {
		hosts = append(hosts, n.Addr)
	}
	return cassandra.Config{
		Hosts: hosts, LocalDC: dc,
		// The machine is small and shared: leave room for a slow node.
		Timeout: 15 * time.Second,
	}
}

// Keyspace creates a fresh keyspace with replication (a factor per data
// centre) and the whole schema, dropped when tb ends, and returns the
// configuration of region dc on it.
func (c *Cluster) Keyspace(tb testing.TB, dc string, replication map[string]int) cassandra.Config {
	tb.Helper()
	cfg := c.Config(dc)
	cfg.Keyspace = cassandratest.FreshName()
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	if _, err := cassandra.ApplySchema(ctx, cfg, cassandra.Schema{Keyspace: cfg.Keyspace, Replication: replication}); err != nil {
		tb.Fatalf("create keyspace %s: %v", cfg.Keyspace, err)
	}
	tb.Cleanup(func() {
		if err := cassandratest.Drop(cfg); err != nil {
			tb.Errorf("drop keyspace %s: %v", cfg.Keyspace, err)
		}
	})
	return cfg
}

// Stop stops node as an operator would (SIGTERM: the node tells the others
// it is going away, then ends), and registers a cleanup that starts it
// again if the test did not.
func (c *Cluster) Stop(tb testing.TB, node string) {
	tb.Helper()
	c.Node(tb, node)
	c.restartLater(tb, node)
	c.testenv(tb, "down", "cassandra-"+node)
}

// Kill ends node's process at once (SIGKILL), as a crash of its machine
// would: the others notice only when it stops answering. A cleanup starts it
// again if the test did not.
func (c *Cluster) Kill(tb testing.TB, node string) {
	tb.Helper()
	c.Node(tb, node)
	pidFile := filepath.Join(os.Getenv(EnvTestenv), "run", "cassandra-"+node+".pid")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		tb.Fatalf("kill %s: %v", node, err)
	}
	var pid int
	if _, err := fmt.Sscan(string(b), &pid); err != nil || pid <= 1 {
		tb.Fatalf("kill %s: bad pid file %s: %q", node, pidFile, b)
	}
	c.restartLater(tb, node)
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		tb.Fatalf("kill %s (pid %d): %v", node, pid, err)
	}
	for deadline := time.Now().Add(time.Minute); alive(pid); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("%s (pid %d) still runs a minute after SIGKILL", node, pid)
		}
	}
	tb.Logf("killed %s (pid %d)", node, pid)
}

// alive reports whether pid is a process that has not ended (a zombie has).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces, the state follows the last ")".
	_, rest, _ := strings.Cut(string(b[strings.LastIndexByte(string(b), ')')+1:]), " ")
	return !strings.HasPrefix(rest, "Z") && !strings.HasPrefix(rest, "X")
}

// restartLater starts node when tb ends, if it is down then.
func (c *Cluster) restartLater(tb testing.TB, node string) {
	tb.Cleanup(func() {
		if !c.Up(node) {
			c.testenv(tb, "up", "cassandra-"+node)
		}
	})
}

// Start starts node and waits until it answers CQL.
func (c *Cluster) Start(tb testing.TB, node string) {
	tb.Helper()
	c.testenv(tb, "up", "cassandra-"+node)
}

// Up reports whether node answers CQL.
func (c *Cluster) Up(node string) bool {
	for _, n := range c.Nodes {
		if n.Name == node {
			return Ping(n) == nil
		}
	}
	return false
}

// Ping connects to n alone and reads its system.local.
func Ping(n Node) error {
	s, err := NodeSession(n)
	if err != nil {
		return err
	}
	defer s.Close()
	var v string
	return s.Query(`SELECT release_version FROM system.local`).Scan(&v)
}

// NodeSession is a driver session on n alone (no other node coordinates), at
// consistency ONE: what n itself holds.
func NodeSession(n Node) (*gocql.Session, error) {
	cl := gocql.NewCluster(n.Addr)
	cl.DisableInitialHostLookup = true
	cl.HostFilter = gocql.WhiteListHostFilter(n.Addr)
	cl.Consistency = gocql.One
	cl.Timeout = 15 * time.Second
	cl.ConnectTimeout = 5 * time.Second
	cl.NumConns = 1
	return cl.CreateSession()
}

// Nodetool runs nodetool against node and returns its output.
func (c *Cluster) Nodetool(tb testing.TB, node string, args ...string) string {
	tb.Helper()
	c.Node(tb, node)
	return c.testenv(tb, append([]string{"cluster-nodetool", strings.TrimPrefix(node, "node")}, args...)...)
}

func (c *Cluster) testenv(tb testing.TB, args ...string) string {
	tb.Helper()
	if c.cmd == "" {
		tb.Fatalf("%s is not set: cannot run testenv %s", EnvTestenvCmd, strings.Join(args, " "))
	}
	ctx, cancel := context.WithTimeout(context.Background(), nodeTimeout)
	defer cancel()
	start := time.Now()
	out, err := exec.CommandContext(ctx, c.cmd, args...).CombinedOutput()
	if err != nil {
		tb.Fatalf("testenv %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	tb.Logf("testenv %s: %.1fs", strings.Join(args, " "), time.Since(start).Seconds())
	return string(out)
}
