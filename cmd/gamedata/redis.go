package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata/redis"
)

// redisConfig holds the flags of Redis (or ElastiCache, Valkey): the
// shared cache and rate limits of every instance.
type redisConfig struct {
	Addrs              []string
	Cluster            bool
	Username, Password string
	DB                 int
	TLS                bool
	TLSCAFile          string
	TLSServerName      string
	InsecureSkipVerify bool
	Timeout            time.Duration
	KeyPrefix          string
}

func (c *redisConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&c.Addrs, "redis-addr", nil,
		"Redis host:port, or a cluster's nodes (comma-separated) or configuration endpoint; "+
			"set, Redis holds the cache and the rate limits that every instance shares; empty: both stay in process")
	fs.BoolVar(&c.Cluster, "redis-cluster", false,
		"Redis is a cluster (ElastiCache cluster mode) even with a single --redis-addr, such as a configuration endpoint")
	fs.StringVar(&c.Username, "redis-username", "", "Redis ACL user (AUTH user password); empty: the default user")
	fs.StringVar(&c.Password, "redis-password", "", "Redis password or ElastiCache AUTH token (prefer the environment variable to the flag)")
	fs.IntVar(&c.DB, "redis-db", 0, "database number of a single Redis server (a cluster has only 0)")
	fs.BoolVar(&c.TLS, "redis-tls", false, "connect to Redis over TLS (ElastiCache in-transit encryption)")
	fs.StringVar(&c.TLSCAFile, "redis-tls-ca-file", "", "PEM file of the CA that signed Redis' certificate; empty: the system's CAs")
	fs.StringVar(&c.TLSServerName, "redis-tls-server-name", "", "name Redis' certificate is checked against; empty: the host of --redis-addr")
	fs.BoolVar(&c.InsecureSkipVerify, "redis-tls-insecure-skip-verify", false,
		"accept any certificate from Redis (tests only: anyone on the path could read sessions and profiles)")
	fs.DurationVar(&c.Timeout, "redis-timeout", redis.DefaultTimeout,
		"how long a Redis command or connection may take before the store answers instead; "+
			"after a few failures in a row Redis is skipped and probed until it answers again")
	fs.StringVar(&c.KeyPrefix, "redis-key-prefix", redis.DefaultKeyPrefix, "starts every key gamedata writes, so that deployments can share a Redis")
}

// enabled reports whether Redis is configured.
func (c redisConfig) enabled() bool { return len(c.Addrs) > 0 }

func (c redisConfig) validate() error {
	var errs []error
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--redis-timeout must be positive, not %s", c.Timeout))
	}
	if !c.TLS && (c.TLSCAFile != "" || c.TLSServerName != "" || c.InsecureSkipVerify) {
		errs = append(errs, errors.New("--redis-tls-ca-file, --redis-tls-server-name and --redis-tls-insecure-skip-verify need --redis-tls"))
	}
	if c.DB != 0 && (c.Cluster || len(c.Addrs) > 1) {
		errs = append(errs, fmt.Errorf("--redis-db %d: a Redis cluster has only database 0", c.DB))
	}
	return errors.Join(errs...)
}

// tlsConfig checks Redis' certificate against --redis-tls-ca-file (or the
// system's CAs). Go takes the server name from the address when it is
// empty.
func (c redisConfig) tlsConfig() (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TLSServerName, InsecureSkipVerify: c.InsecureSkipVerify}
	if c.TLSCAFile != "" {
		var err error
		if t.RootCAs, err = caPool("redis-tls-ca-file", c.TLSCAFile); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// caPool reads the PEM certificates of file, named by flag.
func caPool(flag, file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--%s: no PEM certificate in %s", flag, file)
	}
	return pool, nil
}

// open connects to Redis. An unreachable Redis is no error: serve starts
// degraded, and uses Redis once it answers.
func (c redisConfig) open(ctx context.Context, log *slog.Logger, reg prometheus.Registerer) (*redis.Client, error) {
	if err := c.validate(); err != nil {
		return nil, err
	}
	cfg := redis.Config{
		Addrs: c.Addrs, Cluster: c.Cluster, Username: c.Username, Password: c.Password, DB: c.DB,
		Timeout: c.Timeout, KeyPrefix: c.KeyPrefix, Logger: log, Registerer: reg,
	}
	if c.TLS {
		t, err := c.tlsConfig()
		if err != nil {
			return nil, err
		}
		cfg.TLS = t
	}
	redis.LogDriverTo(log)
	client, err := redis.Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open redis: %w", err)
	}
	log.Info("using Redis for the cache and the rate limits", "addrs", c.Addrs, "cluster", c.Cluster || len(c.Addrs) > 1, "tls", c.TLS)
	return client, nil
}
