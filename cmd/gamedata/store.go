package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/sqlite"
)

// storeKinds are the values of --store; openStore has a case for each.
var storeKinds = []string{"sqlite", "cassandra"}

// storeConfig chooses and configures the primary store. Every command that
// opens the store takes these flags, so that given the same settings they
// all open the same store: apikey changes the keys a running serve uses.
type storeConfig struct {
	Kind    string
	DataDir string
	// SQLiteSynchronous is SQLite's PRAGMA synchronous.
	SQLiteSynchronous string
	Cassandra         cassandraConfig // cassandra.go
	Feed              feedStoreConfig // feed.go
}

func (c *storeConfig) addFlags(fs *pflag.FlagSet) {
	fs.Var(newEnum(&c.Kind, "sqlite", storeKinds...), "store",
		"primary store: sqlite keeps everything in one file, <data-dir>/gamedata.db, and needs no server; cassandra uses the --cassandra-* settings")
	fs.StringVar(&c.DataDir, "data-dir", "./gamedata-data",
		"folder of the SQLite database and admin.key; created with mode 0700 when missing")
	fs.Var(newEnum(&c.SQLiteSynchronous, "normal", "normal", "full"), "sqlite-synchronous",
		"SQLite durability: normal keeps every commit across a restart or crash of the process; full also across a power loss, at an fsync per commit (concurrent writes share one)")
	c.Cassandra.addFlags(fs)
	c.Feed.addFlags(fs)
}

// openStore opens the store c chooses, creating the data folder first, and
// returns what it offers.
func openStore(ctx context.Context, c storeConfig, clock gamedata.Clock) (gamedata.Backend, error) {
	if err := c.Feed.validate(); err != nil {
		return gamedata.Backend{}, err
	}
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return gamedata.Backend{}, fmt.Errorf("create --data-dir: %w", err)
	}
	switch c.Kind {
	case "sqlite":
		s, err := sqlite.Open(ctx, sqlite.Config{
			Path:          filepath.Join(c.DataDir, "gamedata.db"),
			Clock:         clock,
			Synchronous:   c.SQLiteSynchronous,
			FeedRetention: c.Feed.Retention,
		})
		if err != nil {
			return gamedata.Backend{}, fmt.Errorf("open sqlite store: %w", err)
		}
		return s.Backend(), nil
	case "cassandra":
		return openCassandra(ctx, c.Cassandra, c.Feed, clock)
	default:
		return gamedata.Backend{}, fmt.Errorf("--store %q: no such store (want one of %v)", c.Kind, storeKinds)
	}
}
