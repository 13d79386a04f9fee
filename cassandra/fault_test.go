package cassandra_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
)

// faults is an Executor that runs every statement, and then, for the next
// statement whose CQL starts with a prefix it was armed with, answers the
// error the driver gives for that fault instead of the statement's own
// answer: the write reached Cassandra, but its client learns nothing.
type faults struct {
	cassandra.Executor
	mu    sync.Mutex
	armed map[string]error
}

// openFaulty opens a store on the shared keyspace whose statements run
// through the returned faults.
func openFaulty(tb testing.TB, clock gamedata.Clock) (*cassandra.Store, *faults) {
	tb.Helper()
	cfg := keyspace(tb)
	cfg.Clock = clock
	f := &faults{armed: map[string]error{}}
	s, err := cassandra.OpenWith(context.Background(), cfg, func(e cassandra.Executor) cassandra.Executor {
		f.Executor = e
		return f
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s, f
}

// arm makes the next statement that starts with prefix answer err once it
// has run.
func (f *faults) arm(prefix string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.armed[prefix] = err
}

// after returns the error armed for a statement that ran as cql, once.
func (f *faults) after(cql ...string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for prefix, err := range f.armed {
		for _, c := range cql {
			if strings.HasPrefix(strings.TrimSpace(c), prefix) {
				delete(f.armed, prefix)
				return err
			}
		}
	}
	return nil
}

func (f *faults) Exec(ctx context.Context, q *gocql.Query) error {
	if err := f.Executor.Exec(ctx, q); err != nil {
		return err
	}
	return f.after(q.Statement())
}

func (f *faults) MapScanCAS(ctx context.Context, q *gocql.Query, dest map[string]any) (bool, error) {
	applied, err := f.Executor.MapScanCAS(ctx, q, dest)
	if err != nil {
		return applied, err
	}
	return applied, f.after(q.Statement())
}

func (f *faults) ExecBatch(ctx context.Context, b *gocql.Batch) error {
	if err := f.Executor.ExecBatch(ctx, b); err != nil {
		return err
	}
	cql := make([]string, len(b.Entries))
	for i, e := range b.Entries {
		cql[i] = e.Stmt
	}
	return f.after(cql...)
}

// The errors the driver gives when the replicas did not all answer a write
// in time, and when a Paxos round's outcome is unknown: both may commit.
var (
	batchTimeout = &gocql.RequestErrWriteTimeout{WriteType: "BATCH"}
	casTimeout   = &gocql.RequestErrWriteTimeout{WriteType: "CAS"}
	casUnknown   = &gocql.RequestErrCASWriteUnknown{}
)
