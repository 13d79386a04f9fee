package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/metrics"
	"github.com/gamedata-dev/gamedata/recs"
)

// recsConfig holds the settings of the recommendation build, shared by
// "recs build" and the build that serve runs on schedule.
type recsConfig struct {
	Workers int
}

func (c *recsConfig) addFlags(fs *pflag.FlagSet) {
	fs.IntVar(&c.Workers, "recs-workers", 0, "goroutines that compute and store players' recommendations; 0: one per CPU")
}

// workers is --recs-workers with 0 resolved.
func (c recsConfig) workers() int {
	if c.Workers <= 0 {
		return runtime.NumCPU()
	}
	return c.Workers
}

func newRecsBuildCmd() *cobra.Command {
	var (
		sc    storeConfig
		rc    recsConfig
		fresh bool
	)
	cmd := &cobra.Command{
		Use:   "build",
		Short: "Compute and store every player's recommendations from the store",
		Long: `Compute and store every player's recommendations from the store.

It reads the players, paid orders, play events, friendships and interests,
trains the items model (EASE) and the friends model (a learned blend of
graph features), then computes both kinds of suggestion for every player
on --recs-workers goroutines and stores them, one row per player and kind. It
prints its progress, and a summary at the end. Interrupted (SIGINT,
SIGTERM, an outage), it keeps how far it got: the next run resumes there,
unless --fresh. It is safe to run while the server runs.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return withStore(ctx, &sc, func(b gamedata.Backend) error {
				if b.Lister == nil || b.RecsSource == nil || b.Recs == nil {
					return fmt.Errorf("the %s store cannot build recommendations", sc.Kind)
				}
				out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
				start := time.Now()
				fmt.Fprintln(errOut, "recs build: reading the store")
				snap, err := recs.ReadSnapshot(ctx, b.Lister, b.RecsSource)
				if err != nil {
					return err
				}
				read := time.Since(start)
				fmt.Fprintf(errOut, "recs build: read %d players, %d paid orders, %d plays, %d friendship sides, %d interest sets in %s; training\n",
					len(snap.Players), len(snap.Orders), len(snap.Plays), len(snap.Friends), len(snap.Interests), read.Round(time.Millisecond))
				sum, err := recs.Build(ctx, snap, b.Recs, recs.BuildConfig{
					Workers: rc.workers(), Fresh: fresh, ProgressEvery: 2 * time.Second,
					Progress: func(p recs.Progress) {
						fmt.Fprintf(errOut, "recs build: %d of %d players (%.0f%%)\n", p.Done, p.Players, 100*float64(p.Done)/float64(max(p.Players, 1)))
					},
				})
				if err != nil {
					if errors.Is(err, recs.ErrInterrupted) {
						return fmt.Errorf("%w (run it again to resume)", err)
					}
					return err
				}
				resumed := ""
				if sum.Resumed {
					resumed = fmt.Sprintf(", resumed after %d", sum.Skipped)
				}
				fmt.Fprintf(out, "built recommendations for %d players (%d stored%s): %d items, %d tags, %d friendships; read %s, trained %s, computed and stored %s\n",
					sum.Players, sum.Stored, resumed, sum.Items, sum.Tags, sum.Friendships,
					read.Round(time.Millisecond), sum.Trained.Round(time.Millisecond), sum.Wrote.Round(time.Millisecond))
				return nil
			})
		},
	}
	sc.addFlags(cmd.Flags())
	rc.addFlags(cmd.Flags())
	cmd.Flags().BoolVar(&fresh, "fresh", false, "start a new build even when an earlier one was interrupted")
	cliOnly(cmd.Flags(), "fresh")
	return cmd
}

func newRecsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "recs",
		Short: "Build every player's recommendations, or measure the models offline",
		Long: `The recommendation models (docs/recommendations.md): "recs build" computes
and stores every player's suggestions from the store (serve also rebuilds
them every --recs-interval); "recs eval" measures the models on public
datasets, with a fixed split, beside the usual baselines.`,
	}
	cmd.AddCommand(newRecsBuildCmd(), newRecsEvalCmd())
	return cmd
}

func newRecsEvalCmd() *cobra.Command {
	var steam, facebook string
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Print recall@10 and NDCG@10 of each model beside popularity on held-out real data",
		Long: `Print recall@10 and NDCG@10 of each model beside popularity on held-out real data.

The Steam play hours (items): 20% of the games of each player with at least
5 are held out. The Facebook ego graph (friends): 10% of the friendships are
held out. Both splits use seed ` + fmt.Sprint(recs.SplitSeed) + `; the models train on the rest
through the same code that "gamedata recs build" runs. With neither flag,
both files are looked for in shared/datasets beside the current folder or
any folder above it ($GAMEDATA_DATASETS names another).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if steam == "" && facebook == "" {
				dir := recs.FindDatasets(".")
				if dir == "" {
					return errors.New("no --steam or --facebook given and no shared/datasets found")
				}
				steam, facebook = filepath.Join(dir, recs.SteamFile), filepath.Join(dir, recs.FacebookFile)
			}
			out := cmd.OutOrStdout()
			if steam != "" {
				p, err := recs.ReadSteamFile(steam)
				if err != nil {
					return err
				}
				rs, err := recs.EvalSteam(p)
				if err != nil {
					return err
				}
				recs.WriteTable(out, fmt.Sprintf("Items: %s, %d players, %d games, %.0f%% of each player's games held out (players with >= %d), seed %d",
					filepath.Base(steam), p.Players.Len(), p.Items.Len(), 100*recs.SteamHoldOut, recs.SteamMinGames, recs.SplitSeed), rs)
			}
			if facebook != "" {
				g, _, err := recs.ReadEdgesFile(facebook)
				if err != nil {
					return err
				}
				rs, err := recs.EvalFacebook(g)
				if err != nil {
					return err
				}
				recs.WriteTable(out, fmt.Sprintf("Friends: %s, %d people, %d friendships, %.0f%% held out, seed %d",
					filepath.Base(facebook), g.N, g.NumEdges(), 100*recs.FacebookHoldOut, recs.SplitSeed), rs)
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&steam, "steam", "", "Steam play-hours CSV (user-id,game-title,value,) to evaluate the items models on")
	fs.StringVar(&facebook, "facebook", "", "friendship edge list (SNAP ego-Facebook) to evaluate the friends models on")
	cliOnly(fs, "steam")
	cliOnly(fs, "facebook")
	return cmd
}

// recommender serves recommendations from the backend's stored sets; the
// player and order reads go through store (the cache, where there is one).
func recommender(b gamedata.Backend, store gamedata.Store) gamedata.Recommender {
	if b.Recs == nil || b.Social == nil {
		return nil
	}
	return &recs.Service{Recs: b.Recs, Social: b.Social, Orders: store}
}

// recsSchedule is serve's scheduled build, nil when --recs-interval is 0 or
// the store lacks what a build needs.
func recsSchedule(c serveConfig, b gamedata.Backend, clock gamedata.Clock, log *slog.Logger, reg *prometheus.Registry) (*recs.Schedule, error) {
	if c.RecsInterval == 0 || b.Lister == nil || b.RecsSource == nil || b.Recs == nil || b.Leaser == nil {
		return nil, nil
	}
	job, err := metrics.NewJob(reg, "recs_build")
	if err != nil {
		return nil, err
	}
	return &recs.Schedule{Interval: c.RecsInterval, Workers: c.Recs.workers(), Lister: b.Lister, Source: b.RecsSource,
		Recs: b.Recs, Lease: b.Leaser, Clock: clock, Log: log, Done: job.Done}, nil
}
