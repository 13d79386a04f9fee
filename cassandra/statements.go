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
func read(cql string) *statement { return define(&statement{cql: cql, idempotent: true}) }

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

// query makes a driver query of st bound to args.
func (s *Store) query(st *statement, args ...any) *gocql.Query {
	q := s.session.Query(st.cql, args...).Idempotent(st.idempotent)
	switch st.serial {
	case localPaxos:
		q.SerialConsistency(s.cfg.serial)
	case namePaxos:
		q.SerialConsistency(s.cfg.nameSerial)
	}
	return q
}

// batch collects statements written together.
type batch struct {
	b *gocql.Batch
}

func (s *Store) batch(typ gocql.BatchType) batch { return batch{b: s.session.Batch(typ)} }

func (b batch) add(st *statement, args ...any) {
	b.b.Entries = append(b.b.Entries, gocql.BatchEntry{Stmt: st.cql, Args: args, Idempotent: st.idempotent})
}

func (b batch) exec(ctx context.Context) error { return b.b.ExecContext(ctx) }
