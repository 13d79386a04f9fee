package cassandra_test

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	gocql "github.com/apache/cassandra-gocql-driver/v2"

	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
)

// partitionKeys reads the partition key columns of every table of the
// keyspaces from system_schema, in order, by "keyspace.table".
func partitionKeys(t *testing.T, session *gocql.Session, keyspaces ...string) map[string][]string {
	t.Helper()
	keys := map[string][]string{}
	for _, ks := range keyspaces {
		type col struct {
			name string
			pos  int
		}
		cols := map[string][]col{}
		sc := session.Query(`SELECT table_name, column_name, kind, position FROM system_schema.columns
			WHERE keyspace_name = ?`, ks).IterContext(t.Context()).Scanner()
		for sc.Next() {
			var table, name, kind string
			var pos int
			if err := sc.Scan(&table, &name, &kind, &pos); err != nil {
				t.Fatal(err)
			}
			if kind == "partition_key" {
				cols[table] = append(cols[table], col{name, pos})
			}
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		for table, cs := range cols {
			slices.SortFunc(cs, func(a, b col) int { return a.pos - b.pos })
			for _, c := range cs {
				keys[ks+"."+table] = append(keys[ks+"."+table], c.name)
			}
		}
	}
	return keys
}

var (
	allowFiltering = regexp.MustCompile(`(?i)\bALLOW\s+FILTERING\b`)
	verbAndTable   = regexp.MustCompile(`(?is)^\s*(SELECT\b.*?\bFROM|UPDATE|DELETE\b.*?\bFROM|INSERT\s+INTO)\s+([\w.]+)`)
	whereClause    = regexp.MustCompile(`(?is)\bWHERE\s+(.*?)(?:\s+(?:IF|LIMIT|ORDER\s+BY|PER\s+PARTITION|ALLOW)\b.*)?$`)
	insertColumns  = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+[\w.]+\s*\(([^)]*)\)`)
	equality       = regexp.MustCompile(`^(\w+)\s*=\s*\?$`)
	and            = regexp.MustCompile(`(?i)\s+AND\s+`)
)

// statementProblems checks one statement against the partition keys (by
// "keyspace.table"; a table without keyspace is in ks): no ALLOW FILTERING,
// and a SELECT, UPDATE or DELETE names every partition key column with "=
// ?" (one partition), an INSERT every partition key column; a scan (a
// SELECT of an offline job) bounds the token of the whole partition key
// on both sides instead.
func statementProblems(cql, ks string, keys map[string][]string, scan bool) []string {
	var problems []string
	if allowFiltering.MatchString(cql) {
		problems = append(problems, "uses ALLOW FILTERING")
	}
	m := verbAndTable.FindStringSubmatch(cql)
	if m == nil {
		return append(problems, "is not a SELECT, UPDATE, DELETE or INSERT of a table")
	}
	verb, table := strings.ToUpper(strings.Fields(m[1])[0]), m[2]
	if !strings.Contains(table, ".") {
		table = ks + "." + table
	}
	pk, ok := keys[table]
	if !ok {
		return append(problems, "names table "+table+", which the keyspace lacks")
	}
	if scan {
		token := `token\(` + strings.Join(pk, `,\s*`) + `\)`
		if verb != "SELECT" || !regexp.MustCompile(`(?is)\bWHERE\s+`+token+`\s*>\s*\?\s+AND\s+`+token+`\s*<=\s*\?\s*$`).MatchString(cql) {
			problems = append(problems, "is a scan that does not read one range of tokens of "+table)
		}
		return problems
	}
	named := map[string]bool{}
	if verb == "INSERT" {
		for c := range strings.SplitSeq(insertColumns.FindStringSubmatch(cql)[1], ",") {
			named[strings.TrimSpace(c)] = true
		}
	} else if w := whereClause.FindStringSubmatch(cql); w != nil {
		for _, rel := range and.Split(strings.TrimSpace(w[1]), -1) {
			if e := equality.FindStringSubmatch(strings.TrimSpace(rel)); e != nil {
				named[e[1]] = true
			}
		}
	}
	for _, c := range pk {
		if !named[c] {
			problems = append(problems, fmt.Sprintf("does not bind partition key column %s of %s with = ?", c, table))
		}
	}
	return problems
}

// Every statement of the store reads or writes one partition: checked
// against the partition keys the live node reports, and against what the
// driver learns when it prepares the statement.
func TestStatementsUseWholePartitionKeys(t *testing.T) {
	cfg := keyspace(t)
	s := open(t, cfg)
	session := s.Session()
	keys := partitionKeys(t, session, cfg.Keyspace, "system")

	used := map[string]bool{}
	scans := cassandra.ScanCQL()
	for _, cql := range cassandra.StatementCQL() {
		scan := slices.Contains(scans, cql)
		for _, p := range statementProblems(cql, cfg.Keyspace, keys, scan) {
			t.Errorf("%s\n  %s", strings.Join(strings.Fields(cql), " "), p)
		}
		meta, err := session.StatementMetadata(t.Context(), cql, "")
		if err != nil {
			t.Fatalf("prepare %q: %v", cql, err)
		}
		used[meta.Table] = true
		// A scan binds tokens, not key columns.
		if want := len(keys[meta.Keyspace+"."+meta.Table]); !scan && len(meta.PKBindColumnIndexes) != want {
			t.Errorf("%s\n  the driver finds %d of the %d partition key columns bound", cql, len(meta.PKBindColumnIndexes), want)
		}
	}
	// Every table of the schema is used, so the check covers them all.
	for table := range keys {
		ks, name, _ := strings.Cut(table, ".")
		if ks == cfg.Keyspace && !used[name] {
			t.Errorf("table %s is used by no statement", name)
		}
	}

	// No secondary index either.
	var index string
	err := session.Query(`SELECT index_name FROM system_schema.indexes WHERE keyspace_name = ?`, cfg.Keyspace).
		ScanContext(t.Context(), &index)
	if err != gocql.ErrNotFound {
		t.Errorf("the keyspace has a secondary index (%q) or the check failed: %v", index, err)
	}

	// The check itself catches what it must.
	for _, bad := range []string{
		`SELECT id FROM orders WHERE user_key = ? ALLOW FILTERING`,
		`SELECT id FROM orders WHERE id = ?`,
		`SELECT id FROM messages_inbox WHERE player_key = ?`,
		`SELECT id FROM orders`,
		`SELECT id FROM orders WHERE user_key IN ?`,
		`UPDATE orders SET status = ? WHERE id = ?`,
		`DELETE FROM sessions WHERE player_id = ?`,
		`INSERT INTO events (player_key, at, id) VALUES (?, ?, ?)`,
		`SELECT id FROM no_such_table WHERE id = ?`,
	} {
		if len(statementProblems(bad, cfg.Keyspace, keys, false)) == 0 {
			t.Errorf("the check accepts %s", bad)
		}
	}
	for _, bad := range []string{
		`SELECT id FROM players WHERE token(name_key) > ?`,
		`SELECT id FROM players WHERE token(name_key) > ? AND token(name_key) <= ? AND age = ?`,
		`SELECT id FROM messages_inbox WHERE token(player_key) > ? AND token(player_key) <= ?`,
		`DELETE FROM players WHERE token(name_key) > ? AND token(name_key) <= ?`,
		`SELECT id FROM players`,
	} {
		if len(statementProblems(bad, cfg.Keyspace, keys, true)) == 0 {
			t.Errorf("the check accepts the scan %s", bad)
		}
	}
}

// tablesOf lists the tables of a keyspace.
func tablesOf(t *testing.T, session *gocql.Session, ks string) []string {
	t.Helper()
	var tables []string
	sc := session.Query(`SELECT table_name FROM system_schema.tables WHERE keyspace_name = ?`, ks).
		IterContext(t.Context()).Scanner()
	for sc.Next() {
		var name string
		if err := sc.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(tables)
	return tables
}

var createTable = regexp.MustCompile(`CREATE TABLE IF NOT EXISTS (\w+)`)

// Four appliers at once on a new keyspace: each step is applied once, all
// of them succeed, and the tables are those `schema print` shows. Applying
// again changes nothing; other replication factors alter the keyspace.
func TestApplySchema(t *testing.T) {
	cfg := cassandratest.Require(t)
	cfg.Keyspace = cassandratest.FreshName()
	ctx := t.Context()
	t.Cleanup(func() {
		if err := cassandratest.Drop(cfg); err != nil {
			t.Errorf("drop: %v", err)
		}
	})
	schema := cassandra.Schema{Keyspace: cfg.Keyspace, Replication: map[string]int{cfg.LocalDC: 1}}

	const appliers = 4
	reports := make([]cassandra.SchemaReport, appliers)
	errs := make([]error, appliers)
	var wg sync.WaitGroup
	for i := range appliers {
		wg.Go(func() { reports[i], errs[i] = cassandra.ApplySchema(ctx, cfg, schema) })
	}
	wg.Wait()
	applied := map[int]int{}
	for i := range appliers {
		if errs[i] != nil {
			t.Fatalf("applier %d: %v", i, errs[i])
		}
		if reports[i].Version != cassandra.Version {
			t.Errorf("applier %d reports version %d, want %d", i, reports[i].Version, cassandra.Version)
		}
		for _, v := range reports[i].Applied {
			applied[v]++
		}
	}
	for v := 1; v <= cassandra.Version; v++ {
		if applied[v] != 1 {
			t.Errorf("step %d was applied %d times by %d concurrent appliers", v, applied[v], appliers)
		}
	}

	s := open(t, cfg) // Open checks the version and prepares every statement
	script, err := schema.CQL()
	if err != nil {
		t.Fatal(err)
	}
	var printed []string
	for _, m := range createTable.FindAllStringSubmatch(script, -1) {
		printed = append(printed, m[1])
	}
	slices.Sort(printed)
	if got := tablesOf(t, s.Session(), cfg.Keyspace); !slices.Equal(got, printed) {
		t.Errorf("tables after apply: %v\nschema print creates: %v", got, printed)
	}

	again, err := cassandra.ApplySchema(ctx, cfg, schema)
	if err != nil || len(again.Applied) != 0 || again.ReplicationChanged {
		t.Errorf("second apply: %+v, %v; want nothing applied or changed", again, err)
	}

	// Someone changed the replication by hand (to 2: one node serves no
	// quorum of that, so the test changes it back): apply restores it.
	if err := s.Session().Query(fmt.Sprintf(`ALTER KEYSPACE %s WITH replication = {'class': 'NetworkTopologyStrategy', '%s': 2}`,
		cfg.Keyspace, cfg.LocalDC)).ExecContext(ctx); err != nil {
		t.Fatal(err)
	}
	restored, err := cassandra.ApplySchema(ctx, cfg, schema)
	if err != nil || !restored.ReplicationChanged || restored.Previous[cfg.LocalDC] != 2 {
		t.Fatalf("apply after a change of replication: %+v, %v; want the replication changed from %s: 2", restored, err, cfg.LocalDC)
	}
	var rf map[string]string
	if err := s.Session().Query(`SELECT replication FROM system_schema.keyspaces WHERE keyspace_name = ?`,
		cfg.Keyspace).ScanContext(ctx, &rf); err != nil || rf[cfg.LocalDC] != "1" {
		t.Errorf("replication after apply: %v, %v; want %s: 1", rf, err, cfg.LocalDC)
	}
}

func TestOpenNeedsTheSchema(t *testing.T) {
	cfg := cassandratest.Require(t)
	cfg.Keyspace = "gamedata_test_missing"
	_, err := cassandra.Open(context.Background(), cfg)
	if err == nil || !strings.Contains(err.Error(), "gamedata schema apply") {
		t.Fatalf("open without a keyspace: %v, want advice to run gamedata schema apply", err)
	}
}

func TestSchemaCQL(t *testing.T) {
	for _, tc := range []struct {
		schema cassandra.Schema
		want   []string
		not    []string
	}{
		{cassandra.Schema{Keyspace: "gamedata_eu", Replication: map[string]int{"eu-west": 3, "dc1": 3}},
			[]string{
				"CREATE KEYSPACE IF NOT EXISTS gamedata_eu WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 3, 'eu-west': 3};",
				"'class': 'TimeWindowCompactionStrategy'", "CREATE TABLE IF NOT EXISTS events", "CLUSTERING ORDER BY (at DESC, id DESC)",
			},
			[]string{"CUSTOM_PROPERTIES", "SimpleStrategy"}},
		{cassandra.Schema{Keyspace: "gamedata", Keyspaces: true},
			[]string{"{'class': 'SingleRegionStrategy'}", "CUSTOM_PROPERTIES = {'ttl': {'status': 'enabled'}}"},
			[]string{"TimeWindowCompactionStrategy"}},
	} {
		script, err := tc.schema.CQL()
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range tc.want {
			if !strings.Contains(script, w) {
				t.Errorf("schema print for %+v lacks %q", tc.schema, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(script, n) {
				t.Errorf("schema print for %+v holds %q", tc.schema, n)
			}
		}
	}
	for _, bad := range []cassandra.Schema{
		{Keyspace: "drop keyspace x;", Replication: map[string]int{"dc1": 1}},
		{Keyspace: "ok", Replication: map[string]int{"dc1'": 1}},
		{Keyspace: "ok"},
	} {
		if _, err := bad.CQL(); err == nil {
			t.Errorf("schema print accepts %+v", bad)
		}
	}
	if rf, err := cassandra.ParseReplication("dc1:3, eu=2"); err != nil || rf["dc1"] != 3 || rf["eu"] != 2 || len(rf) != 2 {
		t.Errorf("ParseReplication: %v, %v", rf, err)
	}
	for _, bad := range []string{"", "dc1", "dc1:0", "dc1:x", "dc1:3,", "=3", "dc1=3=3"} {
		if _, err := cassandra.ParseReplication(bad); err == nil {
			t.Errorf("ParseReplication(%q) accepted", bad)
		}
	}
}

// What an operator is told to run after a change of replication.
func TestReplicationSteps(t *testing.T) {
	ks := "gamedata"
	for _, c := range []struct {
		name   string
		before map[string]int
		after  map[string]int
		want   []string
	}{
		{"a region added", map[string]int{"dc1": 3}, map[string]int{"dc1": 3, "dc2": 3}, []string{
			"on each node of dc2, one at a time: nodetool rebuild -ks gamedata -- dc1",
			"then on each node of dc2, one at a time: nodetool repair -full gamedata",
		}},
		{"more replicas", map[string]int{"dc1": 1, "dc2": 3}, map[string]int{"dc1": 3, "dc2": 3}, []string{
			"on each node of dc1, one at a time: nodetool repair -full gamedata",
		}},
		{"a region retired, fewer replicas", map[string]int{"dc1": 3, "dc2": 3, "eu": 5}, map[string]int{"dc1": 2, "eu": 5}, []string{
			"on each node of dc1: nodetool cleanup gamedata",
			"on each node of dc2 (no longer a replica): nodetool cleanup gamedata",
		}},
		{"from another strategy", nil, map[string]int{"dc1": 3}, []string{
			"on every node, one at a time: nodetool repair -full gamedata",
		}},
	} {
		r := cassandra.SchemaReport{ReplicationChanged: true, Previous: c.before}
		if got := r.ReplicationSteps(cassandra.Schema{Keyspace: ks, Replication: c.after}); !slices.Equal(got, c.want) {
			t.Errorf("%s: steps\n%s\nwant\n%s", c.name, strings.Join(got, "\n"), strings.Join(c.want, "\n"))
		}
	}
	if steps := (cassandra.SchemaReport{}).ReplicationSteps(cassandra.Schema{Keyspace: ks}); steps != nil {
		t.Errorf("steps without a change: %v", steps)
	}
}
