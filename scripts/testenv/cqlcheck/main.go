// Command cqlcheck is the readiness probe that scripts/testenv uses for
// Cassandra: it logs in over CQL and runs a real query, retrying until the
// node answers or the deadline passes.
//
//	cqlcheck -addr 127.0.0.1:19042 -user cassandra -password cassandra -wait 3m
//	cqlcheck -addr 127.0.0.2:19141 -user '' -cluster 4
//
// On success it prints one line, "ok <release_version> <data_center>", and
// exits 0. Otherwise it prints the last error and exits 1.
//
// With -cluster N (a node of the multi-node test cluster) the node must also
// know N-1 peers and be able to write at consistency ALL, as coordinator, to
// a keyspace replicated once on every node: every node is then up in its
// view of the cluster.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"strconv"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:19042", "CQL host:port")
	user := flag.String("user", "cassandra", "user name")
	password := flag.String("password", "cassandra", "password")
	wait := flag.Duration("wait", 0, "keep retrying for this long (0: try once)")
	interval := flag.Duration("interval", time.Second, "pause between tries")
	quiet := flag.Bool("q", false, "print nothing on success")
	cluster := flag.Int("cluster", 0, "the number of nodes of the cluster, all of which must be up (0: do not check)")
	flag.Parse()

	deadline := time.Now().Add(*wait)
	for {
		version, dc, err := check(*addr, *user, *password, *cluster)
		if err == nil {
			if !*quiet {
				fmt.Printf("ok %s %s\n", version, dc)
			}
			return
		}
		if time.Now().Add(*interval).After(deadline) {
			fmt.Fprintf(os.Stderr, "cqlcheck: %s: %v\n", *addr, err)
			os.Exit(1)
		}
		time.Sleep(*interval)
	}
}

func check(addr, user, password string, cluster int) (version, dc string, err error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return "", "", err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return "", "", fmt.Errorf("bad port %q", portStr)
	}
	// Fail fast while the port is still closed: the driver's own dial and
	// reconnect logic is slower and noisier than a plain TCP probe.
	c, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return "", "", err
	}
	c.Close()

	cl := gocql.NewCluster(host)
	cl.Port = port
	if user != "" {
		cl.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: password}
	}
	cl.ConnectTimeout = 5 * time.Second
	cl.Timeout = 5 * time.Second
	cl.NumConns = 1
	// Only this node coordinates, so that -cluster checks its own view.
	cl.DisableInitialHostLookup = true
	cl.Consistency = gocql.One
	session, err := cl.CreateSession()
	if err != nil {
		return "", "", err
	}
	defer session.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = session.Query(`SELECT release_version, data_center FROM system.local`).
		WithContext(ctx).Scan(&version, &dc)
	if err == nil && (version == "" || dc == "") {
		err = errors.New("system.local returned an empty row")
	}
	if err == nil && cluster > 0 {
		err = allUp(ctx, session, dc, cluster)
	}
	return version, dc, err
}

// allUp checks that the node of session knows n-1 peers and can write at
// ALL to a keyspace with one replica on every node.
func allUp(ctx context.Context, session *gocql.Session, localDC string, n int) error {
	perDC := map[string]int{localDC: 1}
	iter := session.Query(`SELECT data_center FROM system.peers_v2`).WithContext(ctx).Iter()
	var dc string
	for iter.Scan(&dc) {
		perDC[dc]++
	}
	if err := iter.Close(); err != nil {
		return err
	}
	nodes := 0
	replication := "'class': 'NetworkTopologyStrategy'"
	for dc, k := range perDC {
		nodes += k
		replication += fmt.Sprintf(", '%s': %d", dc, k)
	}
	if nodes != n {
		return fmt.Errorf("the node knows %d nodes (%v), want %d", nodes, perDC, n)
	}
	// Data-centre names come from the nodes' own configuration (testenv's).
	for _, stmt := range []string{
		`CREATE KEYSPACE IF NOT EXISTS testenv_probe WITH replication = {` + replication + `}`,
		`CREATE TABLE IF NOT EXISTS testenv_probe.probe (k int PRIMARY KEY, at timestamp)`,
	} {
		if err := session.Query(stmt).WithContext(ctx).Exec(); err != nil {
			return err
		}
	}
	return session.Query(`INSERT INTO testenv_probe.probe (k, at) VALUES (1, toTimestamp(now()))`).
		WithContext(ctx).Consistency(gocql.All).Exec()
}
