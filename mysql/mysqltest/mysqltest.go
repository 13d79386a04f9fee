// Package mysqltest gives tests a throw-away database on the MariaDB that
// scripts/testenv starts (standing in for the v1 MySQL). Its address comes
// from the environment:
//
//	scripts/testenv/testenv up mariadb
//	eval "$(scripts/testenv/testenv env)"   # GAMEDATA_TEST_MYSQL
//
// Without it a test skips, saying so, except under CI (CI=true), where a
// missing MariaDB fails the run.
package mysqltest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	driver "github.com/go-sql-driver/mysql"

	"github.com/gamedata-dev/gamedata/mysql"
)

// EnvURL is the variable scripts/testenv exports: mysql://USER:PASS@HOST:PORT/DB.
const EnvURL = "GAMEDATA_TEST_MYSQL"

// Missing says how to get the test server, for a test that has none.
const Missing = EnvURL + " is not set: start MariaDB with `scripts/testenv/testenv up mariadb` " +
	"and `eval \"$(scripts/testenv/testenv env)\"` (or run `make test`)"

// Require returns the test server's URL, or skips tb (fails it under CI).
func Require(tb testing.TB) string {
	tb.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("CI: " + Missing)
		}
		tb.Skip(Missing)
	}
	return u
}

// Database gives tb a fresh, empty database gamedata_test_<random> on the
// test server, dropped when tb ends, and returns its URL and a handle on it.
func Database(tb testing.TB) (source string, db *sql.DB) {
	tb.Helper()
	base := Require(tb)
	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvURL, err)
	}
	name := FreshName()
	admin := open(tb, base)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// The name is ours, made of hex digits: no user text in the statement.
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci"); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE `"+name+"`"); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
		_ = admin.Close()
	})
	u.Path = "/" + name
	source = u.String()
	return source, open(tb, source)
}

func open(tb testing.TB, source string) *sql.DB {
	tb.Helper()
	cfg, err := mysql.Config(source)
	if err != nil {
		tb.Fatal(err)
	}
	cfg.MultiStatements = true
	conn, err := driver.NewConnector(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	db := sql.OpenDB(conn)
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// FreshName returns a database name no other test uses.
func FreshName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "gamedata_test_" + hex.EncodeToString(b)
}
