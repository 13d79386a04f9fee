// Package backup writes a logical backup of a whole store, every table a
// store keeps for players, as Parquet files in the archive's format (in a
// folder or an S3 bucket, through archive.Bucket), and restores one into an
// empty store of either kind. docs/operations.md says what a backup holds,
// what "consistent" means for one, and how to restore to a point in time.
//
// A backup is laid out as
//
//	backup.json                     what it holds; finished_at marks it complete
//	<table>/part-00000.parquet      the table's rows (zstd)
//	<table>/_manifest.json          its rows, checksum and files (archive.Manifest)
//
// Both jobs resume: a backup writes the tables it lacks, a restore the
// tables it has not finished (its rows are written again, which every
// store's writes make harmless).
package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"time"

	"github.com/gamedata-dev/gamedata"
	"github.com/gamedata-dev/gamedata/archive"
)

const (
	// FormatVersion is written in backup.json; raise it when a row type
	// changes in a way readers must know of.
	FormatVersion = 1
	rowGroupRows  = 256 << 10
	writeBatch    = 1024
	partName      = "part-00000.parquet"
	manifestName  = "_manifest.json"
	indexName     = "backup.json"
)

// Index is backup.json: what a backup holds.
type Index struct {
	Format int    `json:"format_version"`
	ID     string `json:"id"`
	// Store is the kind of store backed up (sqlite, cassandra).
	Store string `json:"store"`
	// StartedAt is the backup's watermark: every write that finished
	// before it is in the backup (docs/operations.md).
	StartedAt time.Time `json:"started_at"`
	// FinishedAt is when the last table was written; nil while the backup
	// is unfinished.
	FinishedAt *time.Time   `json:"finished_at"`
	Tables     []TableEntry `json:"tables"`
}

// TableEntry is one table of a finished backup.
type TableEntry struct {
	Name     string `json:"name"`
	Rows     int64  `json:"rows"`
	Checksum string `json:"checksum"`
	Bytes    int64  `json:"bytes"`
}

// Job backs a store up to a bucket.
type Job struct {
	Source gamedata.BackupReader
	// Store names the kind of store, for the index.
	Store  string
	Bucket archive.Bucket
	Clock  gamedata.Clock
	// Progress, when set, gets a line per table every ProgressEvery.
	Progress      io.Writer
	ProgressEvery time.Duration
}

// Summary is what a backup or restore did.
type Summary struct {
	Index Index
	// Resumed lists the tables an earlier run had written (backup) or
	// restored (restore).
	Resumed []string
	// Restore only: per table, the rows restored and left out as expired,
	// and the check of the target against the backup.
	Restored map[string]RestoredTable
	Elapsed  time.Duration
}

// RestoredTable is the outcome of one table's restore.
type RestoredTable struct {
	Restored int64  `json:"restored"`
	Expired  int64  `json:"expired"`
	Checksum string `json:"checksum"`
	// Found and FoundChecksum are what the target holds after the
	// restore; they equal Restored and Checksum when it checks out.
	Found         int64  `json:"found"`
	FoundChecksum string `json:"found_checksum"`
}

// OK tells whether the target holds exactly what was restored.
func (r RestoredTable) OK() bool { return r.Found == r.Restored && r.FoundChecksum == r.Checksum }

// Run writes every table the backup lacks, then the finished index. A
// backup already finished in the bucket is refused: choose another place.
func (j *Job) Run(ctx context.Context) (Summary, error) {
	start := time.Now()
	var sum Summary
	idx, found, err := readIndex(ctx, j.Bucket)
	switch {
	case err != nil:
		return sum, err
	case found && idx.FinishedAt != nil:
		return sum, fmt.Errorf("%s holds a finished backup (of %s) already: back up somewhere else", j.Bucket,
			idx.StartedAt.Format(time.RFC3339))
	case !found:
		now := j.Clock.Now().UTC()
		idx = Index{Format: FormatVersion, ID: now.Format("20060102T150405Z") + "-" + gamedata.NewID(now).String()[:8],
			Store: j.Store, StartedAt: now}
		if err := putJSON(ctx, j.Bucket, indexName, idx); err != nil {
			return sum, err
		}
	}
	entries := map[string]TableEntry{}
	for _, t := range backupOrder() {
		m, done, err := readManifest(ctx, j.Bucket, t.Name())
		if err != nil {
			return sum, err
		}
		if done && m.Run == idx.ID {
			sum.Resumed = append(sum.Resumed, t.Name())
		} else if m, err = j.writeTable(ctx, t, idx.ID); err != nil {
			return sum, err
		}
		entries[t.Name()] = TableEntry{Name: t.Name(), Rows: m.Rows, Checksum: m.Checksum, Bytes: m.Files[0].Bytes}
	}
	idx.Tables = idx.Tables[:0]
	for _, t := range Tables {
		idx.Tables = append(idx.Tables, entries[t.Name()])
	}
	finished := j.Clock.Now().UTC()
	idx.FinishedAt = &finished
	if err := putJSON(ctx, j.Bucket, indexName, idx); err != nil {
		return sum, err
	}
	sum.Index, sum.Elapsed = idx, time.Since(start)
	return sum, nil
}

// backupOrder is the order a backup reads the tables in: players last.
// Players are never deleted, so every player a row read before names (an
// order's, a friend's) is in the backup, even one created while it ran.
func backupOrder() []Table {
	out := make([]Table, 0, len(Tables))
	for _, t := range Tables {
		if t != Table(Players) {
			out = append(out, t)
		}
	}
	return append(out, Players)
}

// writeTable writes table t whole, then its manifest.
func (j *Job) writeTable(ctx context.Context, t Table, run string) (archive.Manifest, error) {
	key := t.Name() + "/" + partName
	spool, err := j.Bucket.SpoolDir(key)
	if err != nil {
		return archive.Manifest{}, err
	}
	f, err := os.CreateTemp(spool, ".tmp-"+t.Name()+"-*.parquet")
	if err != nil {
		return archive.Manifest{}, err
	}
	defer os.Remove(f.Name()) // gone already once published
	p := j.progress("back up "+t.Name(), "rows")
	rows, sum, err := t.dump(ctx, j.Source, f, p)
	p.stop()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return archive.Manifest{}, fmt.Errorf("back up %s: %w", t.Name(), err)
	}
	st, err := os.Stat(f.Name())
	if err != nil {
		return archive.Manifest{}, err
	}
	if err := j.Bucket.Publish(ctx, f.Name(), key); err != nil {
		return archive.Manifest{}, fmt.Errorf("back up %s: %w", t.Name(), err)
	}
	m := archive.Manifest{Table: t.Name(), Rows: rows, Checksum: hexSum(sum),
		Files: []archive.FileInfo{{Name: partName, Rows: rows, Bytes: st.Size()}}, Schema: FormatVersion,
		ArchivedAt: j.Clock.Now().UTC(), Run: run}
	return m, putJSON(ctx, j.Bucket, t.Name()+"/"+manifestName, m)
}

func (j *Job) progress(what, unit string) *progress {
	return startProgress(j.Progress, j.ProgressEvery, what, unit)
}

// ReadIndex returns the index of the backup in b; an error when there is
// none or it is unfinished.
func ReadIndex(ctx context.Context, b archive.Bucket) (Index, error) {
	idx, found, err := readIndex(ctx, b)
	switch {
	case err != nil:
		return idx, err
	case !found:
		return idx, fmt.Errorf("%s holds no backup (no %s)", b, indexName)
	case idx.FinishedAt == nil:
		return idx, fmt.Errorf("the backup in %s is unfinished: run gamedata backup again to finish it", b)
	case idx.Format > FormatVersion:
		return idx, fmt.Errorf("the backup in %s is of format %d; this build reads up to %d", b, idx.Format, FormatVersion)
	}
	return idx, nil
}

func readIndex(ctx context.Context, b archive.Bucket) (Index, bool, error) {
	var idx Index
	found, err := readJSON(ctx, b, indexName, &idx)
	return idx, found, err
}

func readManifest(ctx context.Context, b archive.Bucket, table string) (archive.Manifest, bool, error) {
	var m archive.Manifest
	found, err := readJSON(ctx, b, table+"/"+manifestName, &m)
	return m, found, err
}

func readJSON(ctx context.Context, b archive.Bucket, key string, v any) (bool, error) {
	data, err := b.Read(ctx, key)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return false, fmt.Errorf("%s in %s: %w", key, b, err)
	}
	return true, nil
}

// putJSON publishes v as JSON at key, replacing what is there whole.
func putJSON(ctx context.Context, b archive.Bucket, key string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	spool, err := b.SpoolDir(key)
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(spool, ".tmp-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	_, err = f.Write(append(data, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return b.Publish(ctx, f.Name(), key)
}

func hexSum(s uint64) string { return fmt.Sprintf("%016x", s) }

// checksum is a row's share of a table's checksum (archive.Checksum: the
// sum of the rows', so order does not matter), with its times to the
// millisecond, the precision every store keeps.
func checksum(row any) uint64 {
	v := reflect.New(reflect.TypeOf(row)).Elem()
	v.Set(reflect.ValueOf(row))
	for i := range v.NumField() {
		switch f := v.Field(i); t := f.Interface().(type) {
		case time.Time:
			f.Set(reflect.ValueOf(t.Truncate(time.Millisecond)))
		case *time.Time:
			if t != nil {
				ms := t.Truncate(time.Millisecond)
				f.Set(reflect.ValueOf(&ms))
			}
		}
	}
	return archive.Checksum(v.Interface())
}

// progress counts the rows of one table and, when it has a writer, prints
// a line every interval until stopped.
type progress struct {
	n    atomic.Int64
	done chan struct{}
	quit chan struct{}
}

func startProgress(w io.Writer, every time.Duration, what, unit string) *progress {
	p := &progress{done: make(chan struct{}), quit: make(chan struct{})}
	if w == nil || every <= 0 {
		close(p.done)
		return p
	}
	start := time.Now()
	go func() {
		defer close(p.done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.quit:
				return
			case <-t.C:
				n := p.n.Load()
				fmt.Fprintf(w, "%s: %d %s (%.0f/s)\n", what, n, unit, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	return p
}

func (p *progress) add(n int64) { p.n.Add(n) }

func (p *progress) stop() {
	select {
	case <-p.quit:
	default:
		close(p.quit)
	}
	<-p.done
}

// localPath is where a restore reads a table's file: the bucket's own
// folder, or a download into dir.
func localPath(ctx context.Context, b archive.Bucket, key, dir string) (string, func(), error) {
	if d := b.Dir(); d != "" {
		return filepath.Join(d, filepath.FromSlash(key)), func() {}, nil
	}
	dst := filepath.Join(dir, filepath.Base(filepath.Dir(key))+"-"+filepath.Base(key))
	if err := b.Fetch(ctx, key, dst); err != nil {
		return "", nil, err
	}
	return dst, func() { os.Remove(dst) }, nil
}
