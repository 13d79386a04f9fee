package e2e

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
)

// The Cassandra backend. Every test of the run shares one fresh keyspace
// (its names are random, so the tests do not see each other), made on the
// first use by the schema code and dropped by TestMain at the end. Without
// a test node the Cassandra subtests skip, or fail under CI.
var cassandraKeyspace struct {
	once sync.Once
	cfg  cassandra.Config
	err  error
}

func init() {
	backends["cassandra"] = func(t *testing.T, clock gamedata.Clock) gamedata.Backend {
		node := cassandratest.Require(t)
		k := &cassandraKeyspace
		k.once.Do(func() { k.cfg, k.err = cassandratest.NewKeyspace(context.Background(), node) })
		if k.err != nil {
			t.Fatal(k.err)
		}
		cfg := k.cfg
		cfg.Clock = clock
		s, err := cassandra.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("close cassandra: %v", err)
			}
		})
		return s.Backend()
	}
}

func TestMain(m *testing.M) {
	code := m.Run()
	if k := &cassandraKeyspace; k.cfg.Keyspace != "" && k.err == nil {
		if err := cassandratest.Drop(k.cfg); err != nil {
			fmt.Fprintln(os.Stderr, "drop the e2e keyspace:", err)
			code = 1
		}
	}
	os.Exit(code)
}
