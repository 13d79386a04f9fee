// Package cassandratest gives tests a throw-away keyspace on the Cassandra
// node that scripts/testenv starts. Its address comes from the environment:
//
//	scripts/testenv/testenv up cassandra
//	eval "$(scripts/testenv/testenv env)"   # GAMEDATA_TEST_CASSANDRA...
//
// Without it a test skips, saying so, except under CI (CI=true), where a
// missing Cassandra fails the run.
package cassandratest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
)

// Environment variables that scripts/testenv exports.
const (
	EnvAddr     = "GAMEDATA_TEST_CASSANDRA" // host:port, or several, comma-separated
	EnvUser     = "GAMEDATA_TEST_CASSANDRA_USER"
	EnvPassword = "GAMEDATA_TEST_CASSANDRA_PASSWORD"
	EnvDC       = "GAMEDATA_TEST_CASSANDRA_DC"
)

// Missing says how to get the test node, for a test that has none.
const Missing = EnvAddr + " is not set: start Cassandra with `scripts/testenv/testenv up cassandra` " +
	"and `eval \"$(scripts/testenv/testenv env)\"` (or run `make test`)"

// setupTimeout bounds creating or dropping a keyspace.
const setupTimeout = 2 * time.Minute

// FromEnv returns the test node's settings, without a keyspace; ok is false
// when the environment names no node.
func FromEnv() (cfg cassandra.Config, ok bool) {
	addr := os.Getenv(EnvAddr)
	if addr == "" {
		return cfg, false
	}
	dc := os.Getenv(EnvDC)
	if dc == "" {
		dc = "datacenter1"
	}
	return cassandra.Config{
		Hosts:    strings.Split(addr, ","),
		LocalDC:  dc,
		Username: os.Getenv(EnvUser),
		Password: os.Getenv(EnvPassword),
		// The test machine is small and shared: leave room for a slow node.
		Timeout: 15 * time.Second,
	}, true
}

// Require returns the test node's settings, or skips tb (fails it under CI).
func Require(tb testing.TB) cassandra.Config {
	tb.Helper()
	cfg, ok := FromEnv()
	if !ok {
		if os.Getenv("CI") != "" {
			tb.Fatal("CI: " + Missing)
		}
		tb.Skip(Missing)
	}
	return cfg
}

// NewKeyspace creates a fresh keyspace gamedata_test_<random> on the node
// of cfg, replicated once in cfg.LocalDC, with the whole schema (through
// cassandra.ApplySchema), and returns cfg set to use it.
func NewKeyspace(ctx context.Context, cfg cassandra.Config) (cassandra.Config, error) {
	cfg.Keyspace = FreshName()
	ctx, cancel := context.WithTimeout(ctx, setupTimeout)
	defer cancel()
	err := retry(ctx, func() error {
		_, err := cassandra.ApplySchema(ctx, cfg, cassandra.Schema{
			Keyspace: cfg.Keyspace, Replication: map[string]int{cfg.LocalDC: 1},
		})
		return err
	})
	if err != nil {
		return cfg, fmt.Errorf("create test keyspace %s: %w", cfg.Keyspace, err)
	}
	return cfg, nil
}

// FreshName returns a keyspace name no other test uses: gamedata_test_<random>.
func FreshName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "gamedata_test_" + hex.EncodeToString(b)
}

// Drop drops the keyspace of cfg.
func Drop(cfg cassandra.Config) error {
	ctx, cancel := context.WithTimeout(context.Background(), setupTimeout)
	defer cancel()
	return retry(ctx, func() error { return cassandra.DropKeyspace(ctx, cfg) })
}

// retry calls f (a schema change, safe to repeat) again while it fails
// with ErrUnavailable: on the shared, loaded test node a schema change
// queues behind the other tests' and may outlast one request's timeout.
func retry(ctx context.Context, f func() error) error {
	for {
		err := f()
		if !errors.Is(err, gamedata.ErrUnavailable) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

// Keyspace gives tb a fresh keyspace (see NewKeyspace), dropped when tb
// ends; it skips tb when there is no test node (fails it under CI).
func Keyspace(tb testing.TB) cassandra.Config {
	tb.Helper()
	cfg, err := NewKeyspace(context.Background(), Require(tb))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := Drop(cfg); err != nil {
			tb.Errorf("drop test keyspace: %v", err)
		}
	})
	return cfg
}
