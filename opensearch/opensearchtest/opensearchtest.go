// Package opensearchtest gives tests their own indices on the OpenSearch
// node that scripts/testenv starts. Its address comes from the environment:
//
//	scripts/testenv/testenv up opensearch
//	eval "$(scripts/testenv/testenv env)"   # GAMEDATA_TEST_OPENSEARCH
//
// Without it a test skips, saying so, except under CI (CI=true), where a
// missing OpenSearch fails the run.
package opensearchtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata/opensearch"
)

// EnvURL is the variable scripts/testenv exports: the node's URL.
const EnvURL = "GAMEDATA_TEST_OPENSEARCH"

// Missing says how to get the test node, for a test that has none.
const Missing = EnvURL + " is not set: start OpenSearch with `scripts/testenv/testenv up opensearch` " +
	"and `eval \"$(scripts/testenv/testenv env)\"` (or run `make test`)"

// Require returns the settings of the test node with a fresh prefix (see
// Prefix), one shard, no replica and the production refresh interval; it
// skips tb when there is no node (fails it under CI).
func Require(tb testing.TB) opensearch.Config {
	tb.Helper()
	url := os.Getenv(EnvURL)
	if url == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("CI: " + Missing)
		}
		tb.Skip(Missing)
	}
	return opensearch.Config{
		URLs:            strings.Split(url, ","),
		Prefix:          Prefix(),
		Shards:          1,
		Replicas:        0,
		RefreshInterval: time.Second,
	}
}

// Prefix returns an index prefix no other test uses: gdt-<random>-.
func Prefix() string {
	b := make([]byte, 5)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "gdt-" + hex.EncodeToString(b) + "-"
}

// Open opens a client on cfg whose indices and templates are deleted when
// tb ends.
func Open(tb testing.TB, cfg opensearch.Config) *opensearch.Client {
	tb.Helper()
	c, err := opensearch.Open(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := c.DeleteAll(ctx); err != nil {
			tb.Errorf("delete test indices %s*: %v", cfg.Prefix, err)
		}
		_ = c.Close() // the deletion above reported what matters
	})
	return c
}

// Sync makes every change in ix's feed so far searchable in c: it drains
// the feed through ix and refreshes the indices.
func Sync(tb testing.TB, ix *opensearch.Indexer, c *opensearch.Client) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(tb.Context(), 2*time.Minute)
	defer cancel()
	if err := ix.Drain(ctx); err != nil {
		tb.Fatalf("drain the change feed: %v", err)
	}
	if err := c.Refresh(ctx); err != nil {
		tb.Fatal(err)
	}
}
