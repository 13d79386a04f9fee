// Command cqlcheck is the readiness probe that scripts/testenv uses for
// Cassandra: it logs in over CQL and runs a real query, retrying until the
// node answers or the deadline passes.
//
//	cqlcheck -addr 127.0.0.1:19042 -user cassandra -password cassandra -wait 3m
//
// On success it prints one line, "ok <release_version> <data_center>", and
// exits 0. Otherwise it prints the last error and exits 1.
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
	flag.Parse()

	deadline := time.Now().Add(*wait)
	for {
		version, dc, err := check(*addr, *user, *password)
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

func check(addr, user, password string) (version, dc string, err error) {
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

	cluster := gocql.NewCluster(host)
	cluster.Port = port
	cluster.Authenticator = gocql.PasswordAuthenticator{Username: user, Password: password}
	cluster.ConnectTimeout = 5 * time.Second
	cluster.Timeout = 5 * time.Second
	cluster.NumConns = 1
	cluster.DisableInitialHostLookup = true
	cluster.Consistency = gocql.One
	session, err := cluster.CreateSession()
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
	return version, dc, err
}
