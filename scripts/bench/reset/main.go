// Command reset deletes a benchmark deployment of scripts/bench-report so
// that its next run starts from nothing: the Cassandra keyspace and the
// OpenSearch indices and templates of a prefix. It refuses names that do
// not start with gamedata_bench / bench-, so that it cannot drop anyone
// else's data on the shared test engines.
//
//	go run ./scripts/bench/reset -keyspace gamedata_bench_seed -opensearch http://127.0.0.1:19200 -prefix bench-seed-
//
// The Cassandra node comes from -cassandra (host:port) and
// GAMEDATA_CASSANDRA_USERNAME / _PASSWORD.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/gamedata-dev/gamedata/cassandra"
	"github.com/gamedata-dev/gamedata/opensearch"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "reset:", err)
		os.Exit(1)
	}
}

func run() error {
	host := flag.String("cassandra", "127.0.0.1:19042", "Cassandra node, host:port")
	keyspace := flag.String("keyspace", "", "keyspace to drop (gamedata_bench...); empty: none")
	osURL := flag.String("opensearch", "", "OpenSearch URL; empty: none")
	prefix := flag.String("prefix", "", "index prefix whose indices and templates to delete (bench-...)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	var errs []error
	if *keyspace != "" {
		if !strings.HasPrefix(*keyspace, "gamedata_bench") {
			return fmt.Errorf("refusing to drop keyspace %q: not a benchmark's (gamedata_bench...)", *keyspace)
		}
		err := cassandra.DropKeyspace(ctx, cassandra.Config{
			Hosts: []string{*host}, Keyspace: *keyspace, LocalDC: "datacenter1", Timeout: time.Minute,
			Username: os.Getenv("GAMEDATA_CASSANDRA_USERNAME"), Password: os.Getenv("GAMEDATA_CASSANDRA_PASSWORD"),
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("drop keyspace %s: %w", *keyspace, err))
		}
	}
	if *osURL != "" {
		if !strings.HasPrefix(*prefix, "bench-") {
			return fmt.Errorf("refusing to delete indices of prefix %q: not a benchmark's (bench-...)", *prefix)
		}
		c, err := opensearch.Open(opensearch.Config{URLs: []string{*osURL}, Prefix: *prefix, RequestTimeout: time.Minute})
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.DeleteAll(ctx); err != nil {
			errs = append(errs, fmt.Errorf("delete indices %s*: %w", *prefix, err))
		}
	}
	return errors.Join(errs...)
}
