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
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/api"
	"github.com/gamedata-dev/gamedata/archive"
	"github.com/gamedata-dev/gamedata/metrics"
	"github.com/gamedata-dev/gamedata/password"
)

// adminKeyEnv, where set, is accepted as an admin key. It is read from the
// environment only, never a flag or the config file, so that it shows up
// neither in ps nor in a file that is easy to share.
const adminKeyEnv = "GAMEDATA_ADMIN_KEY"

// adminKeyMinLen refuses a GAMEDATA_ADMIN_KEY that could be guessed.
const adminKeyMinLen = 16

type serveConfig struct {
	Store             storeConfig
	Search            searchConfig
	Cache             cacheConfig // cache.go
	Addr              string
	Retention         time.Duration
	SessionTTL        time.Duration
	RateLimit         float64
	RateBurst         int
	PlayerRateLimit   float64
	PlayerRateBurst   int
	KeyRateLimit      float64
	KeyRateBurst      int
	TrustProxyHeaders bool
	HashWorkers       int
	HashQueue         int
	LogFormat         string
	LogLevel          string
	ShutdownTimeout   time.Duration
	PurgeInterval     time.Duration
	Archive           archiveConfig // archive.go
	ArchiveInterval   time.Duration
	AdminAddr         string
	Recs              recsConfig
	RecsInterval      time.Duration
	TLS               tlsConfig // tls.go
}

func newServeCmd() *cobra.Command {
	var c serveConfig
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API server",
		Long: `Run the HTTP API server until SIGTERM or SIGINT, then stop accepting
connections, let the requests in flight finish (up to --shutdown-timeout),
stop the background jobs and close the store.

On the first start with a store that holds no API key (and no
GAMEDATA_ADMIN_KEY set), serve creates a server key named "admin", prints it
once and writes it to <data-dir>/admin.key (mode 0600).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), c, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	c.Store.addFlags(fs)
	c.Search.addFlags(fs)
	c.Cache.addFlags(fs)
	fs.StringVar(&c.Addr, "addr", "127.0.0.1:8080", "address to listen on (port 0 picks a free port; the log tells which)")
	fs.DurationVar(&c.Retention, "retention", gamedata.DefaultRetention, "how long messages and events are kept")
	fs.DurationVar(&c.SessionTTL, "session-ttl", 24*time.Hour, "how long a player session lasts after login")
	fs.Float64Var(&c.RateLimit, "rate-limit", 20, "requests per second allowed to each client address on open endpoints; 0 turns the limit off")
	fs.IntVar(&c.RateBurst, "rate-burst", 40, "requests a client address may send at once above --rate-limit")
	fs.Float64Var(&c.PlayerRateLimit, "player-rate-limit", 20,
		"requests per second allowed to each player's sessions together; 0 turns the limit off")
	fs.IntVar(&c.PlayerRateBurst, "player-rate-burst", 40, "requests a player's sessions may send at once above --player-rate-limit")
	fs.Float64Var(&c.KeyRateLimit, "key-rate-limit", 0,
		"requests per second allowed to each server key (a game server's whole load); 0: no limit")
	fs.IntVar(&c.KeyRateBurst, "key-rate-burst", 1000, "requests a server key may send at once above --key-rate-limit")
	fs.BoolVar(&c.TrustProxyHeaders, "trust-proxy-headers", false,
		"take the client address from X-Forwarded-For (only behind a proxy that sets it, else clients can forge it)")
	fs.IntVar(&c.HashWorkers, "password-hash-workers", 0,
		"password hashes (register, login) run at once; 0: half the CPUs, at least one, so that hashing leaves cores to every other request")
	fs.IntVar(&c.HashQueue, "password-hash-queue", password.DefaultQueue,
		"password hashes that may wait for a worker; beyond them register and login answer 503 with Retry-After at once")
	fs.Var(newEnum(&c.LogFormat, "json", "json", "text"), "log-format", "log format, on standard error")
	fs.Var(newEnum(&c.LogLevel, "info", "debug", "info", "warn", "error"), "log-level", "lowest level logged")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 30*time.Second, "how long requests in flight may take to finish after SIGTERM")
	fs.DurationVar(&c.PurgeInterval, "purge-interval", time.Hour,
		"how often rows past their retention are deleted from the SQLite store; 0 never")
	c.Archive.addFlags(fs)
	c.Archive.addJobFlags(fs)
	fs.DurationVar(&c.ArchiveInterval, "archive-interval", time.Hour,
		"how often the archive job looks for closed days to archive (one instance at a time runs it); 0 never")
	addAdminFlag(fs, &c.AdminAddr)
	c.TLS.addFlags(fs)
	c.Recs.addFlags(fs)
	fs.DurationVar(&c.RecsInterval, "recs-interval", time.Hour,
		"how often every player's recommendations are rebuilt inside the server (one instance at a time); 0 never")
	return cmd
}

// validate checks what the flag types cannot.
func (c serveConfig) validate() error {
	var errs []error
	positive := map[string]time.Duration{"retention": c.Retention, "session-ttl": c.SessionTTL, "shutdown-timeout": c.ShutdownTimeout}
	for name, d := range positive {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("--%s must be positive, not %s", name, d))
		}
	}
	if c.ArchiveInterval < 0 {
		errs = append(errs, fmt.Errorf("--archive-interval must not be negative, not %s", c.ArchiveInterval))
	}
	if c.PurgeInterval < 0 {
		errs = append(errs, fmt.Errorf("--purge-interval must not be negative, not %s", c.PurgeInterval))
	}
	if c.RecsInterval < 0 || c.Recs.Workers < 0 {
		errs = append(errs, fmt.Errorf("--recs-interval and --recs-workers must not be negative, not %s and %d", c.RecsInterval, c.Recs.Workers))
	}
	if c.HashWorkers < 0 {
		errs = append(errs, fmt.Errorf("--password-hash-workers must not be negative, not %d", c.HashWorkers))
	}
	if c.HashQueue < 1 {
		errs = append(errs, fmt.Errorf("--password-hash-queue must be at least 1, not %d", c.HashQueue))
	}
	for _, l := range []struct {
		name  string
		rate  float64
		burst int
	}{{"rate", c.RateLimit, c.RateBurst}, {"player-rate", c.PlayerRateLimit, c.PlayerRateBurst}, {"key-rate", c.KeyRateLimit, c.KeyRateBurst}} {
		if l.rate < 0 {
			errs = append(errs, fmt.Errorf("--%s-limit must not be negative, not %g", l.name, l.rate))
		}
		if l.rate > 0 && l.burst < 1 {
			errs = append(errs, fmt.Errorf("--%s-burst must be at least 1, not %d", l.name, l.burst))
		}
	}
	if err := c.TLS.validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if format == "text" {
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(w, opts)), nil
}

func serve(ctx context.Context, c serveConfig, stdout, stderr io.Writer) (err error) {
	if err := c.validate(); err != nil {
		return err
	}
	log, err := newLogger(stderr, c.LogFormat, c.LogLevel)
	if err != nil {
		return err
	}
	adminKey := os.Getenv(adminKeyEnv)
	if adminKey != "" && len(adminKey) < adminKeyMinLen {
		return fmt.Errorf("%s must be at least %d characters", adminKeyEnv, adminKeyMinLen)
	}
	started := time.Now()
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()

	clock := gamedata.SystemClock{}
	reg := prometheus.NewRegistry()
	storeMetrics, err := metrics.NewStoreMetrics(reg)
	if err != nil {
		return err
	}
	backend, err := openStore(ctx, c.Store, clock)
	if err != nil {
		return err
	}
	backend = storeMetrics.Instrument(c.Store.Kind, backend)
	store := backend.Store
	// Closed before the summary on a clean stop; the deferred call reports
	// its error, and closes the store on every other way out.
	closeStore := sync.OnceValue(store.Close)
	defer func() {
		if cerr := closeStore(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close store: %w", cerr))
		}
	}()
	if adminKey == "" {
		if err := ensureAdminKey(ctx, store, c.Store.DataDir, clock.Now(), stdout, log); err != nil {
			return err
		}
	}

	search, err := openSearch(c.Search, c.Store, c.Retention, backend, clock, log, reg, storeMetrics)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := search.close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close search: %w", cerr))
		}
	}()
	ready := map[string]func(context.Context) error{"store": store.Ping}
	if search.ready != nil {
		ready["search"] = search.ready
	}
	cached, err := openCache(ctx, c.Cache, c.Store.Kind, store, clock, log, reg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := cached.close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close redis: %w", cerr))
		}
	}()
	optional := cached.optional
	if nodes := backend.Nodes; nodes != nil {
		optional = withChecks(optional, map[string]func(context.Context) error{"store:" + nodes.LocalNodes().DC: metrics.NodesCheck(nodes)})
		if err := reg.Register(metrics.NewNodes(nodes)); err != nil {
			return fmt.Errorf("register gamedata_store_nodes: %w", err)
		}
	}
	if err := reg.Register(metrics.NewBackendUp(withChecks(ready, optional), 2*time.Second)); err != nil {
		return fmt.Errorf("register gamedata_backend_up: %w", err)
	}
	purge := backend.Purger
	var purgeJob *metrics.Job
	if purge != nil && c.PurgeInterval > 0 {
		if purgeJob, err = metrics.NewJob(reg, "purge"); err != nil {
			return err
		}
	}
	var archiveJob *archive.Job
	var archiveMetrics *metrics.Archive
	var archiveRuns *metrics.Job
	if c.ArchiveInterval > 0 {
		a, err := c.Archive.open(c.Store.DataDir)
		if err != nil {
			return err
		}
		if archiveJob, err = c.Archive.job(a, backend, c.Store.Kind, c.Retention, clock); err != nil {
			return err
		}
		if archiveMetrics, err = metrics.NewArchive(reg); err != nil {
			return err
		}
		if archiveRuns, err = metrics.NewJob(reg, "archive"); err != nil {
			return err
		}
	}

	passwords, err := password.NewPool(password.PoolConfig{Workers: c.HashWorkers, Queue: c.HashQueue, Registerer: reg})
	if err != nil {
		return err
	}
	handler, err := api.New(api.Config{
		Store:             cached.store,
		Searcher:          search.searcher,
		Social:            backend.Social,
		Recommender:       recommender(backend, cached.store),
		Clock:             clock,
		Logger:            log,
		Registry:          reg,
		Retention:         c.Retention,
		SessionTTL:        c.SessionTTL,
		AdminKey:          adminKey,
		Limiter:           cached.limiter(c.RateLimit, c.RateBurst),
		PlayerLimiter:     cached.limiter(c.PlayerRateLimit, c.PlayerRateBurst),
		KeyLimiter:        cached.limiter(c.KeyRateLimit, c.KeyRateBurst),
		Ready:             ready,
		Optional:          optional,
		TrustProxyHeaders: c.TrustProxyHeaders,
		Passwords:         passwords,
	})
	if err != nil {
		return fmt.Errorf("build API: %w", err)
	}

	if c.AdminAddr != "" {
		admin, err := startAdmin(c.AdminAddr, reg, log)
		if err != nil {
			return err
		}
		defer admin.Close()
	}

	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen on --addr: %w", err)
	}
	if ln, err = c.TLS.listener(ln, log); err != nil {
		return err
	}
	// net/http's own error answers become problem+json there.
	ln = api.Listener(ln)
	counted := &countingHandler{next: handler}
	srv := &http.Server{
		Handler:           counted,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String(), "store", c.Store.Kind, "data_dir", c.Store.DataDir, "version", buildVersion())

	jobs, stopJobs := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	var purged atomic.Int64
	if purgeJob != nil {
		wg.Go(func() { purgeLoop(jobs, purge, c.PurgeInterval, &purged, purgeJob, log) })
	}
	if search.feeder != nil {
		wg.Go(func() { search.feeder.run(jobs) })
	}
	if sched, err := recsSchedule(c, backend, clock, log, reg); err != nil {
		stopJobs()
		wg.Wait()
		return err
	} else if sched != nil {
		wg.Go(func() { sched.Run(jobs) })
	}
	if archiveJob != nil {
		wg.Go(func() { archiveLoop(jobs, archiveJob, c.ArchiveInterval, archiveMetrics, archiveRuns, log) })
	}

	select {
	case <-ctx.Done():
		stop() // from now on a second signal kills at once
		log.Info("shutting down", "timeout", c.ShutdownTimeout.String())
	case err := <-served:
		stopJobs()
		wg.Wait()
		return fmt.Errorf("serve: %w", err)
	}
	// Shutdown closes the listener, then waits for the requests in flight;
	// it must not share ctx, which is already done.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
	defer cancel()
	shutdownErr := srv.Shutdown(sctx)
	if shutdownErr != nil {
		log.Warn("requests still running at --shutdown-timeout: closing their connections", "err", shutdownErr)
		shutdownErr = srv.Close()
	}
	stopJobs()
	wg.Wait()
	closeErr := closeStore()
	log.Info("stopped", "uptime", time.Since(started).Round(time.Millisecond).String(),
		"requests", counted.n.Load(), "purged_rows", purged.Load(), "store_closed", closeErr == nil)
	return shutdownErr
}

// countingHandler counts requests for the summary logged at shutdown.
type countingHandler struct {
	next http.Handler
	n    atomic.Int64
}

func (h *countingHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.n.Add(1)
	h.next.ServeHTTP(w, r)
}

// purgeLoop deletes expired rows every interval until ctx is done.
func purgeLoop(ctx context.Context, p gamedata.Purger, every time.Duration, total *atomic.Int64, job *metrics.Job, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := p.PurgeExpired(ctx)
			if ctx.Err() == nil {
				job.Done(err)
			}
			switch {
			case err != nil && ctx.Err() == nil:
				log.Warn("purge expired rows", "err", err)
			case n > 0:
				total.Add(n)
				log.Info("purged expired rows", "rows", n)
			}
		}
	}
}
