package cassandra

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"github.com/google/uuid"

	"github.com/gamedata-dev/gamedata"
)

// table is one table of the schema.
type table struct {
	name string
	// columns is the column list, key the primary key.
	columns, key string
	// order is the clustering order, if any.
	order string
	// ttl: rows carry TTLs (Amazon Keyspaces needs TTL enabled per table).
	ttl bool
	// timeSeries: rows are written in time order and expire by TTL, so
	// TimeWindowCompactionStrategy can drop whole files as they expire.
	timeSeries bool
}

// twcs is the compaction of the time-series tables: windows of ten days,
// about 37 files for a year of retention.
const twcs = `compaction = {'class': 'TimeWindowCompactionStrategy', ` +
	`'compaction_window_unit': 'DAYS', 'compaction_window_size': 10}`

// create returns the table's CREATE TABLE statement.
func (t table) create(keyspaces bool) string {
	var opts []string
	if t.order != "" {
		opts = append(opts, "CLUSTERING ORDER BY ("+t.order+")")
	}
	switch {
	case keyspaces && t.ttl:
		opts = append(opts, `CUSTOM_PROPERTIES = {'ttl': {'status': 'enabled'}}`)
	case !keyspaces && t.timeSeries:
		opts = append(opts, twcs)
	}
	cql := "CREATE TABLE IF NOT EXISTS " + t.name + " (\n\t" + strings.ReplaceAll(t.columns, ", ", ",\n\t") +
		",\n\tPRIMARY KEY (" + t.key + ")\n)"
	if len(opts) > 0 {
		cql += " WITH " + strings.Join(opts, "\n\tAND ")
	}
	return cql
}

// migration is one versioned step of the schema. Steps are applied in
// order, each once; append new ones, never edit old ones.
type migration struct {
	description string
	tables      []table
}

var migrations = []migration{
	{"the primary store: players, sessions, api keys, orders, messages, events, metadata", []table{
		{name: "players", key: "(name_key)", columns: "name_key text, name text, id timeuuid, email text, " +
			"phone text, age int, password_hash text, created timestamp, updated timestamp"},
		{name: "sessions", key: "(token_hash)", ttl: true,
			columns: "token_hash text, player_id timeuuid, player_name text, created timestamp, expires timestamp"},
		{name: "api_keys", key: "(hash)",
			columns: "hash text, id timeuuid, name text, prefix text, created timestamp, revoked timestamp"},
		{name: "api_key_list", key: "(list_name), id", order: "id DESC", columns: "list_name text, id timeuuid, " +
			"name text, prefix text, hash text, created timestamp, revoked timestamp"},
		{name: "orders", key: "(user_key), id", order: "id DESC", columns: "user_key text, " + orderTableColumns},
		{name: "order_keys", key: "(user_key, idempotency_key)",
			columns: "user_key text, idempotency_key text, " + orderTableColumns},
		{name: "messages_inbox", key: "(player_key, bucket), id", order: "id DESC", ttl: true, timeSeries: true,
			columns: "player_key text, " + messageColumns},
		{name: "messages_sent", key: "(player_key, bucket), id", order: "id DESC", ttl: true, timeSeries: true,
			columns: "player_key text, " + messageColumns},
		{name: "messages_conversation", key: "(pair_lo, pair_hi, bucket), id", order: "id DESC", ttl: true,
			timeSeries: true, columns: "pair_lo text, pair_hi text, " + messageColumns},
		{name: "bucket_index", key: "(list_name, a, b), bucket, expiry", order: "bucket DESC, expiry DESC", ttl: true,
			columns: "list_name text, a text, b text, bucket int, expiry int"},
		{name: "events", key: "(player_key, day), at, id", order: "at DESC, id DESC", ttl: true, timeSeries: true,
			columns: "player_key text, day int, at timestamp, id timeuuid, player text, event_type text, data text, " +
				"expires timestamp"},
		{name: "meta", key: "(key)", columns: "key text, value text, updated timestamp"},
	}},
	{"the change feed: records, the index of their partitions, the positions of its consumers", []table{
		{name: "feed_changes", key: "(bucket, shard), id", columns: "bucket int, shard int, id timeuuid, kind text, " +
			"player text, order_id timeuuid, message_id timeuuid, sender text, receiver text, body text, " +
			"created timestamp, expires timestamp"},
		{name: "feed_buckets", key: "(shard), bucket", columns: "shard int, bucket int"},
		{name: "feed_consumers", key: "(feed), consumer", columns: "feed text, consumer text, watermark timestamp, " +
			"updated timestamp, removed_below timestamp static"},
	}},
	{"the day log the archive reads and the leases of jobs", []table{
		{name: "day_log", key: "(tbl, hour, shard), at, id, change", ttl: true, timeSeries: true,
			columns: "tbl text, hour int, shard int, at timestamp, id uuid, change text, row text"},
		{name: "day_log_index", key: "(tbl, day), hour, shard", ttl: true,
			columns: "tbl text, day int, hour int, shard int"},
		{name: "history_began", key: "(tbl)", columns: "tbl text, day int"},
		{name: "leases", key: "(name)", ttl: true, columns: "name text, owner text"},
	}},
	{"the social graph: friends (one partition per player, both sides of a friendship), interests", []table{
		{name: "friends", key: "(player_key), friend_key", columns: "player_key text, friend_key text, " +
			"friend text, since timestamp, id timeuuid"},
		{name: "interests", key: "(player_key)", columns: "player_key text, tags list<text>, updated timestamp"},
	}},
	{"the built recommendations: one row per player and kind; the build's state", []table{
		{name: "recommendations", key: "(player_key), kind", columns: "player_key text, kind text, items text, " +
			"generated timestamp"},
		{name: "recs_build", key: "(name)", columns: "name text, started timestamp, after text, done int, " +
			"finished timestamp"},
	}},
	{"the idempotency records of the API", []table{
		{name: "idempotency", key: "(key)", ttl: true, columns: "key text, fingerprint text, request blob, status int, " +
			"response blob, expires timestamp"},
	}},
}

// Columns shared by tables: of an order (after its keys), of a message
// (after its owner's keys).
const (
	orderTableColumns = "id timeuuid, user_name text, item text, amount int, price bigint, status text, " +
		"created timestamp, updated timestamp"
	messageColumns = "bucket int, id timeuuid, sender text, receiver text, body text, created timestamp, " +
		"expires timestamp"
)

// Version is the schema version this build needs.
var Version = len(migrations)

// migrationsTable records the steps applied. A step is claimed by a
// lightweight transaction whose row lives claimLease unless the claimant
// marks it applied, so two appliers never run a step at once, and a step
// whose applier died is taken over after the lease.
var migrationsTable = table{name: "schema_migrations", key: "(version)", ttl: true,
	columns: "version int, description text, state text, owner text, claimed_at timestamp, applied_at timestamp"}

const (
	claimLease   = 10 * time.Minute
	stepApplying = "applying"
	stepApplied  = "applied"
)

var (
	claimStep = lwt(namePaxos, `INSERT INTO schema_migrations (version, state, owner, claimed_at)
		VALUES (?, ?, ?, ?) IF NOT EXISTS USING TTL ?`)
	finishStep = lwt(namePaxos, `UPDATE schema_migrations SET state = ?, owner = ?, description = ?, applied_at = ?
		WHERE version = ? IF owner = ?`)
	stepState = read(`SELECT state FROM schema_migrations WHERE version = ?`)
)

// Schema is what ApplySchema creates: the keyspace and its tables.
type Schema struct {
	Keyspace string
	// Replication is the replication factor of each data centre (one per
	// region), for NetworkTopologyStrategy. Not used on Amazon Keyspaces.
	Replication map[string]int
	// Keyspaces makes the schema for Amazon Keyspaces: SingleRegionStrategy,
	// TTL enabled on the tables that use it, no compaction options.
	Keyspaces bool
}

// dcName is what a data centre name may hold (it goes into the replication
// map of CREATE KEYSPACE as a quoted string).
var dcName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ParseReplication reads replication factors given as "dc1:3,eu:3".
func ParseReplication(s string) (map[string]int, error) {
	rf := map[string]int{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		i := strings.IndexAny(part, "=:")
		var f int
		err := errors.New("no factor")
		if i > 0 {
			f, err = strconv.Atoi(part[i+1:])
		}
		if err != nil || f < 1 || f > 99 {
			return nil, fmt.Errorf("replication %q: want data-centre=factor pairs like dc1=3,dc2=3", part)
		}
		rf[part[:i]] = f
	}
	return rf, nil
}

func (sc Schema) check() error {
	if !identifier.MatchString(sc.Keyspace) {
		return fmt.Errorf("keyspace %q is not a name of 1 to 48 letters, digits and _ starting with a letter", sc.Keyspace)
	}
	if sc.Keyspaces {
		return nil
	}
	if len(sc.Replication) == 0 {
		return errors.New("no replication factor: give one per data centre, like dc1=3,dc2=3")
	}
	for dc := range sc.Replication {
		if !dcName.MatchString(dc) {
			return fmt.Errorf("data centre %q: a name of letters, digits, '_', '.' and '-'", dc)
		}
	}
	return nil
}

// replication is the keyspace's replication map, as system_schema shows it.
func (sc Schema) replication() map[string]string {
	if sc.Keyspaces {
		return map[string]string{"class": "SingleRegionStrategy"}
	}
	m := map[string]string{"class": "org.apache.cassandra.locator.NetworkTopologyStrategy"}
	for dc, f := range sc.Replication {
		m[dc] = strconv.Itoa(f)
	}
	return m
}

func (sc Schema) replicationCQL() string {
	if sc.Keyspaces {
		return `{'class': 'SingleRegionStrategy'}`
	}
	parts := []string{`'class': 'NetworkTopologyStrategy'`}
	for _, dc := range slices.Sorted(maps.Keys(sc.Replication)) {
		parts = append(parts, fmt.Sprintf("'%s': %d", dc, sc.Replication[dc]))
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

func (sc Schema) createKeyspace() string {
	return "CREATE KEYSPACE IF NOT EXISTS " + sc.Keyspace + " WITH replication = " + sc.replicationCQL()
}

// CQL returns the schema as a cqlsh script. ApplySchema runs the same
// statements, and records each step in schema_migrations.
func (sc Schema) CQL() (string, error) {
	if err := sc.check(); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "-- gamedata schema version %d, keyspace %s", Version, sc.Keyspace)
	if sc.Keyspaces {
		b.WriteString(" (Amazon Keyspaces)")
	}
	b.WriteString("\n" + sc.createKeyspace() + ";\n\nUSE " + sc.Keyspace + ";\n\n")
	b.WriteString(migrationsTable.create(sc.Keyspaces) + ";\n")
	for i, m := range migrations {
		fmt.Fprintf(&b, "\n-- step %d: %s\n", i+1, m.description)
		for _, t := range m.tables {
			b.WriteString(t.create(sc.Keyspaces) + ";\n")
		}
	}
	return b.String(), nil
}

// SchemaReport says what ApplySchema did.
type SchemaReport struct {
	// ReplicationChanged: the keyspace existed with other replication
	// factors and was altered; ReplicationSteps says what to run next.
	ReplicationChanged bool
	// Previous holds the factors per data centre before the alteration
	// (nil when the keyspace was not NetworkTopologyStrategy).
	Previous map[string]int
	// Applied lists the steps this call applied; the others were there.
	Applied []int
	// Version is the schema version of the keyspace now.
	Version int
}

// ApplySchema creates or upgrades sc's keyspace on the cluster of cfg
// (cfg.Keyspace is ignored): the keyspace with its replication, then each
// versioned step it lacks, in order, each once even when several appliers
// run at once. It is idempotent.
func ApplySchema(ctx context.Context, cfg Config, sc Schema) (SchemaReport, error) {
	var report SchemaReport
	if err := sc.check(); err != nil {
		return report, fmt.Errorf("cassandra: schema: %w", err)
	}
	cfg.Keyspace, cfg.Keyspaces = sc.Keyspace, sc.Keyspaces
	set, err := cfg.settings()
	if err != nil {
		return report, err
	}
	changed, previous, err := ensureKeyspace(ctx, set, sc)
	if err != nil {
		return report, err
	}
	report.ReplicationChanged, report.Previous = changed, previous
	session, err := set.cluster(sc.Keyspace).CreateSession()
	if err != nil {
		return report, fmt.Errorf("cassandra: connect to keyspace %s: %w", sc.Keyspace, gamedata.Unavailable("cassandra", err))
	}
	s := &Store{cfg: set, session: session, run: driverExecutor{}, clock: set.Clock}
	defer s.Close()
	if err := s.ddl(ctx, migrationsTable.create(sc.Keyspaces), migrationsTable.name); err != nil {
		return report, err
	}
	owner := applierID()
	for i, m := range migrations {
		applied, err := s.applyStep(ctx, i+1, m, owner)
		if err != nil {
			return report, err
		}
		if applied {
			report.Applied = append(report.Applied, i+1)
		}
	}
	report.Version = Version
	return report, nil
}

// ensureKeyspace creates the keyspace, or alters its replication when it
// differs from sc's; changed reports an alteration, previous the factors
// per data centre it replaced.
func ensureKeyspace(ctx context.Context, set settings, sc Schema) (changed bool, previous map[string]int, err error) {
	session, err := set.cluster("").CreateSession()
	if err != nil {
		return false, nil, fmt.Errorf("cassandra: connect to %v: %w", set.Hosts, gamedata.Unavailable("cassandra", err))
	}
	defer session.Close()
	s := &Store{cfg: set, session: session, run: driverExecutor{}}
	if err := s.ddl(ctx, sc.createKeyspace(), ""); err != nil {
		return false, nil, err
	}
	if sc.Keyspaces {
		return false, nil, s.waitKeyspaces(ctx, `SELECT keyspace_name FROM system_schema_mcs.keyspaces WHERE keyspace_name = ?`, sc.Keyspace)
	}
	var current map[string]string
	if err := session.Query(`SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?`, sc.Keyspace).
		ScanContext(ctx, &current); err != nil {
		return false, nil, s.fail("read replication of keyspace "+sc.Keyspace, err)
	}
	if maps.Equal(current, sc.replication()) {
		return false, nil, nil
	}
	if current["class"] == sc.replication()["class"] {
		previous = map[string]int{}
		for dc, f := range current {
			if n, err := strconv.Atoi(f); err == nil && dc != "class" {
				previous[dc] = n
			}
		}
	}
	return true, previous, s.ddl(ctx, "ALTER KEYSPACE "+sc.Keyspace+" WITH replication = "+sc.replicationCQL(), "")
}

// ReplicationSteps says what the operator runs after the replication of
// sc's keyspace changed from r.Previous, in order (docs/operations.md,
// "Adding a region"): a new data centre streams its data from an old one
// (nodetool rebuild) and is then repaired; a data centre with more replicas
// is repaired; one with fewer, or none, drops what it no longer owns
// (nodetool cleanup). Nil when nothing changed.
func (r SchemaReport) ReplicationSteps(sc Schema) []string {
	if !r.ReplicationChanged {
		return nil
	}
	ks := sc.Keyspace
	if r.Previous == nil {
		return []string{"on every node, one at a time: nodetool repair -full " + ks}
	}
	// The source of a rebuild: the old data centre with the most replicas.
	source := ""
	for _, dc := range slices.Sorted(maps.Keys(r.Previous)) {
		if source == "" || r.Previous[dc] > r.Previous[source] {
			source = dc
		}
	}
	var steps, later []string
	for _, dc := range slices.Sorted(maps.Keys(sc.Replication)) {
		was, now := r.Previous[dc], sc.Replication[dc]
		switch {
		case was == 0 && source != "":
			steps = append(steps, fmt.Sprintf("on each node of %s, one at a time: nodetool rebuild -ks %s -- %s", dc, ks, source),
				fmt.Sprintf("then on each node of %s, one at a time: nodetool repair -full %s", dc, ks))
		case now > was:
			steps = append(steps, fmt.Sprintf("on each node of %s, one at a time: nodetool repair -full %s", dc, ks))
		case now < was:
			later = append(later, fmt.Sprintf("on each node of %s: nodetool cleanup %s", dc, ks))
		}
	}
	for _, dc := range slices.Sorted(maps.Keys(r.Previous)) {
		if _, kept := sc.Replication[dc]; !kept {
			later = append(later, fmt.Sprintf("on each node of %s (no longer a replica): nodetool cleanup %s", dc, ks))
		}
	}
	return append(steps, later...)
}

// ddl runs a schema statement and waits until every node (or, on Keyspaces,
// the service) has the change; tableName is the table it creates, if any.
func (s *Store) ddl(ctx context.Context, cql, tableName string) error {
	if err := s.run.Exec(ctx, s.session.Query(cql)); err != nil {
		return s.fail("schema: "+firstLine(cql), err)
	}
	if s.cfg.Keyspaces {
		if tableName == "" {
			return nil
		}
		// Keyspaces creates tables in the background.
		return s.waitKeyspaces(ctx, `SELECT status FROM system_schema_mcs.tables
			WHERE keyspace_name = ? AND table_name = ?`, s.cfg.Keyspace, tableName)
	}
	if err := s.session.AwaitSchemaAgreement(ctx); err != nil {
		return s.fail("schema agreement after "+firstLine(cql), err)
	}
	return nil
}

// waitKeyspaces polls Amazon Keyspaces' system_schema_mcs until query finds
// its keyspace or table (and the table's status is ACTIVE).
func (s *Store) waitKeyspaces(ctx context.Context, query string, args ...any) error {
	for {
		var status string
		err := s.run.Scan(ctx, s.session.Query(query, args...), &status)
		if err == nil && (status == "ACTIVE" || !strings.Contains(query, "status")) {
			return nil
		}
		if err != nil && !errors.Is(err, gocql.ErrNotFound) {
			return s.fail("wait for "+fmt.Sprint(args...), err)
		}
		select {
		case <-ctx.Done():
			return s.fail("wait for "+fmt.Sprint(args...), ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// applyStep applies step version unless it is applied; applied reports
// whether this call applied it.
func (s *Store) applyStep(ctx context.Context, version int, m migration, owner string) (applied bool, err error) {
	op := fmt.Sprintf("schema step %d", version)
	for {
		claimed, err := s.query(claimStep, version, stepApplying, owner, s.clock.Now(), int(claimLease.Seconds())).
			scanCAS(ctx, map[string]any{})
		if err != nil {
			return false, s.fail(op+": claim", err)
		}
		if claimed {
			for _, t := range m.tables {
				if err := s.ddl(ctx, t.create(s.cfg.Keyspaces), t.name); err != nil {
					return false, fmt.Errorf("%s: %w", op, err)
				}
			}
			done, err := s.query(finishStep, stepApplied, owner, m.description, s.clock.Now(), version, owner).
				scanCAS(ctx, map[string]any{})
			if err != nil {
				return false, s.fail(op+": record", err)
			}
			if done {
				return true, nil
			}
			// Our lease ran out and another applier took the step over; its
			// statements are idempotent, so wait for it like any other.
		}
		var state string
		err = s.query(stepState, version).scan(ctx, &state)
		switch {
		case err == nil && state == stepApplied:
			return false, nil
		case err != nil && !errors.Is(err, gocql.ErrNotFound):
			return false, s.fail(op+": read state", err)
		}
		// Another applier is at it (or its claim just expired): look again.
		select {
		case <-ctx.Done():
			return false, s.fail(op+": wait for another applier", ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

// applierID names this applier in schema_migrations.
func applierID() string {
	host, _ := os.Hostname() // a name helps the operator; none is fine
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), uuid.NewString()[:8])
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// checkSchema fails unless the keyspace holds every step this build needs.
func (s *Store) checkSchema(ctx context.Context) error {
	var state string
	err := s.query(stepState, Version).scan(ctx, &state)
	if err == nil && state == stepApplied {
		return nil
	}
	if err == nil || errors.Is(err, gocql.ErrNotFound) {
		err = fmt.Errorf("step %d is not applied", Version)
	}
	return fmt.Errorf("cassandra: keyspace %s lacks schema version %d (run `gamedata schema apply`): %w",
		s.cfg.Keyspace, Version, s.fail("check schema", err))
}

// DropKeyspace drops cfg.Keyspace and everything in it. It is for
// throw-away keyspaces (tests); nothing in gamedata calls it otherwise.
func DropKeyspace(ctx context.Context, cfg Config) error {
	set, err := cfg.settings()
	if err != nil {
		return err
	}
	session, err := set.cluster("").CreateSession()
	if err != nil {
		return fmt.Errorf("cassandra: connect to %v: %w", set.Hosts, gamedata.Unavailable("cassandra", err))
	}
	defer session.Close()
	s := &Store{cfg: set, session: session, run: driverExecutor{}}
	return s.ddl(ctx, "DROP KEYSPACE IF EXISTS "+set.Keyspace, "")
}
