// Command settle waits until Cassandra has no compaction of a keyspace
// running, so that a benchmark run after a preload measures a settled node,
// not the compactions the preload left (docs/performance.md, "Growth on
// Cassandra"). It reads system_views.sstable_tasks, a virtual table, every
// -poll, prints what runs, and returns once -quiet polls in a row found
// nothing, or fails after -timeout.
//
//	go run ./scripts/bench/settle -cassandra 127.0.0.1:19042 -keyspace gamedata_bench_grow
//
// Flush the node's memtables first (scripts/testenv/testenv nodetool flush
// KEYSPACE), or the run's first flush starts the compactions again. The
// credentials come from GAMEDATA_CASSANDRA_USERNAME / _PASSWORD.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
)

func main() {
	log.SetFlags(0)
	log.SetPrefix("settle: ")
	if err := run(); err != nil {
		log.Fatal(err)
	}
}

func run() error {
	host := flag.String("cassandra", "127.0.0.1:19042", "Cassandra node, host:port")
	keyspace := flag.String("keyspace", "", "keyspace whose compactions to wait for")
	poll := flag.Duration("poll", 5*time.Second, "time between two looks")
	quiet := flag.Int("quiet", 3, "looks in a row that must find no compaction")
	timeout := flag.Duration("timeout", 30*time.Minute, "how long to wait at most")
	flag.Parse()
	if *keyspace == "" {
		return errors.New("no -keyspace")
	}
	cluster := gocql.NewCluster(*host)
	cluster.Timeout = 30 * time.Second
	if u := os.Getenv("GAMEDATA_CASSANDRA_USERNAME"); u != "" {
		cluster.Authenticator = gocql.PasswordAuthenticator{Username: u, Password: os.Getenv("GAMEDATA_CASSANDRA_PASSWORD")}
	}
	session, err := cluster.CreateSession()
	if err != nil {
		return fmt.Errorf("connect to %s: %w", *host, err)
	}
	defer session.Close()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	start, calm := time.Now(), 0
	for {
		running, err := compactions(ctx, session, *keyspace)
		if err != nil {
			return err
		}
		if len(running) == 0 {
			calm++
		} else {
			calm = 0
			log.Printf("%s: %s compacting: %s", time.Since(start).Round(time.Second), *keyspace, strings.Join(running, ", "))
		}
		if calm >= *quiet {
			log.Printf("%s has no compaction running (%d looks in a row), after %s", *keyspace, calm,
				time.Since(start).Round(time.Second))
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s still compacts after %s", *keyspace, *timeout)
		case <-time.After(*poll):
		}
	}
}

// compactions describes the compactions of keyspace running now: table,
// kind and progress.
func compactions(ctx context.Context, s *gocql.Session, keyspace string) ([]string, error) {
	iter := s.Query(`SELECT keyspace_name, table_name, kind, progress, total FROM system_views.sstable_tasks`).IterContext(ctx)
	var out []string
	var ks, table, kind string
	var progress, total int64
	for iter.Scan(&ks, &table, &kind, &progress, &total) {
		if ks != keyspace {
			continue
		}
		pct := 0.0
		if total > 0 {
			pct = 100 * float64(progress) / float64(total)
		}
		out = append(out, fmt.Sprintf("%s %s %.0f%%", table, strings.ToLower(kind), pct))
	}
	if err := iter.Close(); err != nil {
		return nil, fmt.Errorf("read system_views.sstable_tasks: %w", err)
	}
	return out, nil
}
