package main

import (
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/sqlite"
)

// feedStoreConfig holds the settings of the store's side of the change
// feed, which every command that opens the store takes (store.go): the
// removal of records runs wherever the store is open.
type feedStoreConfig struct {
	Consumers []string
	Margin    time.Duration
	Retention time.Duration
}

func (c *feedStoreConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&c.Consumers, "feed-consumers", nil,
		"Cassandra store: the regions whose indexers must read every change record, comma-separated: records wait for them "+
			"even before their first read (a region that has read is waited for anyway, until \"gamedata feed drop-consumer\")")
	fs.DurationVar(&c.Margin, "feed-margin", 0,
		"Cassandra store: how late a change record may become visible after its time and still be delivered; "+
			"0: 3 x --cassandra-timeout + 5s. Raise it where records reach a region late (replication across regions)")
	fs.DurationVar(&c.Retention, "feed-retention", sqlite.DefaultFeedRetention,
		"how long change records are kept while no consumer reads the change feed (search not configured)")
}

func (c feedStoreConfig) validate() error {
	if c.Margin < 0 || c.Retention <= 0 {
		return fmt.Errorf("--feed-margin must not be negative (not %s), --feed-retention must be positive (not %s)", c.Margin, c.Retention)
	}
	return nil
}

func newFeedCmd() *cobra.Command {
	var sc storeConfig
	cmd := &cobra.Command{
		Use:   "feed",
		Short: "Show how far each region's indexer is in the change feed, or retire a region",
		Long: `The store keeps every change record until each consumer of the change feed
(the search indexer of a region, named by its --region) has read it. These
commands work on the store that "gamedata serve" uses with the same
settings, and are safe to run while it runs.

To retire a region whose indexer is gone for good: stop its indexers, take
it out of --feed-consumers on every server, then drop it; until then its
records are kept for ever.`,
	}
	sc.addFlags(cmd.PersistentFlags())
	cmd.AddCommand(newFeedStatusCmd(&sc), newFeedDropConsumerCmd(&sc))
	return cmd
}

// feedAdmin returns the store's FeedAdmin.
func feedAdmin(sc *storeConfig, b gamedata.Backend) (gamedata.FeedAdmin, error) {
	if b.FeedAdmin == nil {
		return nil, fmt.Errorf("the %s store has no change feed to administer", sc.Kind)
	}
	return b.FeedAdmin, nil
}

func newFeedStatusCmd(sc *storeConfig) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "List each consumer of the change feed: its position, when it stored it, its pending records and the oldest",
		Long: `List each consumer the change feed keeps records for: its position (a
sequence number on SQLite, a watermark time on Cassandra), when it last
stored it (a region whose indexer stopped stays behind), how many records
wait for it and since when. On Cassandra, pending is an estimate above 1000,
and also counts the records the running indexer committed above its
watermark (up to --feed-margin of them); a configured consumer that has not
read yet shows no position.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withStore(cmd.Context(), sc, func(b gamedata.Backend) error {
				admin, err := feedAdmin(sc, b)
				if err != nil {
					return err
				}
				consumers, err := admin.FeedConsumers(cmd.Context())
				if err != nil {
					return fmt.Errorf("list feed consumers: %w", err)
				}
				if len(consumers) == 0 {
					_, err := fmt.Fprintln(cmd.OutOrStdout(), "no consumer: no indexer reads the change feed")
					return err
				}
				w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
				fmt.Fprintln(w, "CONSUMER\tPOSITION\tSAVED\tPENDING\tOLDEST")
				for _, c := range consumers {
					fmt.Fprintf(w, "%s\t%s\t%s\t%d\t%s\n", c.Name, orDash(c.Position), showTime(c.Saved), c.Pending, showTime(c.Oldest))
				}
				return w.Flush()
			})
		},
	}
}

func newFeedDropConsumerCmd(sc *storeConfig) *cobra.Command {
	return &cobra.Command{
		Use:   "drop-consumer NAME",
		Short: "Forget a consumer of the change feed (a retired region), so that records no longer wait for it",
		Long: `Forget a consumer of the change feed: records no longer wait for it, and
those every other consumer has passed are removed. Drop only a region whose
indexers are stopped for good: one that reads again starts over from the
oldest record kept. A region listed in --feed-consumers is refused: take it
out of that setting on every server first.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name := args[0]
			return withStore(cmd.Context(), sc, func(b gamedata.Backend) error {
				admin, err := feedAdmin(sc, b)
				if err != nil {
					return err
				}
				err = admin.DropFeedConsumer(cmd.Context(), name)
				if errors.Is(err, gamedata.ErrNotFound) {
					return fmt.Errorf("no consumer %q in the change feed (see gamedata feed status)", name)
				}
				if err != nil {
					return fmt.Errorf("drop feed consumer: %w", err)
				}
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "dropped feed consumer %s\n", name)
				return err
			})
		},
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func showTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
