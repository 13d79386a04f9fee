package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/cassandra/cassandratest"
)

func TestSchemaPrint(t *testing.T) {
	out := mustCLI(t, nil, "schema", "print", "--cassandra-keyspace", "gamedata_eu", "--replication", "eu-west:3,dc1:5")
	for _, want := range []string{
		"CREATE KEYSPACE IF NOT EXISTS gamedata_eu WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': 5, 'eu-west': 3};",
		"USE gamedata_eu;", "CREATE TABLE IF NOT EXISTS players", "TimeWindowCompactionStrategy",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("schema print lacks %q:\n%s", want, out)
		}
	}
	out = mustCLI(t, []string{"GAMEDATA_KEYSPACES=true"}, "schema", "print")
	if !strings.Contains(out, "'SingleRegionStrategy'") || strings.Contains(out, "TimeWindowCompactionStrategy") {
		t.Errorf("schema print for Amazon Keyspaces:\n%s", out)
	}
	if _, errOut, err := runCLI(t, nil, "schema", "print", "--replication", "dc1=x"); err == nil || !strings.Contains(errOut, "--replication") {
		t.Errorf("a bad --replication: %v, %s; want an error naming the flag", err, errOut)
	}
}

// The whole life on Cassandra: serve refuses a keyspace without the schema,
// schema apply makes it (once), serve then serves the API, and apikey works
// on the same keyspace, all configured through the environment.
func TestServeOnCassandra(t *testing.T) {
	node := cassandratest.Require(t)
	node.Keyspace = cassandratest.FreshName()
	t.Cleanup(func() {
		if err := cassandratest.Drop(node); err != nil {
			t.Errorf("drop %s: %v", node.Keyspace, err)
		}
	})
	env := []string{
		"GAMEDATA_STORE=cassandra",
		"GAMEDATA_CASSANDRA_HOSTS=" + strings.Join(node.Hosts, ","),
		"GAMEDATA_CASSANDRA_KEYSPACE=" + node.Keyspace,
		"GAMEDATA_CASSANDRA_LOCAL_DC=" + node.LocalDC,
		"GAMEDATA_CASSANDRA_USERNAME=" + node.Username,
		"GAMEDATA_CASSANDRA_PASSWORD=" + node.Password,
		"GAMEDATA_CASSANDRA_TIMEOUT=15s",
		"GAMEDATA_REPLICATION=" + node.LocalDC + ":1",
	}
	dir := t.TempDir()
	if _, errOut, err := runCLI(t, append(env, "GAMEDATA_DATA_DIR="+dir), "serve", "--addr", "127.0.0.1:0"); err == nil ||
		!strings.Contains(errOut, "gamedata schema apply") {
		t.Fatalf("serve before schema apply: %v\n%s\nwant a refusal that says to run gamedata schema apply", err, errOut)
	}

	want := fmt.Sprintf("keyspace %s: schema version %d, applied steps", node.Keyspace, cassandra.Version)
	if out := mustCLI(t, env, "schema", "apply"); !strings.Contains(out, want) {
		t.Errorf("first schema apply: %s; want %q", out, want)
	}
	if out := mustCLI(t, env, "schema", "apply"); !strings.Contains(out, "up to date") {
		t.Errorf("second schema apply: %s", out)
	}

	s := startServer(t, serverOpts{dir: dir, env: env})
	admin := readSecretFile(t, filepath.Join(dir, "gamedata-data", "admin.key"))
	if status, body := call(t, http.MethodPost, s.URL+"/v1/players", "", `{"name":"Cassie","password":"correct-horse-battery"}`); status != http.StatusCreated {
		t.Fatalf("register: %d %s", status, body)
	}
	if status, body := call(t, http.MethodGet, s.URL+"/v1/players/cASSIE", admin, ""); status != http.StatusOK ||
		!strings.Contains(body, `"name":"Cassie"`) {
		t.Fatalf("get player: %d %s", status, body)
	}
	// The readiness of the data centre's nodes, under its name.
	if status, body := call(t, http.MethodGet, s.URL+"/readyz", "", ""); status != http.StatusOK ||
		!strings.Contains(body, `"store:`+node.LocalDC+`":"ok"`) {
		t.Errorf("/readyz: %d %s; want store:%s ok", status, body, node.LocalDC)
	}
	out := mustCLI(t, append(env, "GAMEDATA_DATA_DIR="+filepath.Join(dir, "gamedata-data")), "apikey", "create", "--name", "match-server")
	secret := ""
	for _, f := range strings.Fields(out) {
		if strings.HasPrefix(f, "gdk_") {
			secret = f
		}
	}
	if secret == "" || !isServerKey(t, s, secret) {
		t.Errorf("the key apikey create made on Cassandra (%q) is not accepted by the server:\n%s", secret, out)
	}
	s.mustStop()
}

// The sample configs of deploy/cassandra load, and schema.cql there is what
// schema print makes of the region's config.
func TestDeployCassandraFiles(t *testing.T) {
	const dir = "../../deploy/cassandra/"
	for _, cfg := range []string{"gamedata-us-east.yaml", "gamedata-keyspaces.yaml"} {
		for _, command := range [][]string{{"serve"}, {"schema", "apply"}} {
			cmd, err := parse(t, nil, append(command, "--config", dir+cfg)...)
			if err != nil {
				t.Errorf("%s for %v: %v", cfg, command, err)
			} else if got := flagValue(t, cmd, "cassandra-keyspace"); got != "gamedata" {
				t.Errorf("%s for %v: keyspace %s", cfg, command, got)
			}
		}
	}
	want, err := os.ReadFile(dir + "schema.cql")
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(want), "\n") // the first line says how it was made
	if got := mustCLI(t, nil, "schema", "print", "--config", dir+"gamedata-us-east.yaml"); got != body {
		t.Errorf("deploy/cassandra/schema.cql is not what schema print makes; remake it as its first line says")
	}
}
