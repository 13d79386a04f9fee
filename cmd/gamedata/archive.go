package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/archive"
	"github.com/gamedata-dev/gamedata/metrics"
)

// archiveConfig says where the archive lives (docs/archive.md).
type archiveConfig struct {
	URL        string
	Endpoint   string
	Region     string
	Addressing string
	Since      string
	Grace      time.Duration
}

func (c *archiveConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.URL, "archive-url", "",
		"where the archive lives: a folder, or s3://bucket/prefix (credentials from the usual AWS variables); default <data-dir>/archive")
	fs.StringVar(&c.Endpoint, "archive-s3-endpoint", "",
		"S3 endpoint URL for an s3:// archive (MinIO, Ceph, versitygw...); default AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or AWS")
	fs.StringVar(&c.Region, "archive-s3-region", "", "S3 region of an s3:// archive; default AWS_REGION or AWS_DEFAULT_REGION")
	fs.Var(newEnum(&c.Addressing, string(archive.AddressingAuto), string(archive.AddressingAuto),
		string(archive.AddressingPath), string(archive.AddressingVirtual)), "archive-s3-addressing",
		"how S3 requests name the bucket: path (most S3-compatible servers), virtual (AWS' host names) or auto")
}

// addJobFlags adds the flags of the job that writes the archive.
func (c *archiveConfig) addJobFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Since, "archive-since", "",
		"first day (YYYY-MM-DD) the archive job archives; default the oldest day the hot store holds whole")
	fs.DurationVar(&c.Grace, "archive-grace", archive.DefaultGrace,
		"how long after midnight UTC a day counts as closed and may be archived (writes in flight, clock skew)")
}

// open returns the archive c names, spooling uploads under dataDir.
func (c archiveConfig) open(dataDir string) (*archive.Archive, error) {
	place := c.URL
	if place == "" {
		place = filepath.Join(dataDir, "archive")
	}
	b, err := openBucket("archive-url", place, archive.S3Config{Endpoint: c.Endpoint, Region: c.Region,
		Addressing: archive.Addressing(c.Addressing)}, filepath.Join(dataDir, "archive-spool"))
	if err != nil {
		return nil, err
	}
	return archive.New(b, gamedata.SystemClock{}), nil
}

// job returns the archive job over backend b.
func (c archiveConfig) job(a *archive.Archive, b gamedata.Backend, kind string, retention time.Duration, clock gamedata.Clock) (*archive.Job, error) {
	if b.History == nil || b.Leaser == nil {
		return nil, fmt.Errorf("the %s store cannot be archived (no day reader or lease)", kind)
	}
	j := &archive.Job{Archive: a, Source: b.History, Leaser: b.Leaser, Clock: clock, Owner: runnerName(),
		Retention: retention, Grace: c.Grace}
	if c.Since != "" {
		d, err := gamedata.ParseDay(c.Since)
		if err != nil {
			return nil, fmt.Errorf("--archive-since: %w", err)
		}
		j.Since = d
	}
	return j, nil
}

// runnerName names this process in leases and manifests.
func runnerName() string {
	host, _ := os.Hostname()
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

func newArchiveCmd() *cobra.Command {
	var (
		sc        storeConfig
		ac        archiveConfig
		retention time.Duration
		until     string
		redo      bool
	)
	cmd := &cobra.Command{
		Use:   "archive",
		Short: "Copy each closed UTC day of the hot store to the Parquet archive, once",
		Long: `Archive every closed UTC day that the hot store still holds whole and that
has no archive copy yet (or, with --redo, every such day again: a day run
again is replaced exactly). Each table-day is published whole and then marked
done by its manifest, so an interrupted run (Ctrl-C) loses nothing and the next
one goes on from there. One instance at a time runs it: another one waiting
for the lease is told so. serve runs the same job every --archive-interval.
Layout, schemas and guarantees: docs/archive.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, os.Interrupt)
			defer stop()
			var last gamedata.Day
			if until != "" {
				d, err := gamedata.ParseDay(until)
				if err != nil {
					return fmt.Errorf("--until: %w", err)
				}
				last = d
			}
			a, err := ac.open(sc.DataDir)
			if err != nil {
				return err
			}
			return withStore(ctx, &sc, func(b gamedata.Backend) error {
				job, err := ac.job(a, b, sc.Kind, retention, gamedata.SystemClock{})
				if err != nil {
					return err
				}
				which := archive.MissingDays
				if redo {
					which = archive.AllDays
				}
				return runArchive(ctx, job, last, which, cmd.OutOrStdout(), cmd.ErrOrStderr())
			})
		},
	}
	fs := cmd.PersistentFlags()
	sc.addFlags(fs)
	ac.addFlags(fs)
	ac.addJobFlags(fs)
	fs.DurationVar(&retention, "retention", gamedata.DefaultRetention,
		"how long the hot store keeps messages and events (as serve's --retention): older days are partly gone and not archived")
	cmd.Flags().StringVar(&until, "until", "", "last day (YYYY-MM-DD) to archive; default the last closed day")
	cmd.Flags().BoolVar(&redo, "redo", false, "archive the days already archived again, replacing them")
	cliOnly(cmd.Flags(), "until") // what one run does, not a setting of the installation
	cliOnly(cmd.Flags(), "redo")
	cmd.AddCommand(newArchiveStatusCmd(&sc, &ac, &retention))
	return cmd
}

// runArchive runs job, printing a line per table-day to progress and the
// summary to out.
func runArchive(ctx context.Context, job *archive.Job, until gamedata.Day, which archive.Days, out, progress io.Writer) error {
	job.Progress = func(s archive.Step) {
		var bytes int64
		for _, f := range s.Manifest.Files {
			bytes += f.Bytes
		}
		fmt.Fprintf(progress, "[%d/%d] %s %s: %d rows, %d bytes in %s\n", s.Done, s.Total, s.Table, s.Day,
			s.Manifest.Rows, bytes, s.Took.Round(time.Millisecond))
	}
	sum, err := job.Run(ctx, until, which)
	fmt.Fprintf(out, "archived %d table-days (%d days, %d rows, %d bytes) of %s..%s in %s; %d table-days were archived already\n",
		sum.TableDays, sum.Days, sum.Rows, sum.Bytes, sum.First, sum.Last, sum.Took.Round(time.Millisecond), sum.Skipped)
	switch {
	case errors.Is(err, archive.ErrLeaseHeld):
		return fmt.Errorf("%w: try again when it is done", err)
	case errors.Is(err, context.Canceled):
		return errors.New("interrupted: what was archived stays; run again to go on")
	}
	return err
}

func newArchiveStatusCmd(sc *storeConfig, ac *archiveConfig, retention *time.Duration) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "List the archived days, the missing ones and those that expire soon without a copy",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, err := ac.open(sc.DataDir)
			if err != nil {
				return err
			}
			return withStore(cmd.Context(), sc, func(b gamedata.Backend) error {
				job, err := ac.job(a, b, sc.Kind, *retention, gamedata.SystemClock{})
				if err != nil {
					return err
				}
				st, err := job.Status(cmd.Context(), archive.DefaultExpiryWarning)
				if err != nil {
					return err
				}
				return writeStatus(cmd.OutOrStdout(), st, format)
			})
		},
	}
	cmd.Flags().Var(newEnum(&format, "table", "table", "json"), "format", "output: table or json")
	cliOnly(cmd.Flags(), "format")
	return cmd
}

func writeStatus(w io.Writer, st archive.Status, format string) error {
	if format == "json" {
		days := func(ds []gamedata.Day) []string {
			out := []string{}
			for _, d := range ds {
				out = append(out, d.String())
			}
			return out
		}
		type gap struct {
			Day     string    `json:"day"`
			Tables  []string  `json:"tables"`
			Expires time.Time `json:"expires"`
		}
		gaps := func(gs []archive.DayGap) []gap {
			out := []gap{}
			for _, g := range gs {
				out = append(out, gap{g.Day.String(), g.Tables, g.Expires})
			}
			return out
		}
		return json.NewEncoder(w).Encode(map[string]any{"first": st.First.String(), "last": st.Last.String(),
			"archived": days(st.Archived), "missing": gaps(st.Missing), "expiring": gaps(st.Expiring)})
	}
	fmt.Fprintf(w, "window %s..%s (the closed days the hot store holds whole)\n", st.First, st.Last)
	fmt.Fprintf(w, "archived: %d days%s\n", len(st.Archived), ranges(st.Archived))
	fmt.Fprintf(w, "missing:  %d days\n", len(st.Missing))
	for _, g := range st.Missing {
		fmt.Fprintf(w, "  %s  %s\n", g.Day, strings.Join(g.Tables, ","))
	}
	fmt.Fprintf(w, "expiring within %s without a copy: %d days\n", st.ExpiryWarning, len(st.Expiring))
	for _, g := range st.Expiring {
		fmt.Fprintf(w, "  %s  rows expire from %s\n", g.Day, g.Expires.Format(time.RFC3339))
	}
	return nil
}

// ranges writes days as runs: " (2026-01-01..2026-03-31, 2026-04-02)".
func ranges(days []gamedata.Day) string {
	if len(days) == 0 {
		return ""
	}
	var parts []string
	start := days[0]
	for i := 1; i <= len(days); i++ {
		if i < len(days) && days[i] == days[i-1].Add(1) {
			continue
		}
		if end := days[i-1]; end == start {
			parts = append(parts, start.String())
		} else {
			parts = append(parts, start.String()+".."+end.String())
		}
		if i < len(days) {
			start = days[i]
		}
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// archiveLoop runs the job every interval until ctx is done, exporting its
// state; another instance holding the lease is no error.
func archiveLoop(ctx context.Context, job *archive.Job, every time.Duration, m *metrics.Archive, runs *metrics.Job, log *slog.Logger) {
	job.Progress = func(s archive.Step) {
		m.Archived(s.Table, s.Manifest.Rows)
		log.Info("archived", "table", s.Table, "day", s.Day.String(), "rows", s.Manifest.Rows,
			"took", s.Took.Round(time.Millisecond).String())
	}
	once := func() {
		sum, err := job.Run(ctx, gamedata.Day{}, archive.MissingDays)
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, archive.ErrLeaseHeld) {
			err = nil // another instance archives
		}
		runs.Done(err)
		if err != nil {
			log.Warn("archive", "err", err)
		} else if sum.TableDays > 0 {
			log.Info("archive run", "table_days", sum.TableDays, "rows", sum.Rows, "took", sum.Took.Round(time.Millisecond).String())
		}
		if st, err := job.Status(ctx, archive.DefaultExpiryWarning); err == nil {
			m.Status(len(st.Missing), len(st.Expiring))
		} else if ctx.Err() == nil {
			log.Warn("archive status", "err", err)
		}
	}
	once()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			once()
		}
	}
}

// openBucket returns the bucket that place (the value of --flag) names: a
// folder, or s3://bucket/prefix reached with s3's other settings
// (credentials from the usual AWS variables), spooling uploads under spool.
func openBucket(flag, place string, s3 archive.S3Config, spool string) (archive.Bucket, error) {
	switch {
	case strings.HasPrefix(place, "s3://"):
		bucket, prefix, err := archive.ParseS3URL(place)
		if err != nil {
			return nil, fmt.Errorf("--%s: %w", flag, err)
		}
		s3.Bucket, s3.Prefix = bucket, prefix
		return archive.NewS3(s3, spool)
	case strings.Contains(place, "://"):
		return nil, fmt.Errorf("--%s %q: want a folder or s3://bucket/prefix", flag, place)
	}
	return archive.NewFolder(place)
}
