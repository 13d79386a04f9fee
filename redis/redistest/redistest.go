// Package redistest gives tests the two Redis deployments that
// scripts/testenv starts, from the environment:
//
//	scripts/testenv/testenv up redis
//	eval "$(scripts/testenv/testenv env)"   # GAMEDATA_TEST_REDIS, GAMEDATA_TEST_REDIS_CLUSTER
//
// Without them a test skips, saying so, except under CI (CI=true), where a
// missing Redis fails the run.
//
// One test may stop the single server to see gamedata ride out the outage
// (Outage). Test binaries run in parallel, so every test on the single
// server holds a shared lock on it for its duration, and Outage an
// exclusive one: an outage never hits another test.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata/redis"
)

// Environment variables that scripts/testenv exports.
const (
	EnvSingle  = "GAMEDATA_TEST_REDIS"         // host:port
	EnvCluster = "GAMEDATA_TEST_REDIS_CLUSTER" // host:port,host:port,...
	// EnvTestenvCmd is scripts/testenv/testenv, which Outage runs.
	EnvTestenvCmd = "GAMEDATA_TESTENV_CMD"
	// EnvTestenvDir is the runtime dir of the engines; the lock lives there.
	EnvTestenvDir = "GAMEDATA_TESTENV"
)

const howToStart = "start Redis with `scripts/testenv/testenv up redis` and `eval \"$(scripts/testenv/testenv env)\"` (or run `make test`)"

// Target is one Redis deployment.
type Target struct {
	Name    string // "single" or "cluster"
	Addrs   []string
	Cluster bool
}

// Each runs test once on the single server and once on the cluster, as
// subtests named after them. Each subtest skips (fails under CI) when its
// deployment is not in the environment.
func Each(t *testing.T, test func(t *testing.T, target Target)) {
	t.Helper()
	t.Run("single", func(t *testing.T) { test(t, Single(t)) })
	t.Run("cluster", func(t *testing.T) { test(t, Cluster(t)) })
}

// Single returns the single server, and holds the shared lock on it until
// tb ends.
func Single(tb testing.TB) Target {
	tb.Helper()
	addr := require(tb, EnvSingle)
	lockSingle(tb, false)
	return Target{Name: "single", Addrs: []string{addr}}
}

// Cluster returns the cluster.
func Cluster(tb testing.TB) Target {
	tb.Helper()
	return Target{Name: "cluster", Addrs: strings.Split(require(tb, EnvCluster), ","), Cluster: true}
}

func require(tb testing.TB, env string) string {
	tb.Helper()
	v := os.Getenv(env)
	if v == "" {
		if os.Getenv("CI") != "" {
			tb.Fatalf("CI: %s is not set: %s", env, howToStart)
		}
		tb.Skipf("%s is not set: %s", env, howToStart)
	}
	return v
}

// Config returns the settings of a client of target with a key prefix no
// other test uses; clients opened with the same Config share their keys,
// as the instances of one deployment do.
func (tg Target) Config() redis.Config {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return redis.Config{
		Addrs: tg.Addrs, Cluster: tg.Cluster, KeyPrefix: "gamedata_test:" + hex.EncodeToString(b) + ":",
		// The test machine is small and shared.
		Timeout: time.Second,
	}
}

// Open opens a client with cfg, closed when tb ends.
func Open(tb testing.TB, cfg redis.Config) *redis.Client {
	tb.Helper()
	c, err := redis.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := c.Close(); err != nil {
			tb.Errorf("close redis client: %v", err)
		}
	})
	return c
}

// Outage controls the single server for a fault test.
type Outage struct {
	Target
	tb  testing.TB
	cmd string
}

// NewOutage returns the single server, to stop and start, and holds the
// exclusive lock on it until tb ends; when tb ends the server is started
// again whatever happened.
func NewOutage(tb testing.TB) *Outage {
	tb.Helper()
	addr := require(tb, EnvSingle)
	cmd := require(tb, EnvTestenvCmd)
	lockSingle(tb, true)
	o := &Outage{Target: Target{Name: "single", Addrs: []string{addr}}, tb: tb, cmd: cmd}
	tb.Cleanup(func() { o.run("up") })
	return o
}

// Stop stops the single server.
func (o *Outage) Stop() {
	o.tb.Helper()
	o.run("down")
	o.tb.Logf("stopped the plain Redis server at %s (testenv down redis-single); the cluster is left alone", o.Addrs[0])
}

// Start starts the single server again, empty (it keeps no data on disk).
func (o *Outage) Start() {
	o.tb.Helper()
	o.run("up")
	o.tb.Logf("started the plain Redis server at %s again (testenv up redis-single)", o.Addrs[0])
}

func (o *Outage) run(verb string) {
	o.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, o.cmd, verb, "redis-single").CombinedOutput()
	if err != nil {
		o.tb.Fatalf("%s %s redis-single: %v\n%s", o.cmd, verb, err, out)
	}
}

// lockPath is the file whose lock guards the single server.
func lockPath() string {
	dir := os.Getenv(EnvTestenvDir)
	if dir == "" {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "redis-single.lock")
}
