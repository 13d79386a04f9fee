package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/bench"
	"github.com/gamedata-dev/gamedata/password"
)

type benchConfig struct {
	Store       storeConfig
	URL         string
	Key         string
	MetricsURL  string
	Mix         string
	Players     int
	Prefix      string
	Password    string
	Rate        rateValue
	Concurrency int
	Warmup      time.Duration
	Duration    time.Duration
	Timeout     time.Duration
	JSON        bool
	Progress    bool
	CPUProfile  string

	Preload         int
	PreloadOnly     bool
	PreloadOrders   int
	PreloadMessages int
	PreloadWorkers  int
}

func newBenchCmd() *cobra.Command {
	var c benchConfig
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Load a running gamedata with the game's scenarios and measure their latency",
		Long: `Play the game's servers against a running gamedata (--url) with a server key
(--key), over HTTP: a mix of scenarios over a population of players, after a
warm-up, for --duration; then print per scenario the count, errors,
throughput and latency percentiles (p50, p95, p99, p99.9, max), and the CPU
the server and bench spent per scenario, or JSON with --json. Ctrl-C ends
the run early and still prints what it measured. bench shares the CPUs with
the server when both run on one machine: its requests are lean (see
docs/performance.md), and --cpu-profile shows where its own time goes.

Scenarios (weights for --mix):
` + scenarioHelp() + `
Two loads:
  --rate 2000/s    open loop: scenarios are due on a fixed timeline at that
                   rate, whatever the server does, and each is measured from
                   the time it was due, so a stall counts for every request
                   that waited behind it (no coordinated omission). At most
                   --concurrency run at once; the rest wait, and it shows.
  --rate 0         closed loop: --concurrency workers each start a scenario
                   when their last one ends: the peak throughput.

The population is the players <player-prefix>0000000, 0000001, ... up to
--players; those that do not exist are created first (an argon2id hash each
on the server). --preload N writes N players with their orders and messages
straight into the store first (the --store settings, as serve uses them), in
parallel, with one password hash for all, recording its progress in the store
so that a preload that stopped resumes where it was.

Run the server with --rate-limit 0: register and login are rate limited per
client address. The key is --key, else GAMEDATA_ADMIN_KEY, else
<data-dir>/admin.key. See docs/benchmarks.md.`,
		Example: `  gamedata bench --rate 2000/s --duration 60s
  gamedata bench --rate 0 --concurrency 64 --mix read_profile=1
  gamedata bench --store cassandra --preload 1000000 --preload-only`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if c.Preload > 0 && !cmd.Flags().Changed("players") {
				c.Players = c.Preload
			}
			return runBench(cmd.Context(), c, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	fs := cmd.Flags()
	c.Store.addFlags(fs)
	fs.StringVar(&c.URL, "url", "http://127.0.0.1:8080", "base URL of the gamedata server to load")
	fs.StringVar(&c.MetricsURL, "metrics-url", "",
		"the server's metrics (http://<its --admin-addr>/metrics), read for the cores it used; empty: unknown")
	fs.StringVar(&c.Key, "key", "", "a server key of that server; empty: $GAMEDATA_ADMIN_KEY, else <data-dir>/admin.key")
	fs.StringVar(&c.Mix, "mix", bench.DefaultMix, "weight of each scenario, name=weight,...; scenarios not named do not run")
	fs.IntVar(&c.Players, "players", 1000, "players the scenarios act for (created when missing); default --preload when given")
	fs.StringVar(&c.Prefix, "player-prefix", bench.DefaultPrefix, "starts the name of every player bench makes")
	fs.StringVar(&c.Password, "password", bench.DefaultPassword, "password of every player bench makes")
	c.Rate = 2000
	fs.Var(&c.Rate, "rate", "open loop: scenarios a second, like 2000/s, 500 or 6000/m; 0: closed loop")
	fs.IntVar(&c.Concurrency, "concurrency", 256, "closed loop: workers; open loop: scenarios in flight at most")
	fs.DurationVar(&c.Warmup, "warmup", 10*time.Second, "load before the measured period, not measured")
	fs.DurationVar(&c.Duration, "duration", 60*time.Second, "measured period")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Second, "how long one request may take before it counts as a timeout")
	fs.BoolVar(&c.JSON, "json", false, "print the result as JSON (for scripts) instead of a table")
	fs.BoolVar(&c.Progress, "progress", true, "show a progress line on standard error while running")
	fs.StringVar(&c.CPUProfile, "cpu-profile", "", "write a CPU profile of bench itself over the run (warm-up included) to this file, for go tool pprof")
	fs.IntVar(&c.Preload, "preload", 0, "first make the population this large in the store (not through the server); 0: no preload")
	fs.BoolVar(&c.PreloadOnly, "preload-only", false, "preload, then stop without loading the server")
	fs.IntVar(&c.PreloadOrders, "preload-orders", 3, "orders of each preloaded player (the first one paid)")
	fs.IntVar(&c.PreloadMessages, "preload-messages", 3, "messages each preloaded player sends to others of the population")
	fs.IntVar(&c.PreloadWorkers, "preload-workers", 32, "players preloaded at once")
	for _, name := range []string{"url", "metrics-url", "key", "mix", "players", "player-prefix", "password", "rate", "concurrency", "warmup",
		"duration", "timeout", "json", "progress", "cpu-profile", "preload", "preload-only", "preload-orders", "preload-messages", "preload-workers"} {
		cliOnly(fs, name) // what one run does, not a setting of the installation
	}
	return cmd
}

func scenarioHelp() string {
	var b strings.Builder
	for _, sc := range bench.Scenarios {
		fmt.Fprintf(&b, "  %-17s %-5s  %s\n", sc.Name, sc.Kind, sc.Doc)
	}
	return b.String()
}

// rateValue is --rate: scenarios a second.
type rateValue float64

func (r *rateValue) String() string { return strconv.FormatFloat(float64(*r), 'f', -1, 64) + "/s" }

// Type names the flag's values in --help.
func (r *rateValue) Type() string { return "rate" }

func (r *rateValue) Set(s string) error {
	per := time.Second
	num, unit, ok := strings.Cut(strings.TrimSpace(s), "/")
	if ok {
		switch unit {
		case "s":
		case "m":
			per = time.Minute
		default:
			return fmt.Errorf("rate %q: want N/s or N/m", s)
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v < 0 {
		return fmt.Errorf("rate %q: want a number >= 0, then /s or /m", s)
	}
	*r = rateValue(v * float64(time.Second) / float64(per))
	return nil
}

func runBench(ctx context.Context, c benchConfig, stdout, stderr io.Writer) (err error) {
	mix, err := bench.ParseMix(c.Mix)
	if err != nil {
		return fmt.Errorf("--mix: %w", err)
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, os.Interrupt)
	defer stop()
	var progress io.Writer
	if c.Progress {
		progress = stderr
	}
	var preloaded *bench.PreloadResult
	if c.Preload > 0 {
		res, err := preload(ctx, c, progress)
		if err != nil {
			return err
		}
		fmt.Fprintln(stderr, preloadSummary(res))
		if c.PreloadOnly || res.Interrupted {
			if c.JSON {
				return writeJSON(stdout, res)
			}
			return nil
		}
		preloaded = &res
	} else if c.PreloadOnly {
		return errors.New("--preload-only needs --preload N")
	}
	key, err := benchKey(c)
	if err != nil {
		return err
	}
	if c.CPUProfile != "" {
		stopProfile, err := startCPUProfile(c.CPUProfile)
		if err != nil {
			return err
		}
		defer func() {
			if perr := stopProfile(); perr != nil && err == nil {
				err = perr
			}
		}()
	}
	res, err := bench.Run(ctx, bench.Config{
		URL: c.URL, Key: key, MetricsURL: c.MetricsURL, Mix: mix, Players: c.Players, Prefix: c.Prefix, Password: c.Password,
		Rate: float64(c.Rate), Concurrency: c.Concurrency, Warmup: c.Warmup, Duration: c.Duration, Timeout: c.Timeout,
		Progress: progress,
	})
	if err != nil {
		return err
	}
	if c.JSON {
		return writeJSON(stdout, struct {
			*bench.Result
			Preload *bench.PreloadResult `json:"preload,omitempty"`
		}{res, preloaded})
	}
	return res.WriteTable(stdout)
}

// preload runs --preload on the store of c.Store.
func preload(ctx context.Context, c benchConfig, progress io.Writer) (bench.PreloadResult, error) {
	var res bench.PreloadResult
	hash := password.Hash(c.Password)
	err := withStore(ctx, &c.Store, func(b gamedata.Backend) (err error) {
		res, err = bench.Preload(ctx, bench.PreloadConfig{
			Store: b.Store, Players: c.Preload, Prefix: c.Prefix, PasswordHash: hash,
			OrdersPerPlayer: c.PreloadOrders, MessagesPerPlayer: c.PreloadMessages, Workers: c.PreloadWorkers, Progress: progress,
		})
		return err
	})
	return res, err
}

func preloadSummary(r bench.PreloadResult) string {
	rate := float64(r.Players) / max(r.Took.Seconds(), 1e-9)
	s := fmt.Sprintf("preload: %d -> %d players complete; wrote %d players, %d orders, %d messages in %s (%.0f players/s)",
		r.From, r.To, r.Players, r.Orders, r.Messages, r.Took.Round(time.Millisecond), rate)
	if r.Interrupted {
		s += "; interrupted: run it again to resume"
	}
	return s
}

// benchKey finds the server key: --key, GAMEDATA_ADMIN_KEY, or the admin
// key file of --data-dir.
func benchKey(c benchConfig) (string, error) {
	if c.Key != "" {
		return c.Key, nil
	}
	if k := os.Getenv(adminKeyEnv); k != "" {
		return k, nil
	}
	path := filepath.Join(c.Store.DataDir, "admin.key")
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("no server key: give --key, set %s, or point --data-dir at the server's (%w)", adminKeyEnv, err)
	}
	return strings.TrimSpace(string(b)), nil
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// startCPUProfile profiles this process into path until the returned
// func is called.
func startCPUProfile(path string) (stop func() error, err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpu-profile: %w", err)
	}
	return func() error {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			return fmt.Errorf("--cpu-profile: %w", err)
		}
		return nil
	}, nil
}
