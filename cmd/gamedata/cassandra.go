package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/cassandra"
)

// keyspacesPort is Amazon Keyspaces' CQL port (TLS only).
const keyspacesPort = 9142

// cassandraConfig holds the flags of the Cassandra store, shared by serve,
// apikey and schema so that they all reach the same keyspace.
type cassandraConfig struct {
	Hosts                 []string
	Keyspace              string
	LocalDC               string
	Username, Password    string
	Consistency           string
	SerialConsistency     string
	NameSerialConsistency string
	Timeout               time.Duration
	ConnectTimeout        time.Duration
	NumConns              int
	SpeculativeDelay      time.Duration
	TLS                   bool
	TLSCAFile             string
	TLSServerName         string
	Keyspaces             bool
}

func (c *cassandraConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&c.Hosts, "cassandra-hosts", []string{"127.0.0.1"},
		"Cassandra contact points, host or host:port, comma-separated; the driver finds the other nodes")
	fs.StringVar(&c.Keyspace, "cassandra-keyspace", "gamedata", "Cassandra keyspace of the tables (create it with gamedata schema apply)")
	fs.StringVar(&c.LocalDC, "cassandra-local-dc", "datacenter1",
		"data centre (region) of this process: requests go to its replicas, LOCAL_* consistency counts there")
	fs.StringVar(&c.Username, "cassandra-username", "", "Cassandra user (PasswordAuthenticator; on Amazon Keyspaces a service-specific credential); empty: no login")
	fs.StringVar(&c.Password, "cassandra-password", "", "password of --cassandra-username (prefer the environment variable to the flag)")
	fs.StringVar(&c.Consistency, "cassandra-consistency", "LOCAL_QUORUM", "consistency of reads and writes")
	fs.StringVar(&c.SerialConsistency, "cassandra-serial-consistency", "LOCAL_SERIAL",
		"serial consistency of the lightweight transactions of orders and payments: LOCAL_SERIAL or SERIAL")
	fs.StringVar(&c.NameSerialConsistency, "cassandra-name-serial-consistency", "",
		"serial consistency of player name claims, unique in every region; empty: SERIAL (LOCAL_SERIAL with --keyspaces)")
	fs.DurationVar(&c.Timeout, "cassandra-timeout", 5*time.Second, "how long a request to a Cassandra node may take")
	fs.DurationVar(&c.ConnectTimeout, "cassandra-connect-timeout", 5*time.Second, "how long connecting to a Cassandra node may take")
	fs.IntVar(&c.NumConns, "cassandra-num-conns", 2, "connections to each Cassandra node of the local data centre")
	fs.DurationVar(&c.SpeculativeDelay, "cassandra-speculative-delay", 500*time.Millisecond,
		"how long a read waits for its replica before it is also sent to another one; negative: never")
	fs.BoolVar(&c.TLS, "cassandra-tls", false, "connect to Cassandra over TLS (always on with --keyspaces)")
	fs.StringVar(&c.TLSCAFile, "cassandra-tls-ca-file", "", "PEM file of the CA that signed the nodes' certificates; empty: the system's CAs")
	fs.StringVar(&c.TLSServerName, "cassandra-tls-server-name", "",
		"name the nodes' certificates are checked against; empty: the first host of --cassandra-hosts when it is a name")
	fs.BoolVar(&c.Keyspaces, "keyspaces", false,
		"the Cassandra store is Amazon Keyspaces: TLS on port 9142 unless a host names another, and the schema Keyspaces supports")
}

// config is the store's configuration of c.
func (c cassandraConfig) config(clock gamedata.Clock) (cassandra.Config, error) {
	cfg := cassandra.Config{
		Hosts: c.Hosts, Keyspace: c.Keyspace, LocalDC: c.LocalDC, Username: c.Username, Password: c.Password,
		Consistency: c.Consistency, SerialConsistency: c.SerialConsistency, NameSerialConsistency: c.NameSerialConsistency,
		Timeout: c.Timeout, ConnectTimeout: c.ConnectTimeout, NumConns: c.NumConns,
		SpeculativeDelay: c.SpeculativeDelay, Keyspaces: c.Keyspaces, Clock: clock,
	}
	if c.Keyspaces {
		cfg.Port = keyspacesPort
	}
	if c.TLS || c.Keyspaces {
		t, err := c.tlsConfig()
		if err != nil {
			return cfg, err
		}
		cfg.TLS = t
	}
	return cfg, nil
}

// tlsConfig verifies the nodes' certificates against --cassandra-tls-ca-file
// (or the system's CAs) and the server name.
func (c cassandraConfig) tlsConfig() (*tls.Config, error) {
	t := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.TLSServerName}
	if t.ServerName == "" && len(c.Hosts) > 0 {
		host := c.Hosts[0]
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		if net.ParseIP(host) == nil {
			t.ServerName = host
		}
	}
	if c.TLSCAFile != "" {
		pem, err := os.ReadFile(c.TLSCAFile)
		if err != nil {
			return nil, fmt.Errorf("--cassandra-tls-ca-file: %w", err)
		}
		t.RootCAs = x509.NewCertPool()
		if !t.RootCAs.AppendCertsFromPEM(pem) {
			return nil, errors.New("--cassandra-tls-ca-file: no PEM certificate in " + c.TLSCAFile)
		}
	}
	return t, nil
}

// openCassandra opens the Cassandra store of c, with the change feed of
// feed.
func openCassandra(ctx context.Context, c cassandraConfig, feed feedStoreConfig, clock gamedata.Clock) (gamedata.Backend, error) {
	cfg, err := c.config(clock)
	if err != nil {
		return gamedata.Backend{}, err
	}
	cfg.FeedConsumers, cfg.FeedMargin, cfg.FeedRetention = feed.Consumers, feed.Margin, feed.Retention
	s, err := cassandra.Open(ctx, cfg)
	if err != nil {
		return gamedata.Backend{}, fmt.Errorf("open cassandra store: %w", err)
	}
	return s.Backend(), nil
}
