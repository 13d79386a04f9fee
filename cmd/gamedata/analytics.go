package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/analytics"
)

// analyticsConfig opens DuckDB over the archive.
type analyticsConfig struct {
	DataDir string
	Cache   string
	Archive archiveConfig
	Format  string
}

func (c *analyticsConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.DataDir, "data-dir", "./gamedata-data", "folder of the default archive (<data-dir>/archive) and cache")
	fs.StringVar(&c.Cache, "archive-cache", "",
		"local copy of an s3:// archive that DuckDB reads (a day is fetched again only when its manifest changed); default <data-dir>/archive-cache")
	c.Archive.addFlags(fs)
	fs.Var(newEnum(&c.Format, string(analytics.FormatTable), analytics.Formats...), "format", "output: table, csv or json (JSON lines)")
	cliOnly(fs, "format")
}

func (c analyticsConfig) open(cmd *cobra.Command) (*analytics.DB, error) {
	a, err := c.Archive.open(c.DataDir)
	if err != nil {
		return nil, err
	}
	cache := c.Cache
	if cache == "" {
		cache = filepath.Join(c.DataDir, "archive-cache")
	}
	return analytics.Open(cmd.Context(), a, cache)
}

func newAnalyticsCmd() *cobra.Command {
	var c analyticsConfig
	cmd := &cobra.Command{
		Use:   "analytics",
		Short: "Ask SQL questions of the archive with DuckDB",
		Long: `Run DuckDB over the Parquet archive (local, or an s3:// one mirrored into
--archive-cache), with a view per table: players, orders, messages, events,
each with dt, the day, as a DATE. docs/archive.md has the schemas.`,
	}
	c.addFlags(cmd.PersistentFlags())
	cmd.AddCommand(newAnalyticsQueryCmd(&c), newAnalyticsReportCmd(&c))
	return cmd
}

func newAnalyticsQueryCmd(c *analyticsConfig) *cobra.Command {
	return &cobra.Command{
		Use:   `query "SQL"`,
		Short: "Run one SQL query over the archive and print its rows",
		Example: `  gamedata analytics query "SELECT dt, count(*) FROM orders WHERE dt >= DATE '2026-01-01' GROUP BY dt ORDER BY dt"
  gamedata analytics query --format csv "SELECT type, count(*) FROM events GROUP BY type"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			res, err := db.Query(cmd.Context(), args[0])
			if err != nil {
				return fmt.Errorf("query: %w", err)
			}
			return res.Write(cmd.OutOrStdout(), analytics.Format(c.Format))
		},
	}
}

func newAnalyticsReportCmd(c *analyticsConfig) *cobra.Command {
	var from, to, chart string
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Print the weekly questions: active, new and paying players, revenue, ARPPU, messages, top items, events",
		Long: `Print, from the archive, per day: active players (an event, a message sent or an
order change), new players, paying players and revenue (of the orders created
that day that are paid, as GET /v1/stats/revenue counts it) and messages; per
month: active and paying players, revenue and ARPPU (revenue per paying
player); the top items and the events by type. --chart also draws revenue and
active players per day as an SVG.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			first, last := gamedata.DayOf(time.Now().AddDate(-1, 0, 0)), gamedata.DayOf(time.Now())
			var err error
			if from != "" {
				if first, err = gamedata.ParseDay(from); err != nil {
					return fmt.Errorf("--from: %w", err)
				}
			}
			if to != "" {
				if last, err = gamedata.ParseDay(to); err != nil {
					return fmt.Errorf("--to: %w", err)
				}
			}
			db, err := c.open(cmd)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := db.Report(cmd.Context(), first, last)
			if err != nil {
				return err
			}
			if err := rep.Write(cmd.OutOrStdout(), analytics.Format(c.Format)); err != nil {
				return err
			}
			if chart == "" {
				return nil
			}
			f, err := os.Create(chart)
			if err != nil {
				return err
			}
			if err := analytics.WriteSVG(f, rep.Points()); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s\n", chart)
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "first day (YYYY-MM-DD) of the report; default a year ago")
	cmd.Flags().StringVar(&to, "to", "", "last day (YYYY-MM-DD) of the report; default today")
	cmd.Flags().StringVar(&chart, "chart", "", "also write an SVG chart of revenue and active players per day to this file")
	for _, name := range []string{"from", "to", "chart"} {
		cliOnly(cmd.Flags(), name) // what one report shows
	}
	return cmd
}
