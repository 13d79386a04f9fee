// Package s3test gives tests a fresh prefix in the bucket of the S3 server
// (versitygw) that scripts/testenv starts. Its address comes from the
// environment:
//
//	scripts/testenv/testenv up s3
//	eval "$(scripts/testenv/testenv env)"   # GAMEDATA_TEST_S3...
//
// Without it a test skips, saying so, except under CI (CI=true), where a
// missing S3 server fails the run.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/gamedata-dev/gamedata/archive"
)

// Environment variables that scripts/testenv exports.
const (
	EnvEndpoint  = "GAMEDATA_TEST_S3" // http://host:port
	EnvBucket    = "GAMEDATA_TEST_S3_BUCKET"
	EnvAccessKey = "GAMEDATA_TEST_S3_ACCESS_KEY"
	EnvSecretKey = "GAMEDATA_TEST_S3_SECRET_KEY"
	EnvRegion    = "GAMEDATA_TEST_S3_REGION"
)

// Missing says how to get the test server, for a test that has none.
const Missing = EnvEndpoint + " is not set: start the S3 server with `scripts/testenv/testenv up s3` " +
	"and `eval \"$(scripts/testenv/testenv env)\"` (or run `make test`)"

// Require returns the test server's settings with a fresh prefix, or skips
// tb (fails it under CI). The prefix's objects are removed when tb ends.
func Require(tb testing.TB) archive.S3Config {
	tb.Helper()
	endpoint := os.Getenv(EnvEndpoint)
	if endpoint == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("CI: " + Missing)
		}
		tb.Skip(Missing)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	cfg := archive.S3Config{
		Bucket: os.Getenv(EnvBucket), Prefix: "test-" + hex.EncodeToString(b),
		Endpoint: endpoint, Region: os.Getenv(EnvRegion), Addressing: archive.AddressingPath,
		AccessKey: os.Getenv(EnvAccessKey), SecretKey: os.Getenv(EnvSecretKey),
	}
	tb.Cleanup(func() {
		s, err := archive.NewS3(cfg, tb.TempDir())
		if err != nil {
			tb.Errorf("s3test cleanup: %v", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		keys, err := s.List(ctx, "")
		if err != nil {
			tb.Errorf("s3test cleanup: %v", err)
		}
		for _, k := range keys {
			_ = s.Remove(ctx, k)
		}
	})
	return cfg
}

// Bucket returns a Bucket on a fresh prefix of the test server (Require).
func Bucket(tb testing.TB) *archive.S3 {
	tb.Helper()
	s, err := archive.NewS3(Require(tb), tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	return s
}
