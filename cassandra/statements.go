package cassandra

import (
	"context"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

// statement is one CQL statement of the store: fixed text with bind
// markers, prepared by the driver on first use of each connection and
// reused after. Every statement is made by read, write or lwt below, which
// list it in statements, so that a test can check them all against the
// live schema (every WHERE names the whole partition key, or, for a scan,
// bounds its token; no ALLOW FILTERING).
type statement struct {
	cql string
	// idempotent statements may be retried: running one twice stores the
	// same thing as running it once (the driver retries no other kind).
	idempotent bool
	// serial is the scope of a lightweight transaction; noPaxos for the
	// others.
	serial serialScope
	// scan reads a range of partition tokens: for offline jobs only.
	scan bool
	// speculate: a read of the request path, sent to a second replica if
	// the first is slow (Config.SpeculativeDelay).
	speculate bool
}

// serialScope says which serial consistency a lightweight transaction uses.
type serialScope int

const (
	noPaxos serialScope = iota
	// localPaxos: serial within the region (Config.SerialConsistency).
	localPaxos
	// namePaxos: the claim of a name, serial in every region
	// (Config.NameSerialConsistency).
	namePaxos
)

// statements lists every statement of the store.
var statements []*statement

func define(st *statement) *statement {
	statements = append(statements, st)
	return st
}

// read is a SELECT; reads are idempotent.
func read(cql string) *statement {
	return define(&statement{cql: cql, idempotent: true, speculate: true})
}

// scan is a SELECT of a range of tokens (token(key) > ? AND token(key) <=
// ?), a part of a scan of a whole table, which only offline jobs run.
func scan(cql string) *statement { return define(&statement{cql: cql, idempotent: true, scan: true}) }

// write is an INSERT, UPDATE or DELETE without condition that writes fixed
// values (no counter, no list append), so it is idempotent.
func write(cql string) *statement { return define(&statement{cql: cql, idempotent: true}) }

// lwt is a lightweight transaction (INSERT ... IF NOT EXISTS, UPDATE ...
// IF). It is not retried: after a timeout a second round would find the
// first one's write and report it as somebody else's.
func lwt(scope serialScope, cql string) *statement {
	return define(&statement{cql: cql, serial: scope})
}

// Executor runs the store's statements: the driver's session in
// production (driverExecutor), which tests wrap to inject faults, such as a
// timeout after a write reached the node, as Temporal's persistence tests
// do (see export_test.go). Statements are told apart by their CQL
// (q.Statement(), the entries of b).
type Executor interface {
	Exec(ctx context.Context, q *gocql.Query) error
	Scan(ctx context.Context, q *gocql.Query, dest ...any) error
	// MapScanCAS runs a lightweight transaction; when it did not apply,
	// dest holds the row that stopped it.
	MapScanCAS(ctx context.Context, q *gocql.Query, dest map[string]any) (applied bool, err error)
	Iter(ctx context.Context, q *gocql.Query) *gocql.Iter
	ExecBatch(ctx context.Context, b *gocql.Batch) error
}

// driverExecutor runs statements with the driver, as they are.
type driverExecutor struct{}

func (driverExecutor) Exec(ctx context.Context, q *gocql.Query) error { return q.ExecContext(ctx) }

func (driverExecutor) Scan(ctx context.Context, q *gocql.Query, dest ...any) error {
	return q.ScanContext(ctx, dest...)
}

func (driverExecutor) MapScanCAS(ctx context.Context, q *gocql.Query, dest map[string]any) (bool, error) {
	return q.MapScanCASContext(ctx, dest)
}

func (driverExecutor) Iter(ctx context.Context, q *gocql.Query) *gocql.Iter {
	return q.IterContext(ctx)
}

func (driverExecutor) ExecBatch(ctx context.Context, b *gocql.Batch) error { return b.ExecContext(ctx) }

// call is one statement bound to its values, run through the store's
// Executor.
type call struct {
	q   *gocql.Query
	run Executor
}

// query binds st to args.
func (s *Store) query(st *statement, args ...any) call {
	q := s.session.Query(st.cql, args...).Idempotent(st.idempotent)
	if st.speculate {
		q.SetSpeculativeExecutionPolicy(s.cfg.speculative)
	}
	switch st.serial {
	case localPaxos:
		q.SerialConsistency(s.cfg.serial)
	case namePaxos:
		q.SerialConsistency(s.cfg.nameSerial)
	}
	return call{q: q, run: s.run}
}

// pageSize sets how many rows the driver fetches at a time.
func (c call) pageSize(n int) call {
	c.q.PageSize(n)
	return c
}

func (c call) exec(ctx context.Context) error { return c.run.Exec(ctx, c.q) }

func (c call) scan(ctx context.Context, dest ...any) error { return c.run.Scan(ctx, c.q, dest...) }

func (c call) scanCAS(ctx context.Context, dest map[string]any) (bool, error) {
	return c.run.MapScanCAS(ctx, c.q, dest)
}

func (c call) iter(ctx context.Context) *gocql.Iter { return c.run.Iter(ctx, c.q) }

// batch collects statements written together.
type batch struct {
	b   *gocql.Batch
	run Executor
}

func (s *Store) batch(typ gocql.BatchType) batch { return batch{b: s.session.Batch(typ), run: s.run} }

func (b batch) add(st *statement, args ...any) {
	b.b.Entries = append(b.b.Entries, gocql.BatchEntry{Stmt: st.cql, Args: args, Idempotent: st.idempotent})
}

func (b batch) exec(ctx context.Context) error { return b.run.ExecBatch(ctx, b.b) }
