package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/archive"
	"github.com/gamedata-dev/gamedata/backup"
)

// bucketConfig holds the S3 settings of a backup's place (--to, --from).
type bucketConfig struct {
	Endpoint   string
	Region     string
	Addressing string
	Progress   time.Duration
}

func (c *bucketConfig) addFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.Endpoint, "backup-s3-endpoint", "",
		"S3 endpoint URL of an s3:// backup (MinIO, Ceph, versitygw...); default AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or AWS")
	fs.StringVar(&c.Region, "backup-s3-region", "", "S3 region of an s3:// backup; default AWS_REGION or AWS_DEFAULT_REGION")
	fs.Var(newEnum(&c.Addressing, string(archive.AddressingAuto), string(archive.AddressingAuto),
		string(archive.AddressingPath), string(archive.AddressingVirtual)), "backup-s3-addressing",
		"how S3 requests name the bucket: path (most S3-compatible servers), virtual (AWS' host names) or auto")
	fs.DurationVar(&c.Progress, "progress-interval", 5*time.Second, "how often the progress of a table is printed; 0 never")
}

// open returns the bucket that place names: a folder, or s3://bucket/prefix
// (credentials from the usual AWS variables), spooling under spool.
func (c bucketConfig) open(flag, place, spool string) (archive.Bucket, error) {
	if place == "" {
		return nil, fmt.Errorf("--%s is required: a folder or s3://bucket/prefix", flag)
	}
	b, err := openBucket(flag, place, archive.S3Config{Endpoint: c.Endpoint, Region: c.Region,
		Addressing: archive.Addressing(c.Addressing)}, spool)
	if err != nil || b.Dir() == "" {
		return b, err
	}
	// A backup holds password hashes: its folder is the owner's only.
	return b, os.Chmod(b.Dir(), 0o700)
}

// interruptible is ctx cancelled by SIGINT or SIGTERM: the job stops where
// it is and a rerun resumes.
func interruptible(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

func newBackupCmd() *cobra.Command {
	var (
		sc storeConfig
		bc bucketConfig
		to string
	)
	cmd := &cobra.Command{
		Use:   "backup --to DIR|s3://bucket/prefix",
		Short: "Write a logical backup of the whole store (every table, as Parquet) to a folder or an S3 bucket",
		Long: `Write every table the store keeps for players (players with their password
hashes, sessions, server keys, orders with their idempotency keys, messages,
events, metadata, friendships, interests) as Parquet files in the archive's
format, with a manifest per table (rows, checksum) and backup.json, which
marks the backup finished. What the store derives from them (the change feed,
the archive's day log, recommendations) is not kept: it is rebuilt.

It reads while the store serves. The backup holds every write that finished
before it started (its started_at), and some of those made while it ran:
docs/operations.md says how to restore to a point in time from it and the
archive. Interrupted (Ctrl-C), it stops; run it again with the same --to to
write the tables it lacks. A place that holds a finished backup is refused.
The backup is as secret as the store: keep it so.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			bucket, err := bc.open("to", to, filepath.Join(sc.DataDir, "backup-spool"))
			if err != nil {
				return err
			}
			return withStore(ctx, &sc, func(b gamedata.Backend) error {
				if b.Backup == nil {
					return fmt.Errorf("the %s store cannot be backed up (no backup reader)", sc.Kind)
				}
				job := &backup.Job{Source: b.Backup, Store: sc.Kind, Bucket: bucket, Clock: gamedata.SystemClock{},
					Progress: cmd.ErrOrStderr(), ProgressEvery: bc.Progress}
				sum, err := job.Run(ctx)
				if err != nil {
					return fmt.Errorf("backup to %s: %w (run it again to resume)", bucket, err)
				}
				printBackup(cmd.OutOrStdout(), bucket, sum)
				return nil
			})
		},
	}
	sc.addFlags(cmd.Flags())
	bc.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&to, "to", "", "where the backup goes: a folder (created 0700) or s3://bucket/prefix")
	cliOnly(cmd.Flags(), "to")
	return cmd
}

func printBackup(w io.Writer, bucket archive.Bucket, sum backup.Summary) {
	idx := sum.Index
	fmt.Fprintf(w, "backup %s of the %s store in %s: started %s, finished %s (%s)\n", idx.ID, idx.Store, bucket,
		idx.StartedAt.Format(time.RFC3339Nano), idx.FinishedAt.Format(time.RFC3339Nano), sum.Elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\trows\tbytes\tchecksum\t")
	var rows, bytes int64
	for _, t := range idx.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t\n", t.Name, t.Rows, t.Bytes, t.Checksum)
		rows, bytes = rows+t.Rows, bytes+t.Bytes
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t\t\n", rows, bytes)
	tw.Flush()
	if len(sum.Resumed) > 0 {
		fmt.Fprintf(w, "resumed: %v were written by the earlier run\n", sum.Resumed)
	}
}

func newRestoreCmd() *cobra.Command {
	var (
		sc        storeConfig
		bc        bucketConfig
		from      string
		workers   int
		stateFile string
	)
	cmd := &cobra.Command{
		Use:   "restore --from DIR|s3://bucket/prefix",
		Short: "Load a backup into an empty store of either kind, then check the store against it",
		Long: `Load a backup made by "gamedata backup" into an empty store, of the same kind
or the other (SQLite into Cassandra is how a studio outgrows one machine):
a new --data-dir, or a keyspace made by "gamedata schema apply" that no
server has used yet. Rows go in through the store's own writes, so the store
records their changes: the indexer of search then indexes them all. Rows
that expired since the backup are left out. At the end every table of the
store is read back, and its rows and checksum must equal what was restored.

Interrupted (Ctrl-C), it stops; run it again with the same --from to finish
(the tables done are kept in --restore-state-file).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := interruptible(cmd.Context())
			defer stop()
			spool := filepath.Join(sc.DataDir, "restore-spool")
			bucket, err := bc.open("from", from, spool)
			if err != nil {
				return err
			}
			if stateFile == "" {
				stateFile = filepath.Join(sc.DataDir, "restore-state.json")
			}
			return withStore(ctx, &sc, func(b gamedata.Backend) error {
				if b.Backup == nil || b.Social == nil {
					return fmt.Errorf("the %s store cannot be restored into (no backup reader or social store)", sc.Kind)
				}
				r := &backup.Restore{Bucket: bucket, Check: b.Backup, StateFile: stateFile, Spool: spool, Workers: workers,
					Target:   backup.Target{Store: b.Store, Social: b.Social, Clock: gamedata.SystemClock{}},
					Progress: cmd.ErrOrStderr(), ProgressEvery: bc.Progress}
				sum, err := r.Run(ctx)
				if sum.Restored != nil {
					printRestore(cmd.OutOrStdout(), bucket, sc.Kind, sum)
				}
				if err != nil {
					return fmt.Errorf("restore from %s: %w (run it again to resume)", bucket, err)
				}
				return nil
			})
		},
	}
	sc.addFlags(cmd.Flags())
	bc.addFlags(cmd.Flags())
	cmd.Flags().StringVar(&from, "from", "", "the backup: a folder or s3://bucket/prefix")
	cliOnly(cmd.Flags(), "from")
	cmd.Flags().IntVar(&workers, "restore-workers", backup.DefaultWorkers, "rows written at once")
	cmd.Flags().StringVar(&stateFile, "restore-state-file", "", "where a restore keeps the tables it has done, to resume; default <data-dir>/restore-state.json")
	return cmd
}

func printRestore(w io.Writer, bucket archive.Bucket, kind string, sum backup.Summary) {
	idx := sum.Index
	fmt.Fprintf(w, "restored backup %s (the %s store, started %s) from %s into the %s store in %s\n", idx.ID, idx.Store,
		idx.StartedAt.Format(time.RFC3339Nano), bucket, kind, sum.Elapsed.Round(time.Millisecond))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "table\tin backup\trestored\texpired\tin store\tchecksum\tcheck\t")
	for _, t := range idx.Tables {
		r := sum.Restored[t.Name]
		check := "ok"
		if !r.OK() {
			check = fmt.Sprintf("MISMATCH (store %s)", r.FoundChecksum)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%s\t%s\t\n", t.Name, t.Rows, r.Restored, r.Expired, r.Found, r.Checksum, check)
	}
	tw.Flush()
	if len(sum.Resumed) > 0 {
		fmt.Fprintf(w, "resumed: %v were restored by the earlier run\n", sum.Resumed)
	}
}
