package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/gamedata-dev/gamedata"
)

type indexerConfig struct {
	Store       storeConfig
	OpenSearch  openSearchConfig
	Feed        feedConfig
	Retention   time.Duration
	MetricsAddr string
	LogFormat   string
	LogLevel    string
}

func newIndexerCmd() *cobra.Command {
	var c indexerConfig
	cmd := &cobra.Command{
		Use:   "indexer",
		Short: "Feed OpenSearch from the store's change feed and run the index lifecycle",
		Long: `Run the search indexer on its own (serve runs it too, with --search opensearch)
until SIGTERM or SIGINT: it drains the store's change feed into the
--opensearch-* cluster with bulk requests, keeping its position under
--region, and rolls the indices over and deletes them past retention.
While the cluster is down it retries; writes keep succeeding in the store
and it catches up once the cluster is back. Its lag and counters are served
at http://<metrics-addr>/metrics.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIndexer(cmd.Context(), c, cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	c.Store.addFlags(fs)
	c.OpenSearch.addFlags(fs)
	c.Feed.addFlags(fs)
	fs.DurationVar(&c.Retention, "retention", gamedata.DefaultRetention, "how long messages are kept: older weeks' indices are deleted")
	fs.StringVar(&c.MetricsAddr, "metrics-addr", "127.0.0.1:9464", "address of the Prometheus /metrics endpoint; empty: none")
	fs.Var(newEnum(&c.LogFormat, "json", "json", "text"), "log-format", "log format, on standard error")
	fs.Var(newEnum(&c.LogLevel, "info", "debug", "info", "warn", "error"), "log-level", "lowest level logged")
	return cmd
}

func runIndexer(ctx context.Context, c indexerConfig, stderr io.Writer) error {
	if c.Retention <= 0 {
		return fmt.Errorf("--retention must be positive, not %s", c.Retention)
	}
	log, err := newLogger(stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	client, err := c.OpenSearch.open()
	if err != nil {
		return err
	}
	defer client.Close()
	clock := gamedata.SystemClock{}
	return withStore(ctx, &c.Store, func(b gamedata.Backend) error {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
		f, err := newFeeder(c.Feed, c.Store, c.Retention, client, b, clock, log, reg)
		if err != nil {
			return err
		}
		var metrics *http.Server
		if c.MetricsAddr != "" {
			ln, err := net.Listen("tcp", c.MetricsAddr)
			if err != nil {
				return fmt.Errorf("listen on --metrics-addr: %w", err)
			}
			mux := http.NewServeMux()
			mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
			metrics = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second,
				ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
			go func() {
				if err := metrics.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
					log.Warn("metrics endpoint stopped", "err", err)
				}
			}()
			log.Info("serving metrics", "addr", ln.Addr().String())
		}
		f.run(ctx)
		log.Info("indexer stopped")
		if metrics != nil {
			return metrics.Close()
		}
		return nil
	})
}
